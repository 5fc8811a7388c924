#include "plugin/config/plugin_config.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plugin/common/status.h"
#include "plugin/config/size.h"
#include "yaml-cpp/yaml.h"

namespace promscrape::config {
namespace {

absl::Status KeyError(absl::string_view path, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
}

// Rejects keys of `node` outside `allowed`, naming every stranger at once
// (`unknown key "a", "b" in remote_write (allowed: ...)`).
absl::Status CheckKeys(const YAML::Node& node, absl::string_view path,
                       const std::vector<absl::string_view>& allowed) {
  if (!node.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.empty() ? "config" : path, ": must be a mapping"));
  }
  std::vector<std::string> unknown;
  for (const auto& entry : node) {
    std::string key = entry.first.Scalar();
    bool known = false;
    for (absl::string_view a : allowed) known = known || a == key;
    if (!known) unknown.push_back(absl::StrCat("\"", key, "\""));
  }
  if (unknown.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown key ", absl::StrJoin(unknown, ", "),
      path.empty() ? "" : " in ", path, " (allowed: ",
      absl::StrJoin(allowed, ", "), ")"));
}

absl::StatusOr<std::string> GetString(const YAML::Node& node,
                                      absl::string_view path) {
  if (!node.IsScalar()) return KeyError(path, "must be a string");
  return node.Scalar();
}

absl::StatusOr<int64_t> GetPositiveInt(const YAML::Node& node,
                                       absl::string_view path) {
  int64_t value = 0;
  if (!node.IsScalar() || !absl::SimpleAtoi(node.Scalar(), &value)) {
    return KeyError(path, absl::StrCat("must be an integer, got \"",
                                       node.IsScalar() ? node.Scalar() : "",
                                       "\""));
  }
  if (value <= 0) {
    return KeyError(path,
                    absl::StrCat("must be positive, got \"", value, "\""));
  }
  return value;
}

absl::StatusOr<bool> GetBool(const YAML::Node& node, absl::string_view path) {
  if (node.IsScalar()) {
    std::string v = absl::AsciiStrToLower(node.Scalar());
    if (v == "true") return true;
    if (v == "false") return false;
  }
  return KeyError(path, "must be true or false");
}

absl::StatusOr<absl::Duration> GetDuration(const YAML::Node& node,
                                           absl::string_view path,
                                           bool allow_zero = false) {
  if (!node.IsScalar()) return KeyError(path, "must be a duration");
  absl::StatusOr<absl::Duration> d = ParsePluginDuration(node.Scalar());
  if (!d.ok()) return Annotate(d.status(), path);
  if (!allow_zero && *d <= absl::ZeroDuration()) {
    return KeyError(path, absl::StrCat("must be greater than zero, got \"",
                                       node.Scalar(), "\""));
  }
  return *d;
}

absl::Status ParseRemoteWrite(const YAML::Node& node, RemoteWriteConfig& rw) {
  PROMSCRAPE_RETURN_IF_ERROR(CheckKeys(
      node, "remote_write",
      {"target", "wal_dir", "capacity", "max_samples_per_send",
       "batch_send_deadline", "min_backoff", "max_backoff", "flush_timeout",
       "max_in_flight", "ack_timeout", "metadata_send_interval",
       "wal_fsync_interval", "wal_segment_bytes", "wal_max_bytes",
       "wal_max_age", "protocol"}));
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    const std::string path = absl::StrCat("remote_write.", key);
    const YAML::Node& v = entry.second;
    if (key == "target") {
      PROMSCRAPE_ASSIGN_OR_RETURN(rw.target, GetString(v, path));
    } else if (key == "protocol") {
      PROMSCRAPE_ASSIGN_OR_RETURN(std::string protocol, GetString(v, path));
      if (protocol == "auto") {
        rw.protocol = RemoteWriteProtocol::kAuto;
      } else if (protocol == "v1") {
        rw.protocol = RemoteWriteProtocol::kV1;
      } else if (protocol == "v2") {
        rw.protocol = RemoteWriteProtocol::kV2;
      } else {
        return KeyError(path, absl::StrCat("must be \"auto\", \"v1\" or "
                                           "\"v2\", got \"",
                                           protocol, "\""));
      }
    } else if (key == "wal_dir") {
      PROMSCRAPE_ASSIGN_OR_RETURN(rw.wal_dir, GetString(v, path));
    } else if (key == "capacity") {
      PROMSCRAPE_ASSIGN_OR_RETURN(rw.capacity, GetPositiveInt(v, path));
    } else if (key == "max_samples_per_send") {
      PROMSCRAPE_ASSIGN_OR_RETURN(rw.max_samples_per_send,
                                  GetPositiveInt(v, path));
    } else if (key == "batch_send_deadline") {
      PROMSCRAPE_ASSIGN_OR_RETURN(rw.batch_send_deadline,
                                  GetDuration(v, path));
    } else if (key == "min_backoff") {
      PROMSCRAPE_ASSIGN_OR_RETURN(rw.min_backoff, GetDuration(v, path));
    } else if (key == "max_backoff") {
      PROMSCRAPE_ASSIGN_OR_RETURN(rw.max_backoff, GetDuration(v, path));
    } else if (key == "max_in_flight") {
      PROMSCRAPE_ASSIGN_OR_RETURN(rw.max_in_flight, GetPositiveInt(v, path));
    } else if (key == "wal_fsync_interval") {
      PROMSCRAPE_ASSIGN_OR_RETURN(rw.wal_fsync_interval,
                                  GetDuration(v, path, /*allow_zero=*/true));
    } else if (key == "wal_max_age") {
      PROMSCRAPE_ASSIGN_OR_RETURN(rw.wal_max_age,
                                  GetDuration(v, path, /*allow_zero=*/true));
    } else if (key == "wal_segment_bytes" || key == "wal_max_bytes") {
      if (!v.IsScalar()) return KeyError(path, "must be a size like 64MiB");
      absl::StatusOr<int64_t> size = ParseSize(v.Scalar());
      if (!size.ok()) return Annotate(size.status(), path);
      (key == "wal_segment_bytes" ? rw.wal_segment_bytes : rw.wal_max_bytes) =
          *size;
    } else if (key == "metadata_send_interval") {
      PROMSCRAPE_ASSIGN_OR_RETURN(rw.metadata_send_interval,
                                  GetDuration(v, path, /*allow_zero=*/true));
    } else if (key == "ack_timeout") {
      PROMSCRAPE_ASSIGN_OR_RETURN(rw.ack_timeout, GetDuration(v, path));
    } else if (key == "flush_timeout") {
      PROMSCRAPE_ASSIGN_OR_RETURN(rw.flush_timeout,
                                  GetDuration(v, path, /*allow_zero=*/true));
    }
  }
  if (rw.max_backoff < rw.min_backoff) {
    return KeyError("remote_write.max_backoff",
                    "must not be less than min_backoff");
  }
  if (rw.wal_segment_bytes < 4096) {
    return KeyError("remote_write.wal_segment_bytes",
                    absl::StrCat("must be at least 4KiB, got ",
                                 FormatSize(rw.wal_segment_bytes)));
  }
  if (rw.wal_max_bytes != 0 && rw.wal_max_bytes < 2 * rw.wal_segment_bytes) {
    return KeyError("remote_write.wal_max_bytes",
                    absl::StrCat("must be 0 (unbounded) or at least twice "
                                 "wal_segment_bytes (",
                                 FormatSize(2 * rw.wal_segment_bytes), "), got ",
                                 FormatSize(rw.wal_max_bytes)));
  }
  if (rw.max_samples_per_send > rw.capacity) {
    return KeyError("remote_write.max_samples_per_send",
                    "must not exceed remote_write.capacity");
  }
  return absl::OkStatus();
}

absl::Status ParseSelfMetrics(const YAML::Node& node, SelfMetricsConfig& sm) {
  PROMSCRAPE_RETURN_IF_ERROR(
      CheckKeys(node, "self_metrics", {"enabled", "interval", "job"}));
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    const std::string path = absl::StrCat("self_metrics.", key);
    if (key == "enabled") {
      PROMSCRAPE_ASSIGN_OR_RETURN(sm.enabled, GetBool(entry.second, path));
    } else if (key == "interval") {
      PROMSCRAPE_ASSIGN_OR_RETURN(sm.interval,
                                  GetDuration(entry.second, path));
    } else if (key == "job") {
      PROMSCRAPE_ASSIGN_OR_RETURN(sm.job, GetString(entry.second, path));
      if (sm.job.empty()) return KeyError(path, "must not be empty");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateListen(absl::string_view address, absl::string_view path);

// Only checks the keys; the files are read when the server starts, where a
// missing one is reported with its key.
absl::Status ParseControlTls(const YAML::Node& node, ControlTlsConfig& c) {
  PROMSCRAPE_RETURN_IF_ERROR(CheckKeys(
      node, "control_tls", {"cert_file", "key_file", "client_ca_file"}));
  for (const auto& t : node) {
    const std::string key = t.first.Scalar();
    const std::string path = absl::StrCat("control_tls.", key);
    PROMSCRAPE_ASSIGN_OR_RETURN(std::string file, GetString(t.second, path));
    if (file.empty()) return KeyError(path, "must not be empty");
    if (key == "cert_file") c.cert_file = std::move(file);
    if (key == "key_file") c.key_file = std::move(file);
    if (key == "client_ca_file") c.client_ca_file = std::move(file);
  }
  if (c.cert_file.empty()) {
    return KeyError("control_tls.cert_file", "required with control_tls");
  }
  if (c.key_file.empty()) {
    return KeyError("control_tls.key_file", "required with control_tls");
  }
  return absl::OkStatus();
}

absl::Status ParseCluster(const YAML::Node& node, ClusterConfig& c) {
  PROMSCRAPE_RETURN_IF_ERROR(
      CheckKeys(node, "cluster",
                {"etcd_endpoints", "name", "member_id", "replication_factor",
                 "lease_ttl", "replica_label", "load_bound", "handover_timeout",
                 "tls_config", "username", "password"}));
  c.enabled = true;
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    const std::string path = absl::StrCat("cluster.", key);
    const YAML::Node& v = entry.second;
    if (key == "etcd_endpoints") {
      if (!v.IsSequence()) return KeyError(path, "must be a list of host:port");
      for (size_t i = 0; i < v.size(); ++i) {
        const std::string item_path = absl::StrCat(path, "[", i, "]");
        PROMSCRAPE_ASSIGN_OR_RETURN(std::string endpoint,
                                    GetString(v[i], item_path));
        PROMSCRAPE_RETURN_IF_ERROR(ValidateListen(endpoint, item_path));
        c.etcd_endpoints.push_back(std::move(endpoint));
      }
    } else if (key == "name") {
      PROMSCRAPE_ASSIGN_OR_RETURN(c.name, GetString(v, path));
    } else if (key == "member_id") {
      PROMSCRAPE_ASSIGN_OR_RETURN(c.member_id, GetString(v, path));
    } else if (key == "replication_factor") {
      PROMSCRAPE_ASSIGN_OR_RETURN(c.replication_factor,
                                  GetPositiveInt(v, path));
    } else if (key == "lease_ttl") {
      PROMSCRAPE_ASSIGN_OR_RETURN(c.lease_ttl, GetDuration(v, path));
      if (c.lease_ttl < absl::Seconds(2) ||
          c.lease_ttl % absl::Seconds(1) != absl::ZeroDuration()) {
        return KeyError(path, absl::StrCat("must be whole seconds, at least "
                                           "2s, got \"",
                                           v.Scalar(), "\""));
      }
    } else if (key == "replica_label") {
      PROMSCRAPE_ASSIGN_OR_RETURN(c.replica_label, GetString(v, path));
    } else if (key == "load_bound") {
      // NOTE: below 1.0 the bound cannot hold every target (the members'
      // capacity would be less than the targets), and NaN compares false.
      if (!v.IsScalar() || !absl::SimpleAtod(v.Scalar(), &c.load_bound) ||
          !(c.load_bound >= 1.0) || std::isinf(c.load_bound)) {
        return KeyError(path,
                        absl::StrCat("must be a number >= 1.0, got \"",
                                     v.IsScalar() ? v.Scalar() : "", "\""));
      }
    } else if (key == "handover_timeout") {
      PROMSCRAPE_ASSIGN_OR_RETURN(c.handover_timeout, GetDuration(v, path));
    } else if (key == "username") {
      PROMSCRAPE_ASSIGN_OR_RETURN(c.username, GetString(v, path));
    } else if (key == "password") {
      PROMSCRAPE_ASSIGN_OR_RETURN(c.password, GetString(v, path));
    } else if (key == "tls_config") {
      PROMSCRAPE_RETURN_IF_ERROR(CheckKeys(v, path,
                                           {"ca_file", "cert_file", "key_file"}));
      c.tls = true;
      for (const auto& t : v) {
        const std::string tkey = t.first.Scalar();
        const std::string tpath = absl::StrCat(path, ".", tkey);
        PROMSCRAPE_ASSIGN_OR_RETURN(std::string file, GetString(t.second, tpath));
        if (tkey == "ca_file") c.tls_ca_file = file;
        if (tkey == "cert_file") c.tls_cert_file = file;
        if (tkey == "key_file") c.tls_key_file = file;
      }
      if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
        return KeyError(path, "cert_file and key_file go together");
      }
    }
  }
  if (c.etcd_endpoints.empty()) {
    return KeyError("cluster.etcd_endpoints", "required");
  }
  if (c.name.empty() || c.name.find('/') != std::string::npos) {
    return KeyError("cluster.name",
                    absl::StrCat("required, without \"/\", got \"", c.name,
                                 "\""));
  }
  if (c.replica_label.empty() || c.replica_label.rfind("__", 0) == 0) {
    return KeyError("cluster.replica_label",
                    absl::StrCat("must be a label name not starting with "
                                 "\"__\", got \"",
                                 c.replica_label, "\""));
  }
  if (c.username.empty() != c.password.empty()) {
    return KeyError("cluster.username", "username and password go together");
  }
  return absl::OkStatus();
}

absl::Status ValidateListen(absl::string_view address,
                            absl::string_view path) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return KeyError(path, absl::StrCat("want \"host:port\", got \"", address,
                                       "\""));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<absl::Duration> ParsePluginDuration(absl::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty duration string");
  if (text == "0") return absl::ZeroDuration();
  struct Unit {
    absl::string_view name;
    absl::Duration size;
  };
  // Ordered from largest to smallest; units must appear in this order.
  static const Unit kUnits[] = {
      {"y", absl::Hours(24 * 365)}, {"w", absl::Hours(24 * 7)},
      {"d", absl::Hours(24)},       {"h", absl::Hours(1)},
      {"m", absl::Minutes(1)},      {"s", absl::Seconds(1)},
      {"ms", absl::Milliseconds(1)},
  };
  absl::Duration total;
  size_t next_unit = 0;
  absl::string_view rest = text;
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("not a valid duration string: \"", text, "\""));
  };
  while (!rest.empty()) {
    size_t digits = 0;
    while (digits < rest.size() && absl::ascii_isdigit(rest[digits])) ++digits;
    if (digits == 0 || digits > 18) return invalid();
    int64_t n = 0;
    if (!absl::SimpleAtoi(rest.substr(0, digits), &n)) return invalid();
    rest.remove_prefix(digits);
    size_t letters = 0;
    while (letters < rest.size() && absl::ascii_isalpha(rest[letters])) {
      ++letters;
    }
    absl::string_view unit = rest.substr(0, letters);
    rest.remove_prefix(letters);
    size_t i = next_unit;
    while (i < std::size(kUnits) && kUnits[i].name != unit) ++i;
    if (i == std::size(kUnits)) {
      bool known = false;
      for (const Unit& u : kUnits) known = known || u.name == unit;
      if (!known && !unit.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown unit \"", unit, "\" in duration \"", text, "\""));
      }
      return invalid();
    }
    total += n * kUnits[i].size;
    next_unit = i + 1;
  }
  return total;
}

absl::StatusOr<PluginConfig> ParsePluginConfig(absl::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid YAML: ", e.what()));
  }
  PluginConfig config;
  if (!root.IsNull()) PROMSCRAPE_RETURN_IF_ERROR(CheckKeys(
      root, "",
      {"control_listen", "control_auth_token", "control_tls",
       "scrape_config_file",
       "scrape_config_reload_interval", "reload_interval", "reload_on_startup", "scrape_on_shutdown",
       "initial_scrape_offset", "prometheus_compat", "start_timestamps",
       "remote_write",
       "self_metrics", "cluster"}));
  try {
    for (const auto& entry : root.IsMap() ? root : YAML::Node()) {
      const std::string key = entry.first.Scalar();
      const YAML::Node& v = entry.second;
      if (key == "control_listen") {
        PROMSCRAPE_ASSIGN_OR_RETURN(config.control_listen, GetString(v, key));
        PROMSCRAPE_RETURN_IF_ERROR(ValidateListen(config.control_listen, key));
      } else if (key == "control_auth_token") {
        PROMSCRAPE_ASSIGN_OR_RETURN(config.control_auth_token,
                                    GetString(v, key));
      } else if (key == "control_tls") {
        PROMSCRAPE_RETURN_IF_ERROR(ParseControlTls(v, config.control_tls));
      } else if (key == "scrape_config_file") {
        PROMSCRAPE_ASSIGN_OR_RETURN(config.scrape_config_file,
                                    GetString(v, key));
      } else if (key == "scrape_config_reload_interval") {
        PROMSCRAPE_ASSIGN_OR_RETURN(
            config.scrape_config_reload_interval,
            GetDuration(v, key, /*allow_zero=*/true));
      } else if (key == "reload_interval") {
        PROMSCRAPE_ASSIGN_OR_RETURN(config.reload_interval,
                                    GetDuration(v, key));
      } else if (key == "reload_on_startup") {
        PROMSCRAPE_ASSIGN_OR_RETURN(config.reload_on_startup, GetBool(v, key));
      } else if (key == "scrape_on_shutdown") {
        PROMSCRAPE_ASSIGN_OR_RETURN(config.scrape_on_shutdown,
                                    GetBool(v, key));
      } else if (key == "initial_scrape_offset") {
        PROMSCRAPE_ASSIGN_OR_RETURN(
            config.initial_scrape_offset,
            GetDuration(v, key, /*allow_zero=*/true));
      } else if (key == "prometheus_compat") {
        // Quoted or not, YAML gives the scalar "2" / "3".
        PROMSCRAPE_ASSIGN_OR_RETURN(std::string text, GetString(v, key));
        absl::StatusOr<PrometheusCompat> compat = ParsePrometheusCompat(text);
        if (!compat.ok()) return Annotate(compat.status(), key);
        config.prometheus_compat = *compat;
      } else if (key == "start_timestamps") {
        PROMSCRAPE_ASSIGN_OR_RETURN(std::string text, GetString(v, key));
        if (text == "ignore") {
          config.start_timestamps = StartTimestampMode::kIgnore;
        } else if (text == "attach") {
          config.start_timestamps = StartTimestampMode::kAttach;
        } else if (text == "zero_sample") {
          config.start_timestamps = StartTimestampMode::kZeroSample;
        } else {
          return absl::InvalidArgumentError(absl::StrCat(
              key, ": must be \"ignore\", \"attach\" or \"zero_sample\", got \"",
              text, "\""));
        }
      } else if (key == "remote_write") {
        PROMSCRAPE_RETURN_IF_ERROR(ParseRemoteWrite(v, config.remote_write));
      } else if (key == "self_metrics") {
        PROMSCRAPE_RETURN_IF_ERROR(ParseSelfMetrics(v, config.self_metrics));
      } else if (key == "cluster") {
        PROMSCRAPE_RETURN_IF_ERROR(ParseCluster(v, config.cluster));
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid config: ", e.what()));
  }
  if (config.remote_write.target.empty()) {
    return absl::InvalidArgumentError(
        "remote_write.target: required (the host's RemoteWrite address)");
  }
  PROMSCRAPE_RETURN_IF_ERROR(
      ValidateListen(config.remote_write.target, "remote_write.target"));
  return config;
}

}  // namespace promscrape::config
