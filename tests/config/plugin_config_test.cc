#include "plugin/config/plugin_config.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::config {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PluginConfigTest, MinimalConfigGetsDefaults) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PluginConfig c, ParsePluginConfig("remote_write: {target: 127.0.0.1:9902}"));
  EXPECT_EQ(c.control_listen, "127.0.0.1:9901");
  EXPECT_EQ(c.remote_write.target, "127.0.0.1:9902");
  EXPECT_EQ(c.reload_interval, absl::Seconds(5));
  EXPECT_TRUE(c.self_metrics.enabled);
  EXPECT_EQ(c.self_metrics.job, "promscrape");
  EXPECT_TRUE(c.control_auth_token.empty());
  EXPECT_FALSE(c.reload_on_startup);
  EXPECT_FALSE(c.scrape_on_shutdown);
  EXPECT_EQ(c.initial_scrape_offset, absl::ZeroDuration());
  EXPECT_FALSE(c.cluster.enabled);
}

TEST(PluginConfigTest, ClusterKeysAreRead) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PluginConfig c,
      ParsePluginConfig("remote_write: {target: 127.0.0.1:9902}\n"
                        "cluster:\n"
                        "  etcd_endpoints: [127.0.0.1:2379, 127.0.0.1:22379]\n"
                        "  name: scrapers\n"
                        "  member_id: m1\n"
                        "  replication_factor: 2\n"
                        "  lease_ttl: 5s\n"
                        "  replica_label: rep\n"
                        "  load_bound: 1.25\n"
                        "  handover_timeout: 45s\n"
                        "  username: u\n"
                        "  password: p\n"));
  EXPECT_TRUE(c.cluster.enabled);
  EXPECT_EQ(c.cluster.etcd_endpoints,
            (std::vector<std::string>{"127.0.0.1:2379", "127.0.0.1:22379"}));
  EXPECT_EQ(c.cluster.name, "scrapers");
  EXPECT_EQ(c.cluster.member_id, "m1");
  EXPECT_EQ(c.cluster.replication_factor, 2);
  EXPECT_EQ(c.cluster.lease_ttl, absl::Seconds(5));
  EXPECT_EQ(c.cluster.replica_label, "rep");
  EXPECT_EQ(c.cluster.load_bound, 1.25);
  EXPECT_EQ(c.cluster.handover_timeout, absl::Seconds(45));
  EXPECT_EQ(c.cluster.username, "u");
  EXPECT_FALSE(c.cluster.tls);
}

TEST(PluginConfigTest, ClusterDefaults) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PluginConfig c,
      ParsePluginConfig("remote_write: {target: 127.0.0.1:9902}\n"
                        "cluster: {etcd_endpoints: [127.0.0.1:2379], name: s}"));
  EXPECT_EQ(c.cluster.replication_factor, 1);
  EXPECT_EQ(c.cluster.lease_ttl, absl::Seconds(10));
  EXPECT_EQ(c.cluster.replica_label, "promscrape_replica");
  EXPECT_TRUE(c.cluster.member_id.empty());
  EXPECT_EQ(c.cluster.load_bound, 1.05);
  // Zero: two scrape intervals plus lease_ttl, per job.
  EXPECT_EQ(c.cluster.handover_timeout, absl::ZeroDuration());
}

TEST(PluginConfigTest, EveryKeyIsRead) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(PluginConfig c, ParsePluginConfig(R"(
control_listen: 0.0.0.0:19901
control_auth_token: s3cret
scrape_config_file: /etc/prometheus/prometheus.yml
reload_interval: 1m30s
reload_on_startup: true
scrape_on_shutdown: true
initial_scrape_offset: 1m30s
remote_write:
  target: tsdb:9902
  wal_dir: /var/lib/promscrape/wal
  capacity: 5000
  max_samples_per_send: 500
  batch_send_deadline: 250ms
  min_backoff: 10ms
  max_backoff: 1m
  flush_timeout: 0s
  max_in_flight: 3
  ack_timeout: 2s
  metadata_send_interval: 0s
self_metrics:
  enabled: false
  interval: 30s
  job: scraper
)"));
  EXPECT_EQ(c.control_listen, "0.0.0.0:19901");
  EXPECT_EQ(c.control_auth_token, "s3cret");
  EXPECT_EQ(c.scrape_config_file, "/etc/prometheus/prometheus.yml");
  EXPECT_EQ(c.reload_interval, absl::Seconds(90));
  EXPECT_TRUE(c.reload_on_startup);
  EXPECT_TRUE(c.scrape_on_shutdown);
  EXPECT_EQ(c.initial_scrape_offset, absl::Seconds(90));
  EXPECT_EQ(c.remote_write.wal_dir, "/var/lib/promscrape/wal");
  EXPECT_EQ(c.remote_write.capacity, 5000);
  EXPECT_EQ(c.remote_write.max_samples_per_send, 500);
  EXPECT_EQ(c.remote_write.batch_send_deadline, absl::Milliseconds(250));
  EXPECT_EQ(c.remote_write.min_backoff, absl::Milliseconds(10));
  EXPECT_EQ(c.remote_write.max_backoff, absl::Minutes(1));
  EXPECT_EQ(c.remote_write.flush_timeout, absl::ZeroDuration());
  EXPECT_EQ(c.remote_write.max_in_flight, 3);
  EXPECT_EQ(c.remote_write.ack_timeout, absl::Seconds(2));
  EXPECT_EQ(c.remote_write.metadata_send_interval, absl::ZeroDuration());
  EXPECT_FALSE(c.self_metrics.enabled);
  EXPECT_EQ(c.self_metrics.interval, absl::Seconds(30));
  EXPECT_EQ(c.self_metrics.job, "scraper");
}

TEST(PluginConfigTest, ControlTlsIsRead) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PluginConfig config,
      ParsePluginConfig("remote_write: {target: a:1}\n"
                        "control_tls: {cert_file: /c.pem, key_file: /k.pem, "
                        "client_ca_file: /ca.pem}\n"));
  EXPECT_TRUE(config.control_tls.enabled());
  EXPECT_EQ(config.control_tls.cert_file, "/c.pem");
  EXPECT_EQ(config.control_tls.key_file, "/k.pem");
  EXPECT_EQ(config.control_tls.client_ca_file, "/ca.pem");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PluginConfig plain, ParsePluginConfig("remote_write: {target: a:1}\n"));
  EXPECT_FALSE(plain.control_tls.enabled());
}

TEST(PluginConfigTest, ErrorsNameTheKey) {
  struct Case {
    std::string name;
    std::string yaml;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"cluster without endpoints", "remote_write: {target: a:1}\ncluster: {name: s}",
       "cluster.etcd_endpoints: required"},
      {"cluster bad endpoint",
       "remote_write: {target: a:1}\ncluster: {name: s, etcd_endpoints: [etcd]}",
       "cluster.etcd_endpoints[0]: want \"host:port\", got \"etcd\""},
      {"cluster without name",
       "remote_write: {target: a:1}\ncluster: {etcd_endpoints: [a:1]}",
       "cluster.name: required"},
      {"cluster short lease",
       "remote_write: {target: a:1}\ncluster: {etcd_endpoints: [a:1], name: s, "
       "lease_ttl: 500ms}",
       "cluster.lease_ttl: must be whole seconds, at least 2s, got \"500ms\""},
      {"cluster reserved replica label",
       "remote_write: {target: a:1}\ncluster: {etcd_endpoints: [a:1], name: s, "
       "replica_label: __replica__}",
       "cluster.replica_label: must be a label name"},
      {"cluster load bound below one",
       "remote_write: {target: a:1}\ncluster: {etcd_endpoints: [a:1], name: s, "
       "load_bound: 0.9}",
       "cluster.load_bound: must be a number >= 1.0, got \"0.9\""},
      {"cluster load bound not a number",
       "remote_write: {target: a:1}\ncluster: {etcd_endpoints: [a:1], name: s, "
       "load_bound: nan}",
       "cluster.load_bound: must be a number >= 1.0, got \"nan\""},
      {"cluster load bound a list",
       "remote_write: {target: a:1}\ncluster: {etcd_endpoints: [a:1], name: s, "
       "load_bound: [2]}",
       "cluster.load_bound: must be a number >= 1.0"},
      {"cluster zero handover timeout",
       "remote_write: {target: a:1}\ncluster: {etcd_endpoints: [a:1], name: s, "
       "handover_timeout: 0s}",
       "cluster.handover_timeout: must be greater than zero"},
      {"cluster bad handover timeout",
       "remote_write: {target: a:1}\ncluster: {etcd_endpoints: [a:1], name: s, "
       "handover_timeout: soon}",
       "cluster.handover_timeout"},
      {"control_tls key without cert",
       "remote_write: {target: a:1}\ncontrol_tls: {key_file: k.pem}",
       "control_tls.cert_file: required with control_tls"},
      {"control_tls cert without key",
       "remote_write: {target: a:1}\ncontrol_tls: {cert_file: c.pem}",
       "control_tls.key_file: required with control_tls"},
      {"control_tls unknown key",
       "remote_write: {target: a:1}\ncontrol_tls: {cert_file: c, key_file: k, "
       "ca_file: x}",
       "unknown key \"ca_file\" in control_tls"},
      {"unknown top-level key", "contrl_listen: x\nremote_write: {target: a:1}",
       "unknown key \"contrl_listen\""},
      {"unknown nested key", "remote_write: {target: a:1, capasity: 3}",
       "unknown key \"capasity\" in remote_write"},
      {"every unknown key at once",
       "remote_write: {target: a:1, capasity: 3, walldir: x}",
       "unknown key \"capasity\", \"walldir\" in remote_write"},
      {"missing target", "control_listen: 127.0.0.1:1",
       "remote_write.target: required"},
      {"bad listen", "control_listen: localhost\nremote_write: {target: a:1}",
       "control_listen: want \"host:port\", got \"localhost\""},
      {"negative capacity", "remote_write: {target: a:1, capacity: -1}",
       "remote_write.capacity: must be positive, got \"-1\""},
      {"not an integer", "remote_write: {target: a:1, capacity: lots}",
       "remote_write.capacity: must be an integer, got \"lots\""},
      {"bad duration", "reload_interval: 5 seconds\nremote_write: {target: a:1}",
       "reload_interval: not a valid duration string: \"5 seconds\""},
      {"unknown unit", "reload_interval: 5x\nremote_write: {target: a:1}",
       "unknown unit \"x\" in duration \"5x\""},
      {"zero interval",
       "self_metrics: {interval: 0s}\nremote_write: {target: a:1}",
       "self_metrics.interval: must be greater than zero"},
      {"bad bool", "self_metrics: {enabled: maybe}\nremote_write: {target: a:1}",
       "self_metrics.enabled: must be true or false"},
      {"backoff order",
       "remote_write: {target: a:1, min_backoff: 2s, max_backoff: 1s}",
       "remote_write.max_backoff: must not be less than min_backoff"},
      {"bad scrape_on_shutdown",
       "scrape_on_shutdown: yes please\nremote_write: {target: a:1}",
       "scrape_on_shutdown: must be true or false"},
      {"bad reload_on_startup",
       "reload_on_startup: 1\nremote_write: {target: a:1}",
       "reload_on_startup: must be true or false"},
      {"bad initial_scrape_offset",
       "initial_scrape_offset: 10 s\nremote_write: {target: a:1}",
       "initial_scrape_offset: not a valid duration string: \"10 s\""},
      {"negative initial_scrape_offset",
       "initial_scrape_offset: -5s\nremote_write: {target: a:1}",
       "initial_scrape_offset: not a valid duration string: \"-5s\""},
      {"initial_scrape_offset not a scalar",
       "initial_scrape_offset: [1s]\nremote_write: {target: a:1}",
       "initial_scrape_offset: must be a duration"},
      {"not a mapping", "- a\n- b", "config: must be a mapping"},
      {"bad yaml", "remote_write: {target: [", "invalid YAML"},
      {"section not a mapping", "remote_write: 3", "remote_write: must be a mapping"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParsePluginConfig(c.yaml),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(c.error)));
  }
}

TEST(PluginConfigTest, PrometheusCompatDefaultsToThree) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PluginConfig c, ParsePluginConfig("remote_write: {target: 127.0.0.1:9902}"));
  EXPECT_EQ(c.prometheus_compat, PrometheusCompat::kV3);
}

TEST(PluginConfigTest, PrometheusCompatAcceptsTwoAndThreeQuotedOrNot) {
  struct Case {
    const char* value;
    PrometheusCompat want;
  } const cases[] = {{"\"2\"", PrometheusCompat::kV2},
                     {"2", PrometheusCompat::kV2},
                     {"\"3\"", PrometheusCompat::kV3},
                     {"3", PrometheusCompat::kV3}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
        PluginConfig config,
        ParsePluginConfig(absl::StrCat("prometheus_compat: ", c.value,
                                       "\nremote_write: {target: h:1}")));
    EXPECT_EQ(config.prometheus_compat, c.want);
  }
}

TEST(PluginConfigTest, StartTimestampsModes) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PluginConfig defaults, ParsePluginConfig("remote_write: {target: h:1}"));
  EXPECT_EQ(defaults.start_timestamps, StartTimestampMode::kIgnore);
  struct Case {
    const char* value;
    StartTimestampMode want;
  } const cases[] = {{"ignore", StartTimestampMode::kIgnore},
                     {"attach", StartTimestampMode::kAttach},
                     {"\"zero_sample\"", StartTimestampMode::kZeroSample}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
        PluginConfig config,
        ParsePluginConfig(absl::StrCat("start_timestamps: ", c.value,
                                       "\nremote_write: {target: h:1}")));
    EXPECT_EQ(config.start_timestamps, c.want);
  }
  EXPECT_THAT(ParsePluginConfig("start_timestamps: on\n"
                                "remote_write: {target: h:1}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("start_timestamps: must be \"ignore\", "
                                 "\"attach\" or \"zero_sample\", got \"on\"")));
}

TEST(PluginConfigTest, PrometheusCompatRejectsOtherValuesNamingTheKey) {
  for (const char* value : {"4", "\"2.42\"", "\"\"", "[2]", "v3"}) {
    SCOPED_TRACE(value);
    EXPECT_THAT(
        ParsePluginConfig(absl::StrCat("prometheus_compat: ", value,
                                       "\nremote_write: {target: h:1}")),
        StatusIs(absl::StatusCode::kInvalidArgument,
                 HasSubstr("prometheus_compat: ")));
  }
  EXPECT_THAT(ParsePluginConfig("prometheus_compat: 4\n"
                                "remote_write: {target: h:1}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("prometheus_compat: must be \"2\" or \"3\", "
                                 "got \"4\"")));
}

TEST(PluginConfigTest, RemoteWriteProtocolDefaultsToAuto) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PluginConfig c, ParsePluginConfig("remote_write: {target: h:1}"));
  EXPECT_EQ(c.remote_write.protocol, RemoteWriteProtocol::kAuto);
}

TEST(PluginConfigTest, RemoteWriteProtocolIsRead) {
  const std::vector<std::pair<std::string, RemoteWriteProtocol>> cases = {
      {"auto", RemoteWriteProtocol::kAuto},
      {"v1", RemoteWriteProtocol::kV1},
      {"v2", RemoteWriteProtocol::kV2}};
  for (const auto& [value, want] : cases) {
    SCOPED_TRACE(value);
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
        PluginConfig c,
        ParsePluginConfig(absl::StrCat("remote_write: {target: h:1, protocol: ",
                                       value, "}")));
    EXPECT_EQ(c.remote_write.protocol, want);
  }
}

TEST(PluginConfigTest, RemoteWriteProtocolRejectsOtherValuesNamingTheKey) {
  EXPECT_THAT(
      ParsePluginConfig("remote_write: {target: h:1, protocol: \"2.0\"}"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("remote_write.protocol: must be \"auto\", \"v1\" "
                         "or \"v2\", got \"2.0\"")));
}

TEST(PluginDurationTest, PrometheusSyntax) {
  struct Case {
    std::string text;
    absl::Duration want;
  };
  for (const Case& c : std::vector<Case>{
           {"0", absl::ZeroDuration()},
           {"500ms", absl::Milliseconds(500)},
           {"1h30m", absl::Minutes(90)},
           {"2d", absl::Hours(48)},
           {"1w", absl::Hours(168)},
           {"1y", absl::Hours(24 * 365)},
           {"1m1s1ms", absl::Milliseconds(61001)},
       }) {
    SCOPED_TRACE(c.text);
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(absl::Duration d,
                                    ParsePluginDuration(c.text));
    EXPECT_EQ(d, c.want);
  }
  for (const char* bad : {"", "1.5s", "-1s", "30m1h", "1", "s", "1h 30m"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(ParsePluginDuration(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("")));
    EXPECT_FALSE(ParsePluginDuration(bad).ok());
  }
}

}  // namespace
}  // namespace promscrape::config
