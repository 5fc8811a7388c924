#ifndef TOOLS_HOST_PLUGIN_LOADER_H_
#define TOOLS_HOST_PLUGIN_LOADER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plugin/api/promscrape.h"

namespace promscrape::host {

// Where the host looks for libpromscrape.so when no path is given, in order:
// the bazel-bin layout relative to the running binary
// (<exe dir>/../../plugin/libpromscrape.so), then next to the binary.
std::vector<std::string> DefaultPluginPaths();

// The first of DefaultPluginPaths() that exists; the error lists every path
// tried.
absl::StatusOr<std::string> FindDefaultPlugin();

// What promscrape_check_config reported for one prometheus.yml.
struct ConfigCheckReport {
  bool valid = false;
  std::vector<std::string> warnings;
  std::vector<std::string> errors;  // Empty when valid.
};

// Loads the shared object at `plugin_path` (never dlclose()d) and checks the
// prometheus.yml at `config_path` with its promscrape_check_config. Errors
// name the plugin path: dlopen failures, a library without the export (an
// older plugin), an ABI version mismatch, or no verdict from the plugin.
absl::StatusOr<ConfigCheckReport> CheckConfigWithPlugin(
    const std::string& plugin_path, const std::string& config_path);

// One plugin loaded through the C ABI: dlopen, version check, start; Stop
// (or the destructor) calls promscrape_stop. The library is never
// dlclose()d (see promscrape.h).
//
// Thread-compatible.
class LoadedPlugin {
 public:
  // Loads the shared object at `path` and starts it with `config_yaml`.
  // Errors name the path and carry the plugin's own message.
  static absl::StatusOr<std::unique_ptr<LoadedPlugin>> Load(
      const std::string& path, const std::string& config_yaml);

  LoadedPlugin(const LoadedPlugin&) = delete;
  LoadedPlugin& operator=(const LoadedPlugin&) = delete;
  ~LoadedPlugin() { Stop(); }

  // Stops the plugin (flushing its samples to this host). Idempotent.
  void Stop();

  const std::string& path() const { return path_; }

 private:
  LoadedPlugin(std::string path, void (*stop)(promscrape_plugin*),
               promscrape_plugin* handle, std::unique_ptr<promscrape_host> host)
      : path_(std::move(path)),
        stop_(stop),
        handle_(handle),
        host_(std::move(host)) {}

  const std::string path_;
  void (*const stop_)(promscrape_plugin*);
  promscrape_plugin* handle_;
  // Must outlive the plugin: it holds the log callback's user pointer.
  std::unique_ptr<promscrape_host> host_;
};

}  // namespace promscrape::host

#endif  // TOOLS_HOST_PLUGIN_LOADER_H_
