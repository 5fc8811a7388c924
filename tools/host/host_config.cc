#include "tools/host/host_config.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tools/host/host_status.h"
#include "yaml-cpp/yaml.h"

namespace promscrape::host {
namespace {

absl::Status CheckKeys(const YAML::Node& node, absl::string_view path,
                       const std::vector<absl::string_view>& allowed) {
  if (!node.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": must be a mapping"));
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    bool known = false;
    for (absl::string_view a : allowed) known = known || a == key;
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": unknown key \"", key, "\" (allowed: ",
                       absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Scalar(const YAML::Node& node,
                                   absl::string_view path) {
  if (!node.IsScalar()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": must be a string"));
  }
  return node.Scalar();
}

std::string Resolve(absl::string_view base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return absl::StrCat(base_dir, "/", path);
}

absl::Status ValidateAddress(absl::string_view address,
                             absl::string_view path) {
  size_t colon = address.rfind(':');
  int port = -1;
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": want \"host:port\", got \"", address, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HostConfig> ParseHostConfig(absl::string_view yaml,
                                           absl::string_view base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid YAML: ", e.what()));
  }
  HostConfig config;
  if (root.IsNull()) {
    return absl::InvalidArgumentError("storage.file: required");
  }
  PROMSCRAPE_HOST_RETURN_IF_ERROR(
      CheckKeys(root, "config", {"listen", "storage", "plugins"}));
  if (root["listen"]) {
    PROMSCRAPE_HOST_ASSIGN_OR_RETURN(config.listen,
                                     Scalar(root["listen"], "listen"));
    PROMSCRAPE_HOST_RETURN_IF_ERROR(ValidateAddress(config.listen, "listen"));
  }
  if (const YAML::Node storage = root["storage"]) {
    PROMSCRAPE_HOST_RETURN_IF_ERROR(CheckKeys(
        storage, "storage",
        {"file", "fsync", "remote_write_url", "remote_write_timeout"}));
    if (storage["file"]) {
      PROMSCRAPE_HOST_ASSIGN_OR_RETURN(config.storage_file,
                                       Scalar(storage["file"], "storage.file"));
      config.storage_file = Resolve(base_dir, config.storage_file);
    }
    if (storage["fsync"]) {
      PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
          std::string v, Scalar(storage["fsync"], "storage.fsync"));
      v = absl::AsciiStrToLower(v);
      if (v != "true" && v != "false") {
        return absl::InvalidArgumentError(absl::StrCat(
            "storage.fsync: must be true or false, got \"", v, "\""));
      }
      config.storage_fsync = v == "true";
    }
    if (storage["remote_write_url"]) {
      PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
          config.remote_write_url,
          Scalar(storage["remote_write_url"], "storage.remote_write_url"));
      if (!absl::StartsWith(config.remote_write_url, "http://") &&
          !absl::StartsWith(config.remote_write_url, "https://")) {
        return absl::InvalidArgumentError(absl::StrCat(
            "storage.remote_write_url: want an http:// or https:// URL, got \"",
            config.remote_write_url, "\""));
      }
    }
    if (storage["remote_write_timeout"]) {
      PROMSCRAPE_HOST_ASSIGN_OR_RETURN(std::string v,
                                       Scalar(storage["remote_write_timeout"],
                                              "storage.remote_write_timeout"));
      if (!absl::SimpleAtod(v, &config.remote_write_timeout_seconds) ||
          !(config.remote_write_timeout_seconds > 0)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "storage.remote_write_timeout: want seconds > 0, got \"", v, "\""));
      }
    }
  }
  if (config.storage_file.empty()) {
    return absl::InvalidArgumentError(
        "storage.file: required (the file samples are appended to)");
  }
  if (const YAML::Node plugins = root["plugins"]) {
    if (!plugins.IsSequence()) {
      return absl::InvalidArgumentError("plugins: must be a list");
    }
    for (size_t i = 0; i < plugins.size(); ++i) {
      const std::string path = absl::StrCat("plugins[", i, "]");
      const YAML::Node entry = plugins[i];
      PROMSCRAPE_HOST_RETURN_IF_ERROR(
          CheckKeys(entry, path, {"path", "config"}));
      PluginEntry plugin;
      if (!entry["path"]) {
        return absl::InvalidArgumentError(absl::StrCat(path, ".path: required"));
      }
      PROMSCRAPE_HOST_ASSIGN_OR_RETURN(plugin.path,
                                       Scalar(entry["path"], path + ".path"));
      plugin.path = Resolve(base_dir, plugin.path);
      YAML::Node plugin_config = entry["config"] ? YAML::Clone(entry["config"])
                                                 : YAML::Node(YAML::NodeType::Map);
      if (plugin_config.IsScalar()) {
        // A string holds the plugin's YAML text.
        try {
          plugin_config = YAML::Load(plugin_config.Scalar());
        } catch (const YAML::Exception& e) {
          return absl::InvalidArgumentError(
              absl::StrCat(path, ".config: invalid YAML: ", e.what()));
        }
      }
      if (plugin_config.IsNull()) plugin_config = YAML::Node(YAML::NodeType::Map);
      if (!plugin_config.IsMap()) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ".config: must be a mapping"));
      }
      // Paths inside the plugin config are relative to the host config too.
      if (plugin_config["scrape_config_file"] &&
          plugin_config["scrape_config_file"].IsScalar()) {
        plugin_config["scrape_config_file"] = Resolve(
            base_dir, plugin_config["scrape_config_file"].Scalar());
      }
      YAML::Emitter out;
      out << plugin_config;
      plugin.config_yaml = out.c_str();
      config.plugins.push_back(std::move(plugin));
    }
  }
  return config;
}

absl::StatusOr<HostConfig> LoadHostConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read config file \"", path, "\""));
  }
  std::ostringstream text;
  text << in.rdbuf();
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
  absl::StatusOr<HostConfig> config = ParseHostConfig(text.str(), dir);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

std::string WithDefaultRemoteWriteTarget(const std::string& plugin_yaml,
                                         const std::string& target) {
  YAML::Node root;
  try {
    root = YAML::Load(plugin_yaml);
  } catch (const YAML::Exception&) {
    return plugin_yaml;  // The plugin reports the syntax error itself.
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) return plugin_yaml;
  YAML::Node rw = root["remote_write"];
  if (rw && !rw.IsMap() && !rw.IsNull()) return plugin_yaml;
  if (rw && rw.IsMap() && rw["target"]) return plugin_yaml;
  root["remote_write"]["target"] = target;
  YAML::Emitter out;
  out << root;
  return out.c_str();
}

}  // namespace promscrape::host
