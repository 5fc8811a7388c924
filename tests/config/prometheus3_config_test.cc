// prometheus.yml under prometheus_compat "3" against "2": the keys and
// defaults Prometheus 3.x' config package (config/config.go) has and 2.42
// does not. Each test names the upstream function or test it mirrors.
#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/config/http_client_config.h"
#include "plugin/config/prometheus_config.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::config {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<PrometheusConfig> Parse3(const std::string& yaml) {
  return ParsePrometheusConfig(yaml, "", PrometheusCompat::kV3);
}
absl::StatusOr<PrometheusConfig> Parse2(const std::string& yaml) {
  return ParsePrometheusConfig(yaml, "", PrometheusCompat::kV2);
}

// config.DefaultScrapeProtocols (3.x) vs 2.x' list.
TEST(Prometheus3ConfigTest, DefaultProtocolOrderIncludesText100) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(PrometheusConfig v3,
                                  Parse3("scrape_configs: [{job_name: a}]"));
  EXPECT_THAT(v3.scrape_configs[0].scrape_protocols,
              ElementsAre("OpenMetricsText1.0.0", "OpenMetricsText0.0.1",
                          "PrometheusText1.0.0", "PrometheusText0.0.4"));
  EXPECT_EQ(v3.scrape_configs[0].compat, PrometheusCompat::kV3);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(PrometheusConfig v2,
                                  Parse2("scrape_configs: [{job_name: a}]"));
  EXPECT_THAT(v2.scrape_configs[0].scrape_protocols,
              ElementsAre("OpenMetricsText1.0.0", "OpenMetricsText0.0.1",
                          "PrometheusText0.0.4"));
  EXPECT_EQ(v2.scrape_configs[0].compat, PrometheusCompat::kV2);
}

// ScrapeProtocol.Validate: PrometheusText1.0.0 is a 3.x protocol.
TEST(Prometheus3ConfigTest, PrometheusText100OnlyUnderThree) {
  const std::string yaml =
      "scrape_configs: [{job_name: a, scrape_protocols: "
      "[PrometheusText1.0.0]}]";
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(PrometheusConfig v3, Parse3(yaml));
  EXPECT_THAT(v3.scrape_configs[0].scrape_protocols,
              ElementsAre("PrometheusText1.0.0"));
  EXPECT_THAT(Parse2(yaml),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown scrape protocol PrometheusText1.0.0")));
  EXPECT_THAT(
      Parse3("global: {scrape_protocols: [Foo]}"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("unknown scrape protocol Foo, supported: "
                         "[OpenMetricsText0.0.1 OpenMetricsText1.0.0 "
                         "PrometheusProto PrometheusText0.0.4 "
                         "PrometheusText1.0.0]")));
}

// ScrapeConfig.Validate: fallback_scrape_protocol (3.x only).
TEST(Prometheus3ConfigTest, FallbackScrapeProtocol) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PrometheusConfig v3,
      Parse3("scrape_configs: [{job_name: a, fallback_scrape_protocol: "
             "PrometheusText0.0.4}]"));
  EXPECT_EQ(v3.scrape_configs[0].fallback_scrape_protocol,
            "PrometheusText0.0.4");
  EXPECT_THAT(
      Parse3("scrape_configs: [{job_name: a, fallback_scrape_protocol: "
             "text}]"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("invalid fallback_scrape_protocol for scrape config "
                         "with job name \"a\": unknown scrape protocol text")));
  EXPECT_THAT(Parse2("scrape_configs: [{job_name: a, "
                     "fallback_scrape_protocol: PrometheusText0.0.4}]"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("fallback_scrape_protocol")));
}

// TestGetScrapeConfigs / TestValidationScheme* in config_test.go: the job
// inherits the global scheme; escaping follows validation when blank.
TEST(Prometheus3ConfigTest, NameValidationDefaultsAndInheritance) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(PrometheusConfig d,
                                  Parse3("scrape_configs: [{job_name: a}]"));
  EXPECT_EQ(d.global.metric_name_validation_scheme,
            model::NameValidation::kUtf8);
  EXPECT_EQ(d.scrape_configs[0].metric_name_validation_scheme,
            model::NameValidation::kUtf8);
  EXPECT_EQ(d.scrape_configs[0].metric_name_escaping_scheme, "allow-utf-8");

  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PrometheusConfig g,
      Parse3("global: {metric_name_validation_scheme: legacy}\n"
             "scrape_configs: [{job_name: a}, {job_name: b, "
             "metric_name_validation_scheme: utf8}]"));
  EXPECT_EQ(g.scrape_configs[0].metric_name_validation_scheme,
            model::NameValidation::kLegacy);
  EXPECT_EQ(g.scrape_configs[0].metric_name_escaping_scheme, "underscores");
  EXPECT_EQ(g.scrape_configs[1].metric_name_validation_scheme,
            model::NameValidation::kUtf8);
  EXPECT_EQ(g.scrape_configs[1].metric_name_escaping_scheme, "allow-utf-8");

  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PrometheusConfig e,
      Parse3("scrape_configs: [{job_name: a, metric_name_validation_scheme: "
             "legacy, metric_name_escaping_scheme: dots}]"));
  EXPECT_EQ(e.scrape_configs[0].metric_name_escaping_scheme, "dots");
}

TEST(Prometheus3ConfigTest, NameValidationErrors) {
  struct Case {
    const char* name;
    const char* yaml;
    const char* error;
  } const cases[] = {
      // common's ValidationScheme.Set.
      {"unknown validation",
       "scrape_configs: [{job_name: a, metric_name_validation_scheme: x}]",
       "unrecognized ValidationScheme: \"x\""},
      {"unknown global validation",
       "global: {metric_name_validation_scheme: strict}",
       "unrecognized ValidationScheme: \"strict\""},
      // ScrapeConfig.Validate.
      {"allow-utf-8 with legacy",
       "scrape_configs: [{job_name: a, metric_name_validation_scheme: legacy, "
       "metric_name_escaping_scheme: allow-utf-8}]",
       "utf8 metric names requested but validation scheme is not set to UTF8"},
      {"unknown escaping",
       "scrape_configs: [{job_name: a, metric_name_escaping_scheme: x}]",
       "unknown scrape config name escaping method specified"},
      {"unknown global escaping",
       "global: {metric_name_escaping_scheme: x}",
       "unknown global name escaping method specified"},
      // relabel.Config.Validate with the legacy scheme.
      {"legacy target_label",
       "scrape_configs: [{job_name: a, metric_name_validation_scheme: legacy, "
       "relabel_configs: [{target_label: a.b, replacement: x}]}]",
       "\"a.b\" is invalid 'target_label' for replace action"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(Parse3(c.yaml), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr(c.error)));
  }
}

// 2.42 has no such keys: promtool refuses them as unknown fields.
TEST(Prometheus3ConfigTest, TwoRefusesThreeOnlyKeys) {
  for (const char* yaml :
       {"global: {metric_name_validation_scheme: utf8}",
        "global: {metric_name_escaping_scheme: dots}",
        "scrape_configs: [{job_name: a, metric_name_validation_scheme: utf8}]",
        "scrape_configs: [{job_name: a, metric_name_escaping_scheme: dots}]",
        "global: {scrape_failure_log_file: f.log}",
        "scrape_configs: [{job_name: a, scrape_failure_log_file: f.log}]"}) {
    SCOPED_TRACE(yaml);
    EXPECT_THAT(Parse2(yaml), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("not found in type")));
  }
}

// config.GlobalConfig/ScrapeConfig SetDirectory and Validate: the paths
// resolve against the config's directory; a job without its own inherits
// the global one.
TEST(Prometheus3ConfigTest, ScrapeFailureLogFileResolvesAndInherits) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PrometheusConfig c,
      ParsePrometheusConfig("global: {scrape_failure_log_file: all.log}\n"
                            "scrape_configs:\n"
                            "  - job_name: a\n"
                            "  - job_name: b\n"
                            "    scrape_failure_log_file: /var/log/b.log\n"
                            "  - job_name: c\n"
                            "    scrape_failure_log_file: sub/c.log\n",
                            "/etc/prom", PrometheusCompat::kV3));
  EXPECT_EQ(c.global.scrape_failure_log_file, "/etc/prom/all.log");
  ASSERT_EQ(c.scrape_configs.size(), 3u);
  EXPECT_EQ(c.scrape_configs[0].scrape_failure_log_file, "/etc/prom/all.log");
  EXPECT_EQ(c.scrape_configs[1].scrape_failure_log_file, "/var/log/b.log");
  EXPECT_EQ(c.scrape_configs[2].scrape_failure_log_file,
            "/etc/prom/sub/c.log");
  EXPECT_THAT(ToYaml(c), HasSubstr("scrape_failure_log_file: /etc/prom/all.log"));
}

// prometheus/common config.Headers (3.x' HTTPClientConfig.HTTPHeaders):
// names canonicalised, reserved names refused, files must be readable.
TEST(Prometheus3ConfigTest, HttpHeaders) {
  const std::string file =
      std::string(std::getenv("TEST_TMPDIR")) + "/tenant_header";
  std::ofstream(file) << "t1\n";
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PrometheusConfig c,
      Parse3("scrape_configs: [{job_name: a, http_headers: {"
             "x-scope-orgid: {values: [a, b], secrets: [s]}, "
             "X-Tenant: {files: [" + file + "]}}}]"));
  ASSERT_EQ(c.scrape_configs.size(), 1u);
  const auto& headers = c.scrape_configs[0].http_client.http_headers;
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_THAT(headers.at("X-Scope-Orgid").values, ElementsAre("a", "b"));
  EXPECT_THAT(headers.at("X-Scope-Orgid").secrets, ElementsAre("s"));
  EXPECT_THAT(headers.at("X-Tenant").files, ElementsAre(file));
  // The secret never comes back out.
  EXPECT_THAT(ToYaml(c), ::testing::Not(HasSubstr(": s\n")));
  EXPECT_THAT(ToYaml(c), HasSubstr("<secret>"));

  EXPECT_THAT(
      Parse3("scrape_configs: [{job_name: a, http_headers: "
             "{user-agent: {values: [x]}}}]"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("setting header \"User-Agent\" is not allowed")));
  EXPECT_THAT(
      Parse3("scrape_configs: [{job_name: a, http_headers: "
             "{X-A: {files: [/nonexistent/header]}}}]"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("unable to read header \"X-A\" from file")));
  EXPECT_THAT(Parse3("scrape_configs: [{job_name: a, http_headers: "
                     "{X-A: {value: [x]}}}]"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not found in type config.Header")));
  EXPECT_THAT(Parse3("scrape_configs: [{job_name: a, http_headers: "
                     "{\"bad header\": {values: [x]}}}]"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid header name")));
  // 2.42 has no http_headers.
  EXPECT_THAT(Parse2("scrape_configs: [{job_name: a, http_headers: "
                     "{X-A: {values: [x]}}}]"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not found in type")));
}

// GlobalConfig.ExtraScrapeMetrics, inherited by ScrapeConfig.Validate when
// the job does not set it.
TEST(Prometheus3ConfigTest, ExtraScrapeMetricsInheritsFromGlobal) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PrometheusConfig c,
      Parse3("global: {extra_scrape_metrics: true}\n"
             "scrape_configs: [{job_name: a}, "
             "{job_name: b, extra_scrape_metrics: false}]"));
  EXPECT_TRUE(c.scrape_configs[0].extra_scrape_metrics);
  EXPECT_FALSE(c.scrape_configs[1].extra_scrape_metrics);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PrometheusConfig d, Parse3("scrape_configs: [{job_name: a}]"));
  EXPECT_FALSE(d.scrape_configs[0].extra_scrape_metrics);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(PrometheusConfig again, Parse3(ToYaml(c)));
  EXPECT_EQ(again.scrape_configs[0], c.scrape_configs[0]);
  EXPECT_EQ(again.scrape_configs[1], c.scrape_configs[1]);
  EXPECT_THAT(Parse2("global: {extra_scrape_metrics: true}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not found in type")));
}

// config.ScrapeConfig.Validate and DefaultGlobalConfig: the three native
// histogram switches default to false, a job without its own key takes the
// global one, and its own key wins (TestLoadConfig's expected jobs carry
// ScrapeNativeHistograms/AlwaysScrapeClassicHistograms/
// ConvertClassicHistogramsToNHCB resolved this way).
TEST(Prometheus3ConfigTest, NativeHistogramKeysInheritFromGlobal) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(PrometheusConfig d,
                                  Parse3("scrape_configs: [{job_name: a}]"));
  EXPECT_FALSE(d.global.scrape_native_histograms);
  EXPECT_FALSE(d.scrape_configs[0].scrape_native_histograms);
  EXPECT_FALSE(d.scrape_configs[0].always_scrape_classic_histograms);
  EXPECT_FALSE(d.scrape_configs[0].convert_classic_histograms_to_nhcb);

  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PrometheusConfig c,
      Parse3("global: {scrape_native_histograms: true, "
             "always_scrape_classic_histograms: true, "
             "convert_classic_histograms_to_nhcb: true}\n"
             "scrape_configs: [{job_name: a}, "
             "{job_name: b, scrape_native_histograms: false, "
             "always_scrape_classic_histograms: false, "
             "convert_classic_histograms_to_nhcb: false}]"));
  EXPECT_TRUE(c.scrape_configs[0].scrape_native_histograms);
  EXPECT_TRUE(c.scrape_configs[0].always_scrape_classic_histograms);
  EXPECT_TRUE(c.scrape_configs[0].convert_classic_histograms_to_nhcb);
  EXPECT_FALSE(c.scrape_configs[1].scrape_native_histograms);
  EXPECT_FALSE(c.scrape_configs[1].always_scrape_classic_histograms);
  EXPECT_FALSE(c.scrape_configs[1].convert_classic_histograms_to_nhcb);
  // GetConfig's rendering keeps both jobs as they are.
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(PrometheusConfig again, Parse3(ToYaml(c)));
  EXPECT_EQ(again.global, c.global);
  EXPECT_EQ(again.scrape_configs[0], c.scrape_configs[0]);
  EXPECT_EQ(again.scrape_configs[1], c.scrape_configs[1]);

  EXPECT_THAT(Parse3("scrape_configs: [{job_name: a, "
                     "scrape_native_histograms: maybe}]"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("scrape_native_histograms")));
}

// config.ScrapeConfig.Validate: with no scrape_protocols in the job or in
// global, a job scraping native histograms asks for protobuf first
// (DefaultProtoFirstScrapeProtocols; TestLoadConfig's "hetzner" job); an
// explicit global list wins over that choice.
TEST(Prometheus3ConfigTest, ProtoFirstProtocolsWhenScrapingNativeHistograms) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PrometheusConfig c,
      Parse3("scrape_configs: [{job_name: a, scrape_native_histograms: "
             "true}, {job_name: b}]"));
  EXPECT_THAT(c.scrape_configs[0].scrape_protocols,
              ElementsAre("PrometheusProto", "OpenMetricsText1.0.0",
                          "OpenMetricsText0.0.1", "PrometheusText1.0.0",
                          "PrometheusText0.0.4"));
  EXPECT_THAT(c.scrape_configs[1].scrape_protocols,
              ElementsAre("OpenMetricsText1.0.0", "OpenMetricsText0.0.1",
                          "PrometheusText1.0.0", "PrometheusText0.0.4"));

  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PrometheusConfig g,
      Parse3("global: {scrape_native_histograms: true}\n"
             "scrape_configs: [{job_name: a}, "
             "{job_name: b, scrape_native_histograms: false}]"));
  EXPECT_EQ(g.scrape_configs[0].scrape_protocols[0], "PrometheusProto");
  EXPECT_EQ(g.scrape_configs[1].scrape_protocols[0], "OpenMetricsText1.0.0");

  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PrometheusConfig explicit_global,
      Parse3("global: {scrape_protocols: [PrometheusText0.0.4]}\n"
             "scrape_configs: [{job_name: a, scrape_native_histograms: "
             "true}]"));
  EXPECT_THAT(explicit_global.scrape_configs[0].scrape_protocols,
              ElementsAre("PrometheusText0.0.4"));
}

// 3.0 renamed scrape_classic_histograms to always_scrape_classic_histograms
// (3.x' config.ScrapeConfig has no field for the old name, so it is an
// unknown field there); 2.x' config knows only the old name and none of the
// 3.x switches.
TEST(Prometheus3ConfigTest, ScrapeClassicHistogramsIsTheTwoSpelling) {
  EXPECT_THAT(Parse3("scrape_configs: [{job_name: a, "
                     "scrape_classic_histograms: true}]"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("scrape_classic_histograms not found in "
                                 "type")));
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PrometheusConfig v2, Parse2("scrape_configs: [{job_name: a, "
                                  "scrape_classic_histograms: true}]"));
  EXPECT_TRUE(v2.scrape_configs[0].always_scrape_classic_histograms);
  // 2.x as before: native histograms are scraped when sent; text first.
  EXPECT_TRUE(v2.scrape_configs[0].scrape_native_histograms);
  EXPECT_EQ(v2.scrape_configs[0].scrape_protocols[0], "OpenMetricsText1.0.0");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(PrometheusConfig again, Parse2(ToYaml(v2)));
  EXPECT_EQ(again.scrape_configs[0], v2.scrape_configs[0]);
  for (const char* yaml :
       {"global: {scrape_native_histograms: true}",
        "global: {always_scrape_classic_histograms: true}",
        "global: {convert_classic_histograms_to_nhcb: true}",
        "scrape_configs: [{job_name: a, scrape_native_histograms: true}]",
        "scrape_configs: [{job_name: a, always_scrape_classic_histograms: "
        "true}]",
        "scrape_configs: [{job_name: a, convert_classic_histograms_to_nhcb: "
        "true}]"}) {
    SCOPED_TRACE(yaml);
    EXPECT_THAT(Parse2(yaml), StatusIs(absl::StatusCode::kInvalidArgument,
                                       HasSubstr("not found in type")));
  }
}

TEST(Prometheus3ConfigTest, CanonicalHeaderKey) {
  EXPECT_EQ(CanonicalHeaderKey("x-scope-orgID"), "X-Scope-Orgid");
  EXPECT_EQ(CanonicalHeaderKey("accept"), "Accept");
  EXPECT_EQ(CanonicalHeaderKey("bad header"), "bad header");
}

// relabel.Config.Validate(UTF8Validation) and GlobalConfig.UnmarshalYAML:
// dotted names are valid label names under utf8.
TEST(Prometheus3ConfigTest, Utf8NamesInRelabelAndExternalLabels) {
  const std::string yaml = R"yaml(
global:
  external_labels: {"cluster.name": eu}
scrape_configs:
- job_name: a
  relabel_configs:
  - {source_labels: ["__meta_x.y"], target_label: "service.name"}
  - {action: labelmap, regex: "__meta_(.+)", replacement: "meta.$1"}
  - {action: hashmod, source_labels: [a], target_label: "shard.id", modulus: 4}
)yaml";
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(PrometheusConfig v3, Parse3(yaml));
  EXPECT_EQ(v3.global.external_labels.Get("cluster.name"), "eu");
  EXPECT_EQ(v3.scrape_configs[0].relabel_rules.size(), 3u);
  EXPECT_THAT(Parse2(yaml),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"cluster.name\" is not a valid label name")));
}

// targetgroup.Group labels decode as model.LabelSet, whose names 3.x
// validates as UTF-8 (common's global NameValidationScheme).
TEST(Prometheus3ConfigTest, Utf8LabelNamesInStaticConfigs) {
  const std::string yaml =
      "scrape_configs: [{job_name: a, static_configs: [{targets: ['h:1'], "
      "labels: {\"k8s.ns\": x}}]}]";
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(PrometheusConfig v3, Parse3(yaml));
  EXPECT_EQ(v3.scrape_configs[0].static_configs[0].labels.Get("k8s.ns"), "x");
  EXPECT_THAT(Parse2(yaml),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"k8s.ns\" is not a valid label name")));
}

// The rendering of a 3.x config loads again under 3.x with equal jobs.
TEST(Prometheus3ConfigTest, ToYamlRoundTrips) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      PrometheusConfig cfg,
      Parse3("scrape_configs: [{job_name: a, metric_name_validation_scheme: "
             "legacy, fallback_scrape_protocol: PrometheusText0.0.4}]"));
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(PrometheusConfig again,
                                  Parse3(ToYaml(cfg)));
  EXPECT_EQ(again.scrape_configs[0], cfg.scrape_configs[0]);
}

// config.go GetScrapeConfigs: `scrape_config_files` globs, each file with
// only `scrape_configs`, paths relative to the file, unique job names.
class ScrapeConfigFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/scf";
    std::system(("rm -rf " + dir_ + " && mkdir -p " + dir_ + "/jobs").c_str());
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  absl::StatusOr<PrometheusConfig> Load(PrometheusCompat compat =
                                            PrometheusCompat::kV3) {
    return LoadPrometheusConfigFile(dir_ + "/prometheus.yml", compat);
  }
  std::string dir_;
};

TEST_F(ScrapeConfigFilesTest, JobsFromMatchedFilesFollowTheMainFile) {
  Write("prometheus.yml",
        "global: {scrape_interval: 7s}\n"
        "scrape_config_files: ['jobs/*.yml']\n"
        "scrape_configs: [{job_name: main}]\n");
  Write("jobs/b.yml",
        "scrape_configs:\n  - job_name: b\n"
        "    file_sd_configs: [{files: [targets.json]}]\n");
  Write("jobs/a.yml", "scrape_configs: [{job_name: a, scrape_interval: 3s}]\n");
  Write("jobs/ignored.yaml", "not: [a, config\n");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(PrometheusConfig c, Load());
  ASSERT_EQ(c.scrape_configs.size(), 3u);
  EXPECT_EQ(c.scrape_configs[0].job_name, "main");
  EXPECT_EQ(c.scrape_configs[1].job_name, "a");
  EXPECT_EQ(c.scrape_configs[1].scrape_interval, absl::Seconds(3));
  EXPECT_EQ(c.scrape_configs[2].job_name, "b");
  // The global defaults apply; paths resolve against the included file.
  EXPECT_EQ(c.scrape_configs[2].scrape_interval, absl::Seconds(7));
  ASSERT_EQ(c.scrape_configs[2].file_sd_configs.size(), 1u);
  EXPECT_EQ(c.scrape_configs[2].file_sd_configs[0].files[0],
            dir_ + "/jobs/targets.json");
  EXPECT_THAT(c.scrape_config_files, ElementsAre(dir_ + "/jobs/*.yml"));
}

TEST_F(ScrapeConfigFilesTest, ErrorsNameTheFile) {
  Write("prometheus.yml",
        "scrape_config_files: ['jobs/*.yml']\n"
        "scrape_configs: [{job_name: main}]\n");
  Write("jobs/dup.yml", "scrape_configs: [{job_name: main}]\n");
  EXPECT_THAT(Load(), StatusIs(absl::StatusCode::kInvalidArgument,
                               AllOf(HasSubstr("dup.yml\""),
                                     HasSubstr("found multiple scrape configs "
                                               "with job name \"main\", first "
                                               "found in main config file"))));
  Write("jobs/dup.yml", "scrape_configs: [{job_name: x}]\nglobal: {}\n");
  EXPECT_THAT(Load(), StatusIs(absl::StatusCode::kInvalidArgument,
                               AllOf(HasSubstr("dup.yml\""),
                                     HasSubstr("global"))));
  Write("jobs/dup.yml", "scrape_configs: [{job_name: x, scrape_interval: 1s, "
                        "scrape_timeout: 2s}]\n");
  EXPECT_THAT(Load(), StatusIs(absl::StatusCode::kInvalidArgument,
                               AllOf(HasSubstr("dup.yml\""),
                                     HasSubstr("scrape_timeout"))));
  Write("prometheus.yml", "scrape_config_files: ['jo*bs/*.yml']\n");
  EXPECT_THAT(Load(),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid scrape config file path "
                                 "\"jo*bs/*.yml\"")));
}

TEST_F(ScrapeConfigFilesTest, UnknownUnderTwo) {
  Write("prometheus.yml", "scrape_config_files: ['jobs/*.yml']\n");
  EXPECT_THAT(Load(PrometheusCompat::kV2),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("scrape_config_files")));
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(PrometheusConfig c, Load());
  EXPECT_TRUE(c.scrape_configs.empty());  // no file matches: no jobs
}

}  // namespace
}  // namespace promscrape::config
