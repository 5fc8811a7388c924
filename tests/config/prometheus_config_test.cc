#include "plugin/config/prometheus_config.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::config {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// These tests pin Prometheus 2.42's behaviour (prometheus_compat "2");
// prometheus3_config_test covers "3".
PrometheusConfig MustParse(const std::string& yaml,
                           const std::string& dir = "/etc/prom") {
  auto cfg = ParsePrometheusConfig(yaml, dir, PrometheusCompat::kV2);
  EXPECT_TRUE(cfg.ok()) << cfg.status();
  return cfg.ok() ? *std::move(cfg) : PrometheusConfig{};
}

TEST(PrometheusConfigTest, EmptyDocumentGivesDefaults) {
  PrometheusConfig cfg = MustParse("");
  EXPECT_EQ(cfg.global.scrape_interval, absl::Minutes(1));
  EXPECT_EQ(cfg.global.scrape_timeout, absl::Seconds(10));
  EXPECT_EQ(cfg.global.evaluation_interval, absl::Minutes(1));
  EXPECT_TRUE(cfg.scrape_configs.empty());
}

TEST(PrometheusConfigTest, ScrapeConfigDefaults) {
  PrometheusConfig cfg = MustParse("scrape_configs:\n- job_name: node\n");
  ASSERT_EQ(cfg.scrape_configs.size(), 1u);
  const ScrapeConfig& sc = cfg.scrape_configs[0];
  EXPECT_EQ(sc.job_name, "node");
  EXPECT_FALSE(sc.honor_labels);
  EXPECT_TRUE(sc.honor_timestamps);
  EXPECT_FALSE(sc.track_timestamps_staleness);
  EXPECT_EQ(sc.scrape_interval, absl::Minutes(1));
  EXPECT_EQ(sc.scrape_timeout, absl::Seconds(10));
  EXPECT_EQ(sc.metrics_path, "/metrics");
  EXPECT_EQ(sc.scheme, "http");
  EXPECT_TRUE(sc.enable_compression);
  EXPECT_TRUE(sc.http_client.follow_redirects);
  EXPECT_TRUE(sc.http_client.enable_http2);
  EXPECT_THAT(sc.scrape_protocols,
              ElementsAre("OpenMetricsText1.0.0", "OpenMetricsText0.0.1",
                          "PrometheusText0.0.4"));
  EXPECT_EQ(cfg.FindJob("node"), &cfg.scrape_configs[0]);
  EXPECT_EQ(cfg.FindJob("other"), nullptr);
}

TEST(PrometheusConfigTest, TimeoutDefaultsToMinOfGlobalTimeoutAndInterval) {
  PrometheusConfig cfg = MustParse(R"(
global:
  scrape_interval: 5s
scrape_configs:
- job_name: a
- job_name: b
  scrape_interval: 2s
- job_name: c
  scrape_interval: 1m
)");
  EXPECT_EQ(cfg.global.scrape_timeout, absl::Seconds(5));
  EXPECT_EQ(cfg.scrape_configs[0].scrape_timeout, absl::Seconds(5));
  EXPECT_EQ(cfg.scrape_configs[1].scrape_timeout, absl::Seconds(2));
  EXPECT_EQ(cfg.scrape_configs[2].scrape_timeout, absl::Seconds(5));
}

TEST(PrometheusConfigTest, EveryScrapeField) {
  PrometheusConfig cfg = MustParse(R"(
global:
  scrape_interval: 30s
  external_labels: {region: eu}
  body_size_limit: 1MB
  sample_limit: 7
  target_limit: 8
  label_limit: 9
  label_name_length_limit: 10
  label_value_length_limit: 11
  keep_dropped_targets: 12
  scrape_protocols: [PrometheusProto, PrometheusText0.0.4]
scrape_configs:
- job_name: full
  honor_labels: true
  honor_timestamps: false
  track_timestamps_staleness: true
  params: {module: [http_2xx, x]}
  scrape_interval: 20s
  scrape_timeout: 15s
  metrics_path: /probe
  scheme: https
  enable_compression: false
  body_size_limit: 2KiB
  sample_limit: 100
  native_histogram_bucket_limit: 160
  keep_dropped_targets: 3
  static_configs:
  - targets: [a:1, b:2]
    labels: {env: prod}
  file_sd_configs:
  - files: [sd/*.json]
  relabel_configs:
  - source_labels: [__address__]
    target_label: host
  metric_relabel_configs:
  - action: drop
    source_labels: [__name__]
    regex: go_.*
- job_name: inherits
)");
  const ScrapeConfig& sc = cfg.scrape_configs[0];
  EXPECT_TRUE(sc.honor_labels);
  EXPECT_FALSE(sc.honor_timestamps);
  EXPECT_TRUE(sc.track_timestamps_staleness);
  EXPECT_THAT(sc.params.at("module"), ElementsAre("http_2xx", "x"));
  EXPECT_EQ(sc.scrape_interval, absl::Seconds(20));
  EXPECT_EQ(sc.scrape_timeout, absl::Seconds(15));
  EXPECT_EQ(sc.metrics_path, "/probe");
  EXPECT_EQ(sc.scheme, "https");
  EXPECT_FALSE(sc.enable_compression);
  EXPECT_EQ(sc.limits.body_size_limit, 2048);
  EXPECT_EQ(sc.limits.sample_limit, 100u);
  EXPECT_EQ(sc.limits.target_limit, 8u);  // From global.
  EXPECT_EQ(sc.limits.keep_dropped_targets, 3u);
  EXPECT_EQ(sc.native_histogram_bucket_limit, 160u);
  EXPECT_THAT(sc.scrape_protocols,
              ElementsAre("PrometheusProto", "PrometheusText0.0.4"));
  ASSERT_EQ(sc.static_configs.size(), 1u);
  EXPECT_THAT(sc.static_configs[0].targets, ElementsAre("a:1", "b:2"));
  EXPECT_EQ(sc.static_configs[0].labels.Get("env"), "prod");
  ASSERT_EQ(sc.file_sd_configs.size(), 1u);
  EXPECT_THAT(sc.file_sd_configs[0].files, ElementsAre("/etc/prom/sd/*.json"));
  EXPECT_EQ(sc.file_sd_configs[0].refresh_interval, absl::Minutes(5));
  ASSERT_EQ(sc.relabel_rules.size(), 1u);
  ASSERT_EQ(sc.metric_relabel_rules.size(), 1u);
  EXPECT_EQ(sc.metric_relabel_configs[0].action, relabel::Action::kDrop);

  const ScrapeConfig& inherits = cfg.scrape_configs[1];
  EXPECT_EQ(inherits.limits.body_size_limit, 1 << 20);
  EXPECT_EQ(inherits.limits.sample_limit, 7u);
  EXPECT_EQ(inherits.limits.label_limit, 9u);
  EXPECT_EQ(inherits.limits.label_name_length_limit, 10u);
  EXPECT_EQ(inherits.limits.label_value_length_limit, 11u);
  EXPECT_EQ(inherits.limits.keep_dropped_targets, 12u);
  EXPECT_EQ(inherits.scrape_interval, absl::Seconds(30));
  EXPECT_THAT(inherits.scrape_protocols,
              ElementsAre("PrometheusProto", "PrometheusText0.0.4"));
  EXPECT_EQ(cfg.global.external_labels.Get("region"), "eu");
}

struct ErrorCase {
  const char* name;
  const char* yaml;
  const char* error;
};

TEST(PrometheusConfigTest, ErrorsNameJobAndField) {
  const ErrorCase cases[] = {
      {"timeout > interval",
       "scrape_configs:\n- job_name: a\n- job_name: b\n- job_name: node\n"
       "  scrape_interval: 10s\n  scrape_timeout: 20s\n",
       "scrape_configs[2] job \"node\": scrape_timeout 20s greater than "
       "scrape_interval 10s"},
      {"global timeout", "global:\n  scrape_timeout: 2m\n",
       "global: global scrape timeout greater than scrape interval"},
      {"unknown key", "scrape_configs:\n- job_name: a\n  foo: 1\n",
       "scrape_configs[0] job \"a\": line 3: field foo not found in type "
       "config.ScrapeConfig"},
      {"unknown top key", "foo: 1\n", "field foo not found"},
      {"duplicate key",
       "scrape_configs:\n- job_name: a\n  scheme: http\n  scheme: https\n",
       "field scheme already set"},
      {"missing job", "scrape_configs:\n- scrape_interval: 1s\n",
       "scrape_configs[0]: job_name is empty"},
      {"duplicate job", "scrape_configs:\n- job_name: a\n- job_name: a\n",
       "scrape_configs[1] job \"a\": found multiple scrape configs with job "
       "name \"a\""},
      {"null entry", "scrape_configs:\n-\n",
       "empty or null scrape config section"},
      {"bad duration", "global:\n  scrape_interval: 1.5s\n",
       "global: scrape_interval: not a valid duration string: \"1.5s\""},
      {"bad size",
       "scrape_configs:\n- job_name: a\n  body_size_limit: 100\n",
       "body_size_limit: units: unknown unit  in 100"},
      {"bad bool",
       "scrape_configs:\n- job_name: a\n  honor_labels: 'true'\n",
       "honor_labels: line 3: cannot unmarshal !!str `true` into bool"},
      {"bad uint", "scrape_configs:\n- job_name: a\n  sample_limit: -1\n",
       "sample_limit: line 3: cannot unmarshal !!int `-1` into uint"},
      {"relabel index",
       "scrape_configs:\n- job_name: a\n  relabel_configs:\n"
       "  - target_label: x\n  - action: hashmod\n    target_label: y\n",
       "scrape_configs[0] job \"a\": relabel_configs[1]: relabel "
       "configuration for hashmod requires non-zero modulus"},
      {"relabel unknown action",
       "scrape_configs:\n- job_name: a\n  relabel_configs:\n"
       "  - action: Foo\n",
       "relabel_configs[0]: unknown relabel action \"Foo\""},
      {"null relabel",
       "scrape_configs:\n- job_name: a\n  metric_relabel_configs:\n  -\n",
       "metric_relabel_configs[0]: empty or null metric relabeling rule"},
      {"url target",
       "scrape_configs:\n- job_name: a\n  static_configs:\n"
       "  - targets: ['http://x:1']\n",
       "static_configs[0] targets: \"http://x:1\" is not a valid hostname"},
      {"null static",
       "scrape_configs:\n- job_name: a\n  static_configs:\n  -\n",
       "static_configs[0]: empty or null section in static_configs"},
      {"bad static label",
       "scrape_configs:\n- job_name: a\n  static_configs:\n"
       "  - labels: {a-b: c}\n",
       "\"a-b\" is not a valid label name"},
      {"file sd pattern",
       "scrape_configs:\n- job_name: a\n  file_sd_configs:\n"
       "  - files: [a.txt]\n",
       "file_sd_configs[0]: path name \"a.txt\" is not valid for file "
       "discovery"},
      {"unknown sd",
       "scrape_configs:\n- job_name: a\n  bogus_sd_configs: []\n",
       "field bogus_sd_configs not found"},
      {"http sd without url",
       "scrape_configs:\n- job_name: a\n  http_sd_configs:\n  - {}\n",
       "http_sd_configs[0]: URL is missing"},
      {"http sd bad scheme",
       "scrape_configs:\n- job_name: a\n  http_sd_configs:\n"
       "  - url: ftp://x/sd\n",
       "http_sd_configs[0]: URL scheme must be 'http' or 'https'"},
      {"http sd unknown key",
       "scrape_configs:\n- job_name: a\n  http_sd_configs:\n"
       "  - url: http://x/sd\n    foo: 1\n",
       "field foo not found"},
      {"protocols",
       "scrape_configs:\n- job_name: a\n  scrape_protocols: [Foo]\n",
       "scrape_protocols: unknown scrape protocol Foo"},
      {"protocols dup",
       "global:\n  scrape_protocols: [PrometheusProto, prometheusproto]\n",
       "duplicated protocol in scrape_protocols"},
      {"protocols empty",
       "scrape_configs:\n- job_name: a\n  scrape_protocols: []\n",
       "scrape_protocols cannot be empty for scrape config with job name "
       "\"a\""},
      {"external label", "global:\n  external_labels: {a-b: c}\n",
       "\"a-b\" is not a valid label name"},
      {"bearer both",
       "scrape_configs:\n- job_name: a\n  bearer_token: x\n"
       "  bearer_token_file: y\n",
       "at most one of bearer_token & bearer_token_file must be configured"},
      {"basic and bearer",
       "scrape_configs:\n- job_name: a\n  bearer_token: x\n"
       "  basic_auth: {username: u}\n",
       "at most one of basic_auth, oauth2, bearer_token & bearer_token_file "
       "must be configured"},
      {"authorization and basic",
       "scrape_configs:\n- job_name: a\n  authorization: {credentials: x}\n"
       "  basic_auth: {username: u}\n",
       "at most one of basic_auth, oauth2 & authorization must be "
       "configured"},
      {"authorization basic type",
       "scrape_configs:\n- job_name: a\n"
       "  authorization: {type: basic, credentials: x}\n",
       "authorization type cannot be set to \"basic\""},
      {"password both",
       "scrape_configs:\n- job_name: a\n"
       "  basic_auth: {username: u, password: p, password_file: f}\n",
       "at most one of basic_auth password & password_file must be "
       "configured"},
      {"oauth2 client id",
       "scrape_configs:\n- job_name: a\n"
       "  oauth2: {client_secret: s, token_url: http://t}\n",
       "oauth2 client_id must be configured"},
      {"oauth2 token url",
       "scrape_configs:\n- job_name: a\n"
       "  oauth2: {client_id: c, client_secret: s}\n",
       "oauth2 token_url must be configured"},
      {"tls version",
       "scrape_configs:\n- job_name: a\n  tls_config: {min_version: TLS14}\n",
       "tls_config: unknown TLS version: TLS14"},
      {"proxy header",
       "scrape_configs:\n- job_name: a\n  proxy_connect_header: {a: [b]}\n",
       "if proxy_connect_header is configured proxy_url must also be "
       "configured"},
      {"no_proxy", "scrape_configs:\n- job_name: a\n  no_proxy: localhost\n",
       "if no_proxy is configured, proxy_url must also be configured"},
      {"oauth2 secret both",
       "scrape_configs:\n- job_name: a\n"
       "  oauth2: {client_id: c, client_secret: s, client_secret_file: f,\n"
       "           token_url: http://t}\n",
       "at most one of oauth2 client_secret & client_secret_file must be "
       "configured"},
      {"oauth2 secret missing",
       "scrape_configs:\n- job_name: a\n"
       "  oauth2: {client_id: c, token_url: http://t}\n",
       "either oauth2 client_secret or client_secret_file must be "
       "configured"},
      {"oauth2 unknown key",
       "scrape_configs:\n- job_name: a\n"
       "  oauth2: {client_id: c, client_secret: s, token_url: http://t,\n"
       "           no_proxy: x}\n",
       "field no_proxy not found"},
      {"oauth2 proxy url",
       "scrape_configs:\n- job_name: a\n"
       "  oauth2: {client_id: c, client_secret: s, token_url: http://t,\n"
       "           proxy_url: '://x'}\n",
       "missing protocol scheme"},
      {"oauth2 tls version",
       "scrape_configs:\n- job_name: a\n"
       "  oauth2: {client_id: c, client_secret: s, token_url: http://t,\n"
       "           tls_config: {min_version: TLS9}}\n",
       "unknown TLS version: TLS9"},
      {"proxy env and url",
       "scrape_configs:\n- job_name: a\n  proxy_from_environment: true\n"
       "  proxy_url: http://p:3128\n",
       "if proxy_from_environment is configured, proxy_url must not be "
       "configured"},
      {"proxy env and no_proxy",
       "scrape_configs:\n- job_name: a\n  proxy_from_environment: true\n"
       "  no_proxy: localhost\n",
       "if proxy_from_environment is configured, no_proxy must not be "
       "configured"},
      {"proxy header list",
       "scrape_configs:\n- job_name: a\n  proxy_url: http://p:3128\n"
       "  proxy_connect_header: {a: b}\n",
       "proxy_connect_header"},
      // Prometheus 2.42's HTTPClientConfig has no http_headers (added in
      // prometheus/common v0.49); refusing it beats ignoring it.
      {"http_headers",
       "scrape_configs:\n- job_name: a\n"
       "  http_headers: {X-A: {values: [b]}}\n",
       "field http_headers not found"},
      {"params", "scrape_configs:\n- job_name: a\n  params: {a: b}\n",
       "params: line 3: cannot unmarshal !!str `b` into []string"},
      {"yaml syntax", "global: {scrape_interval: 1s\n", "yaml: line"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParsePrometheusConfig(c.yaml, "", PrometheusCompat::kV2),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(c.error)));
  }
}

TEST(PrometheusConfigTest, ScrapeConfigEquality) {
  const char* base = "scrape_configs:\n- job_name: a\n  relabel_configs:\n"
                     "  - {target_label: x, replacement: y}\n";
  PrometheusConfig a = MustParse(base);
  PrometheusConfig b = MustParse(base);
  EXPECT_TRUE(a.scrape_configs[0] == b.scrape_configs[0]);
  PrometheusConfig c = MustParse(
      "scrape_configs:\n- job_name: a\n  relabel_configs:\n"
      "  - {target_label: x, replacement: z}\n");
  EXPECT_FALSE(a.scrape_configs[0] == c.scrape_configs[0]);
}

TEST(PrometheusConfigTest, BearerTokenBecomesAuthorization) {
  PrometheusConfig cfg = MustParse(
      "scrape_configs:\n- job_name: a\n  bearer_token: tok\n");
  const auto& http = cfg.scrape_configs[0].http_client;
  ASSERT_TRUE(http.authorization.has_value());
  EXPECT_EQ(http.authorization->type, "Bearer");
  EXPECT_EQ(*http.AuthorizationHeader(), "Bearer tok");
}

TEST(PrometheusConfigTest, ToYamlHidesSecrets) {
  PrometheusConfig cfg = MustParse(R"(
scrape_configs:
- job_name: a
  basic_auth: {username: user, password: hunter2}
- job_name: b
  authorization: {credentials: tok-123}
- job_name: c
  oauth2: {client_id: id, client_secret: oauth-secret, token_url: 'http://t'}
- job_name: d
  tls_config: {cert: CERT, key: private-key}
  proxy_url: http://p:1
  proxy_connect_header: {Proxy-Authorization: [Basic zzz]}
)");
  const std::string yaml = ToYaml(cfg);
  for (const char* secret :
       {"hunter2", "tok-123", "oauth-secret", "private-key", "zzz"}) {
    EXPECT_THAT(yaml, Not(HasSubstr(secret)));
  }
  EXPECT_THAT(yaml, HasSubstr("<secret>"));
  EXPECT_THAT(yaml, HasSubstr("username: user"));
  // The rendering is itself a loadable config with the same jobs.
  auto again = ParsePrometheusConfig(yaml, "", PrometheusCompat::kV2);
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << yaml;
  EXPECT_EQ(again->scrape_configs.size(), 4u);
}

TEST(HttpClientConfigTest, SecretFilesAreReadPerRequest) {
  const std::string dir = ::testing::TempDir();
  const std::string token = dir + "/token";
  const std::string password = dir + "/password";
  std::ofstream(token) << "first\n";
  std::ofstream(password) << " pw1 \n";
  PrometheusConfig cfg = MustParse(
      "scrape_configs:\n"
      "- job_name: a\n  bearer_token_file: token\n"
      "- job_name: b\n  basic_auth: {username: u, password_file: password}\n",
      dir);
  const auto& a = cfg.scrape_configs[0].http_client;
  const auto& b = cfg.scrape_configs[1].http_client;
  EXPECT_EQ(a.authorization->credentials_file, token);
  EXPECT_EQ(*a.AuthorizationHeader(), "Bearer first");
  EXPECT_EQ((*b.BasicAuthCredentials())->second, "pw1");
  std::ofstream(token) << "second\n";
  EXPECT_EQ(*a.AuthorizationHeader(), "Bearer second");
  std::remove(token.c_str());
  EXPECT_THAT(a.AuthorizationHeader(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unable to read file")));
  // Loading never needed the files.
  EXPECT_TRUE(ParsePrometheusConfig(
                  "scrape_configs:\n- job_name: a\n"
                  "  bearer_token_file: /nonexistent\n")
                  .ok());
}

TEST(PrometheusConfigTest, LoadFileResolvesRelativePaths) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/prometheus.yml";
  std::ofstream(path) << "scrape_configs:\n- job_name: a\n"
                         "  tls_config: {ca_file: ca.pem}\n";
  auto cfg = LoadPrometheusConfigFile(path);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->scrape_configs[0].http_client.tls_config.ca_file,
            dir + "/ca.pem");
  EXPECT_EQ(cfg->source_path, path);
  EXPECT_THAT(LoadPrometheusConfigFile(dir + "/missing.yml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot read config file")));
}

TEST(PrometheusConfigTest, Yaml11ScalarsLikeGo) {
  PrometheusConfig cfg = MustParse(
      "scrape_configs:\n- job_name: 123\n  honor_labels: yes\n"
      "  follow_redirects: off\n  sample_limit: 0x10\n"
      "  label_limit: 1e3\n");
  const ScrapeConfig& sc = cfg.scrape_configs[0];
  EXPECT_EQ(sc.job_name, "123");
  EXPECT_TRUE(sc.honor_labels);
  EXPECT_FALSE(sc.http_client.follow_redirects);
  EXPECT_EQ(sc.limits.sample_limit, 16u);
  EXPECT_EQ(sc.limits.label_limit, 1000u);
}

}  // namespace
}  // namespace promscrape::config
