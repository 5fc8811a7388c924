#ifndef PLUGIN_CONFIG_PLUGIN_CONFIG_H_
#define PLUGIN_CONFIG_PLUGIN_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/config/compat.h"

namespace promscrape::config {

// Settings of the remote-write path from the plugin to its host.
// `remote_write.protocol`: which RemoteWrite rpc the plugin's stream uses.
enum class RemoteWriteProtocol {
  kAuto,  // "auto": WriteV2 (remote write 2.0's shape), Write if the host
          // answers UNIMPLEMENTED.
  kV1,    // "v1": Write (remote write 1.0's shape) only.
  kV2,    // "v2": WriteV2 only.
};

struct RemoteWriteConfig {
  // The host's RemoteWrite gRPC address ("host:port").
  std::string target;
  RemoteWriteProtocol protocol = RemoteWriteProtocol::kAuto;
  // Directory of the write-ahead log (relative to the host's working
  // directory); explicitly empty keeps the queue in memory only (lossy).
  std::string wal_dir = "promscrape-wal";
  // The log is fsynced at segment rolls and at least this often.
  absl::Duration wal_fsync_interval = absl::Seconds(1);
  // Segment file size; the log rolls to a new file past it.
  int64_t wal_segment_bytes = 64 << 20;
  // Bounds on the log: past them the oldest segments go, delivered or not
  // (counted and logged). 0 disables a bound.
  int64_t wal_max_bytes = int64_t{2} << 30;
  absl::Duration wal_max_age = absl::ZeroDuration();
  // Samples held in memory before the queue blocks or drops (see below).
  int64_t capacity = 100000;
  // Largest number of samples in one WriteRequest.
  int64_t max_samples_per_send = 2000;
  // A partial batch is sent after waiting this long.
  absl::Duration batch_send_deadline = absl::Seconds(1);
  // Retry backoff after a failed stream, doubled up to max_backoff.
  absl::Duration min_backoff = absl::Milliseconds(30);
  absl::Duration max_backoff = absl::Seconds(5);
  // Requests written to the stream and awaiting their ack.
  int64_t max_in_flight = 8;
  // An ack older than this ends the stream; unacked requests are resent.
  absl::Duration ack_timeout = absl::Seconds(30);
  // Every target's metric metadata is sent this often (0: never).
  absl::Duration metadata_send_interval = absl::Minutes(1);
  // How long promscrape_stop waits for queued samples to be acknowledged.
  absl::Duration flush_timeout = absl::Seconds(10);
};

// The plugin's own metrics, appended like a scraped target's samples.
struct SelfMetricsConfig {
  bool enabled = true;
  absl::Duration interval = absl::Seconds(15);
  std::string job = "promscrape";
};

// `cluster:`: several plugin instances share one target set through etcd;
// each scrapes the targets it owns (plugin/cluster). Absent: the plugin
// scrapes every target, as without clustering.
struct ClusterConfig {
  bool enabled = false;
  // etcd's client addresses ("host:port"), tried in turn.
  std::vector<std::string> etcd_endpoints;
  // The cluster's key prefix in etcd; members with the same name share
  // targets.
  std::string name;
  // This member's id; empty: "<host name>/<control address>".
  std::string member_id;
  // Distinct members scraping each target.
  int64_t replication_factor = 1;
  // TTL of the member's lease: a dead member's targets move after it, and a
  // member cut off from etcd stops owning targets after it (fail static
  // until then).
  absl::Duration lease_ttl = absl::Seconds(10);
  // With replication_factor > 1, each copy of a target carries this label
  // with its replica rank ("0", "1", ...), so the database can deduplicate.
  std::string replica_label = "promscrape_replica";
  // Assignment's bounded-load factor: no member owns more than
  // ceil(load_bound x the mean share) targets. At least 1.0.
  double load_bound = 1.05;
  // How long an old owner keeps scraping a target that moved when the new
  // owner never says it is ready. Zero (the default): two of the job's
  // scrape intervals plus lease_ttl.
  absl::Duration handover_timeout = absl::ZeroDuration();
  // TLS to etcd (https endpoints): CA, optional client certificate.
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  // etcd authentication (etcd's Auth/Authenticate); empty: none.
  std::string username;
  std::string password;
};

// `control_tls`: the control API served over TLS. With `client_ca_file`, a
// client must present a certificate signed by that CA (mutual TLS) before
// any RPC, health checks and reflection included.
struct ControlTlsConfig {
  // PEM files; cert_file and key_file go together. All empty: plaintext.
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;

  bool enabled() const { return !cert_file.empty(); }
};

// The YAML document a host hands to promscrape_start. Every key is optional;
// unknown keys are errors so a typo never silently falls back to a default.
struct PluginConfig {
  std::string control_listen = "127.0.0.1:9901";
  // When set, ScrapeControl calls must carry "authorization: Bearer <token>".
  std::string control_auth_token;
  ControlTlsConfig control_tls;
  // A prometheus.yml whose global and scrape_configs are applied at start.
  std::string scrape_config_file;
  // How often scrape_config_file is read again and, when its content
  // changed, re-applied (Prometheus 3.x' config auto-reload and its
  // --config.auto-reload-interval default). Zero: never.
  absl::Duration scrape_config_reload_interval = absl::Seconds(30);
  // Minimum time between applying target updates (Prometheus: 5s); the
  // first update waits for the first reload_interval after start.
  absl::Duration reload_interval = absl::Seconds(5);
  // Prometheus' scrape manager options (scrape.Options): the first target
  // update applies at once (DiscoveryReloadOnStartup); every target is
  // scraped once more when scraping stops (ScrapeOnShutdown); a fixed delay
  // before every target's first scrape, on top of its hashed offset
  // (InitialScrapeOffset).
  bool reload_on_startup = false;
  bool scrape_on_shutdown = false;
  absl::Duration initial_scrape_offset;
  // `prometheus_compat`: "3" (default) for Prometheus 3.x semantics, "2" to
  // keep every behaviour pinned against Prometheus 2.42. Applies to the
  // scrape_config_file and to every config applied later (ApplyConfig).
  PrometheusCompat prometheus_compat = kDefaultPrometheusCompat;
  // `start_timestamps`: "ignore" (default), "attach" or "zero_sample". The
  // last two also make PrometheusProto the first default scrape protocol,
  // as those 3.x feature flags do.
  StartTimestampMode start_timestamps = StartTimestampMode::kIgnore;
  RemoteWriteConfig remote_write;
  SelfMetricsConfig self_metrics;
  ClusterConfig cluster;
};

// Parses and validates the plugin config. An empty document gives the
// defaults. Errors are kInvalidArgument and name the key path, e.g.
// `remote_write.capacity: must be positive, got "-1"` or
// `unknown key "contrl_listen"`.
absl::StatusOr<PluginConfig> ParsePluginConfig(absl::string_view yaml);

// Parses a duration in Prometheus' syntax as far as the plugin config needs
// it: a sequence of <integer><unit> with units ms, s, m, h, d, w, y, or "0".
absl::StatusOr<absl::Duration> ParsePluginDuration(absl::string_view text);

}  // namespace promscrape::config

#endif  // PLUGIN_CONFIG_PLUGIN_CONFIG_H_
