#ifndef TOOLS_HOST_HOST_CONFIG_H_
#define TOOLS_HOST_HOST_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/host/forwarder_options.h"

namespace promscrape::host {

// One plugin the host loads.
struct PluginEntry {
  std::string path;
  // The plugin config handed to promscrape_start, as YAML text. The host
  // fills in remote_write.target with its own listen address when absent.
  std::string config_yaml;
};

// The reference host's config (`scrape_host --config host.yaml`).
struct HostConfig {
  // Where the host serves RemoteWrite ("host:port"; port 0 picks one).
  std::string listen = "127.0.0.1:9902";
  // Embedded default storage: every received sample appended as a JSON line.
  std::string storage_file;
  // fsync the storage file before acknowledging each request.
  bool storage_fsync = false;
  // Optional remote-write receiver every request is also forwarded to
  // before it is acknowledged (storage.remote_write_*); no forwarding when
  // `remote_write.url` is empty.
  ForwarderOptions remote_write;
  std::vector<PluginEntry> plugins;
};

// Parses host.yaml text. Relative plugin, storage and credential paths are
// resolved against `base_dir` (the config file's directory). Errors are
// kInvalidArgument and name the key, e.g. `plugins[0].path: required`.
absl::StatusOr<HostConfig> ParseHostConfig(absl::string_view yaml,
                                           absl::string_view base_dir);

// Reads and parses a host.yaml file.
absl::StatusOr<HostConfig> LoadHostConfig(const std::string& path);

// Returns `plugin_yaml` with remote_write.target set to `target` when the
// plugin config names none, so a plugin writes to the host that loads it.
std::string WithDefaultRemoteWriteTarget(const std::string& plugin_yaml,
                                         const std::string& target);

}  // namespace promscrape::host

#endif  // TOOLS_HOST_HOST_CONFIG_H_
