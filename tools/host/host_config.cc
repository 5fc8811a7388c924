#include "tools/host/host_config.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
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


absl::StatusOr<bool> Bool(const YAML::Node& node, absl::string_view path) {
  PROMSCRAPE_HOST_ASSIGN_OR_RETURN(std::string v, Scalar(node, path));
  v = absl::AsciiStrToLower(v);
  if (v != "true" && v != "false") {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": must be true or false, got \"", v, "\""));
  }
  return v == "true";
}

// A duration: Go/Prometheus-style text ("500ms", "1m30s") or a number of
// seconds ("2.5").
absl::StatusOr<absl::Duration> Duration(const YAML::Node& node,
                                        absl::string_view path) {
  PROMSCRAPE_HOST_ASSIGN_OR_RETURN(std::string v, Scalar(node, path));
  double seconds = 0;
  absl::Duration d;
  if (absl::SimpleAtod(v, &seconds)) {
    d = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(v, &d)) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": want a duration (\"30s\", \"500ms\") or seconds, got \"", v,
        "\""));
  }
  if (!(d > absl::ZeroDuration()) || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": must be positive, got \"", v, "\""));
  }
  return d;
}

// Headers the forwarder sets itself, or that auth settings own.
bool ReservedHeader(absl::string_view name) {
  for (absl::string_view reserved :
       {"authorization", "content-encoding", "content-type", "content-length",
        "x-prometheus-remote-write-version", "user-agent", "host",
        "connection", "expect", "transfer-encoding"}) {
    if (absl::EqualsIgnoreCase(name, reserved)) return true;
  }
  return false;
}

absl::Status ParseForwarder(const YAML::Node& storage,
                            absl::string_view base_dir,
                            ForwarderOptions& out) {
  if (storage["remote_write_url"]) {
    PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
        out.url,
        Scalar(storage["remote_write_url"], "storage.remote_write_url"));
    if (!absl::StartsWith(out.url, "http://") &&
        !absl::StartsWith(out.url, "https://")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "storage.remote_write_url: want an http:// or https:// URL, got \"",
          out.url, "\""));
    }
  } else {
    for (const auto& entry : storage) {
      const std::string key = entry.first.Scalar();
      if (absl::StartsWith(key, "remote_write_")) {
        return absl::InvalidArgumentError(
            absl::StrCat("storage.", key,
                         ": needs storage.remote_write_url (where to send)"));
      }
    }
    return absl::OkStatus();
  }
  if (storage["remote_write_timeout"]) {
    PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
        out.timeout, Duration(storage["remote_write_timeout"],
                              "storage.remote_write_timeout"));
  }
  if (const YAML::Node n = storage["remote_write_protocol"]) {
    PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
        std::string v, Scalar(n, "storage.remote_write_protocol"));
    if (v == "1.0" || v == "1") {
      out.protocol = RemoteWriteProtocol::kV1;
    } else if (v == "2.0" || v == "2") {
      out.protocol = RemoteWriteProtocol::kV2;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "storage.remote_write_protocol: want \"1.0\" or \"2.0\", got \"", v,
          "\""));
    }
  }
  if (const YAML::Node auth = storage["remote_write_basic_auth"]) {
    constexpr absl::string_view kPath = "storage.remote_write_basic_auth";
    PROMSCRAPE_HOST_RETURN_IF_ERROR(
        CheckKeys(auth, kPath, {"username", "password", "password_file"}));
    if (!auth["username"]) {
      return absl::InvalidArgumentError(
          absl::StrCat(kPath, ".username: required"));
    }
    PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
        out.basic_auth_username,
        Scalar(auth["username"], absl::StrCat(kPath, ".username")));
    if (out.basic_auth_username.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(kPath, ".username: must not be empty"));
    }
    if (auth["password"] && auth["password_file"]) {
      return absl::InvalidArgumentError(absl::StrCat(
          kPath, ": set at most one of password and password_file"));
    }
    if (auth["password"]) {
      PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
          out.basic_auth_password,
          Scalar(auth["password"], absl::StrCat(kPath, ".password")));
    }
    if (auth["password_file"]) {
      PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
          out.basic_auth_password_file,
          Scalar(auth["password_file"], absl::StrCat(kPath, ".password_file")));
      out.basic_auth_password_file =
          Resolve(base_dir, out.basic_auth_password_file);
    }
  }
  if (storage["remote_write_bearer_token"] &&
      storage["remote_write_bearer_token_file"]) {
    return absl::InvalidArgumentError(
        "storage.remote_write_bearer_token: set at most one of "
        "remote_write_bearer_token and remote_write_bearer_token_file");
  }
  if (storage["remote_write_bearer_token"]) {
    PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
        out.bearer_token, Scalar(storage["remote_write_bearer_token"],
                                 "storage.remote_write_bearer_token"));
  }
  if (storage["remote_write_bearer_token_file"]) {
    PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
        out.bearer_token_file,
        Scalar(storage["remote_write_bearer_token_file"],
               "storage.remote_write_bearer_token_file"));
    out.bearer_token_file = Resolve(base_dir, out.bearer_token_file);
  }
  if (storage["remote_write_basic_auth"] &&
      (storage["remote_write_bearer_token"] ||
       storage["remote_write_bearer_token_file"])) {
    return absl::InvalidArgumentError(
        "storage.remote_write_basic_auth: set at most one of basic auth and "
        "a bearer token");
  }
  if (const YAML::Node tls = storage["remote_write_tls_config"]) {
    constexpr absl::string_view kPath = "storage.remote_write_tls_config";
    PROMSCRAPE_HOST_RETURN_IF_ERROR(
        CheckKeys(tls, kPath,
                  {"ca_file", "cert_file", "key_file", "server_name",
                   "insecure_skip_verify"}));
    for (const auto& [key, field] :
         {std::pair{"ca_file", &out.tls.ca_file},
          std::pair{"cert_file", &out.tls.cert_file},
          std::pair{"key_file", &out.tls.key_file}}) {
      if (!tls[key]) continue;
      PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
          *field, Scalar(tls[key], absl::StrCat(kPath, ".", key)));
      *field = Resolve(base_dir, *field);
    }
    if (out.tls.cert_file.empty() != out.tls.key_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          kPath, ": cert_file and key_file must be set together"));
    }
    if (tls["server_name"]) {
      PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
          out.tls.server_name,
          Scalar(tls["server_name"], absl::StrCat(kPath, ".server_name")));
    }
    if (tls["insecure_skip_verify"]) {
      PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
          out.tls.insecure_skip_verify,
          Bool(tls["insecure_skip_verify"],
               absl::StrCat(kPath, ".insecure_skip_verify")));
    }
  }
  if (const YAML::Node headers = storage["remote_write_headers"]) {
    constexpr absl::string_view kPath = "storage.remote_write_headers";
    if (!headers.IsMap()) {
      return absl::InvalidArgumentError(
          absl::StrCat(kPath, ": must be a mapping of header names to values"));
    }
    for (const auto& entry : headers) {
      const std::string name = entry.first.Scalar();
      const std::string path = absl::StrCat(kPath, ".", name);
      if (name.empty() ||
          name.find_first_of(" \t\r\n:") != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(kPath, ": invalid header name \"", name, "\""));
      }
      if (ReservedHeader(name)) {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": the forwarder sets this header itself (use "
                  "remote_write_basic_auth or remote_write_bearer_token for "
                  "Authorization)"));
      }
      PROMSCRAPE_HOST_ASSIGN_OR_RETURN(std::string value,
                                       Scalar(entry.second, path));
      if (value.find_first_of("\r\n") != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": value must be one line"));
      }
      out.headers[name] = value;
    }
  }
  if (const YAML::Node n = storage["remote_write_max_retries"]) {
    PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
        std::string v, Scalar(n, "storage.remote_write_max_retries"));
    if (!absl::SimpleAtoi(v, &out.max_retries) || out.max_retries < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "storage.remote_write_max_retries: want a count >= 0, got \"", v,
          "\""));
    }
  }
  if (storage["remote_write_min_backoff"]) {
    PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
        out.min_backoff, Duration(storage["remote_write_min_backoff"],
                                  "storage.remote_write_min_backoff"));
  }
  if (storage["remote_write_max_backoff"]) {
    PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
        out.max_backoff, Duration(storage["remote_write_max_backoff"],
                                  "storage.remote_write_max_backoff"));
  }
  if (out.max_backoff < out.min_backoff) {
    return absl::InvalidArgumentError(absl::StrCat(
        "storage.remote_write_max_backoff: ",
        absl::FormatDuration(out.max_backoff),
        " is less than remote_write_min_backoff ",
        absl::FormatDuration(out.min_backoff)));
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
        {"file", "fsync", "remote_write_url", "remote_write_timeout",
         "remote_write_protocol", "remote_write_basic_auth",
         "remote_write_bearer_token", "remote_write_bearer_token_file",
         "remote_write_tls_config", "remote_write_headers",
         "remote_write_max_retries", "remote_write_min_backoff",
         "remote_write_max_backoff"}));
    if (storage["file"]) {
      PROMSCRAPE_HOST_ASSIGN_OR_RETURN(config.storage_file,
                                       Scalar(storage["file"], "storage.file"));
      config.storage_file = Resolve(base_dir, config.storage_file);
    }
    if (storage["fsync"]) {
      PROMSCRAPE_HOST_ASSIGN_OR_RETURN(
          config.storage_fsync, Bool(storage["fsync"], "storage.fsync"));
    }
    PROMSCRAPE_HOST_RETURN_IF_ERROR(
        ParseForwarder(storage, base_dir, config.remote_write));
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
      // So is the write-ahead log's directory ("" keeps meaning no log).
      YAML::Node remote_write = plugin_config["remote_write"];
      if (remote_write && remote_write.IsMap() && remote_write["wal_dir"] &&
          remote_write["wal_dir"].IsScalar() &&
          !remote_write["wal_dir"].Scalar().empty()) {
        remote_write["wal_dir"] =
            Resolve(base_dir, remote_write["wal_dir"].Scalar());
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
