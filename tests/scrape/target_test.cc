#include "plugin/scrape/target.h"

#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/config/prometheus_config.h"
#include "plugin/discovery/static_sd.h"
#include "plugin/relabel/relabel.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::scrape {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::HasSubstr;
using model::Labels;

// Most cases pin Prometheus 2.42's TestPopulateLabels (prometheus_compat
// "2"); the 3.x differences have tests of their own below.
config::ScrapeConfig Config(const std::string& scheme = "https",
                            config::PrometheusCompat compat =
                                config::PrometheusCompat::kV2) {
  config::ScrapeConfig c;
  c.compat = compat;
  c.job_name = "job";
  c.scheme = scheme;
  c.metrics_path = "/metrics";
  c.scrape_interval = absl::Seconds(1);
  c.scrape_timeout = absl::Seconds(1);
  return c;
}

void AddRelabel(config::ScrapeConfig& c, relabel::RuleSpec spec) {
  c.relabel_configs.push_back(spec);
  auto rules = relabel::CompileRules(c.relabel_configs);
  ASSERT_TRUE(rules.ok()) << rules.status();
  c.relabel_rules = *std::move(rules);
}

struct PopulateCase {
  std::string name;
  Labels in;
  config::ScrapeConfig cfg;
  Labels want;             // Empty with want_error empty: dropped.
  Labels want_discovered;  // Checked when non-empty.
  std::string want_error;
};

TEST(PopulateLabelsTest, Scenarios) {
  config::ScrapeConfig relabel_address = Config();
  {
    relabel::RuleSpec s;
    s.source_labels = {"custom"};
    s.source_labels_set = true;
    s.target_label = "__address__";
    AddRelabel(relabel_address, s);
  }
  config::ScrapeConfig drop_all = Config();
  {
    relabel::RuleSpec s;
    s.action = relabel::Action::kDrop;
    s.source_labels = {"job"};
    s.regex = "job";
    AddRelabel(drop_all, s);
  }
  config::ScrapeConfig params = Config();
  params.params = {{"module", {"m1", "m2"}}, {"empty", {}}};

  const std::vector<PopulateCase> cases = {
      {"regular",
       Labels::Of({{"__address__", "1.2.3.4:1000"}, {"custom", "value"}}),
       Config(),
       Labels::Of({{"__address__", "1.2.3.4:1000"},
                   {"__metrics_path__", "/metrics"},
                   {"__scheme__", "https"},
                   {"__scrape_interval__", "1s"},
                   {"__scrape_timeout__", "1s"},
                   {"custom", "value"},
                   {"instance", "1.2.3.4:1000"},
                   {"job", "job"}}),
       Labels::Of({{"__address__", "1.2.3.4:1000"},
                   {"__metrics_path__", "/metrics"},
                   {"__scheme__", "https"},
                   {"__scrape_interval__", "1s"},
                   {"__scrape_timeout__", "1s"},
                   {"custom", "value"},
                   {"job", "job"}}),
       ""},
      {"target labels override config and 2.x adds port 80",
       Labels::Of({{"__address__", "1.2.3.4"},
                   {"__scheme__", "http"},
                   {"__metrics_path__", "/custom"},
                   {"job", "custom-job"},
                   {"__scrape_interval__", "2s"},
                   {"__scrape_timeout__", "2s"}}),
       Config(),
       Labels::Of({{"__address__", "1.2.3.4:80"},
                   {"__metrics_path__", "/custom"},
                   {"__scheme__", "http"},
                   {"__scrape_interval__", "2s"},
                   {"__scrape_timeout__", "2s"},
                   {"instance", "1.2.3.4:80"},
                   {"job", "custom-job"}}),
       {},
       ""},
      {"ipv6 gets https port, custom instance kept",
       Labels::Of({{"__address__", "[::1]"}, {"instance", "custom-instance"}}),
       Config(),
       Labels::Of({{"__address__", "[::1]:443"},
                   {"__metrics_path__", "/metrics"},
                   {"__scheme__", "https"},
                   {"__scrape_interval__", "1s"},
                   {"__scrape_timeout__", "1s"},
                   {"instance", "custom-instance"},
                   {"job", "job"}}),
       {},
       ""},
      {"default ports kept verbatim",
       Labels::Of({{"__address__", "1.2.3.4:443"}}),
       Config(),
       Labels::Of({{"__address__", "1.2.3.4:443"},
                   {"__metrics_path__", "/metrics"},
                   {"__scheme__", "https"},
                   {"__scrape_interval__", "1s"},
                   {"__scrape_timeout__", "1s"},
                   {"instance", "1.2.3.4:443"},
                   {"job", "job"}}),
       {},
       ""},
      {"missing address", Labels::Of({{"custom", "value"}}), Config(), {}, {},
       "no address"},
      {"address from relabel",
       Labels::Of({{"custom", "host:1234"}}),
       relabel_address,
       Labels::Of({{"__address__", "host:1234"},
                   {"__metrics_path__", "/metrics"},
                   {"__scheme__", "https"},
                   {"__scrape_interval__", "1s"},
                   {"__scrape_timeout__", "1s"},
                   {"custom", "host:1234"},
                   {"instance", "host:1234"},
                   {"job", "job"}}),
       Labels::Of({{"__metrics_path__", "/metrics"},
                   {"__scheme__", "https"},
                   {"__scrape_interval__", "1s"},
                   {"__scrape_timeout__", "1s"},
                   {"custom", "host:1234"},
                   {"job", "job"}}),
       ""},
      {"invalid utf8 value",
       Labels::Of({{"__address__", "1.2.3.4:1000"}, {"custom", "\xbd"}}),
       Config(), {}, {}, "invalid label value for \"custom\": \"\\xbd\""},
      {"bad interval label",
       Labels::Of({{"__address__", "1.2.3.4:1000"},
                   {"__scrape_interval__", "2notseconds"}}),
       Config(), {}, {},
       "error parsing scrape interval: not a valid duration string: "
       "\"2notseconds\""},
      {"bad timeout label",
       Labels::Of({{"__address__", "1.2.3.4:1000"},
                   {"__scrape_timeout__", "2notseconds"}}),
       Config(), {}, {}, "error parsing scrape timeout: not a valid duration"},
      {"zero interval",
       Labels::Of({{"__address__", "1.2.3.4:1000"},
                   {"__scrape_interval__", "0s"}}),
       Config(), {}, {}, "scrape interval cannot be 0"},
      {"zero timeout",
       Labels::Of({{"__address__", "1.2.3.4:1000"},
                   {"__scrape_timeout__", "0s"}}),
       Config(), {}, {}, "scrape timeout cannot be 0"},
      {"timeout greater than interval",
       Labels::Of({{"__address__", "1.2.3.4:1000"},
                   {"__scrape_interval__", "1s"},
                   {"__scrape_timeout__", "2s"}}),
       Config(), {}, {},
       "scrape timeout cannot be greater than scrape interval (\"2s\" > "
       "\"1s\")"},
      {"url in address",
       Labels::Of({{"__address__", "http://host:1"}}), Config(), {}, {},
       "\"http://host:1\" is not a valid hostname"},
      {"unknown scheme without port",
       Labels::Of({{"__address__", "host"}}), Config("ftp"), {}, {},
       "invalid scheme: \"ftp\""},
      {"meta labels removed, tmp labels kept",
       Labels::Of({{"__address__", "h:1"},
                   {"__meta_x", "y"},
                   {"__tmp_z", "w"}}),
       Config(),
       Labels::Of({{"__address__", "h:1"},
                   {"__metrics_path__", "/metrics"},
                   {"__scheme__", "https"},
                   {"__scrape_interval__", "1s"},
                   {"__scrape_timeout__", "1s"},
                   {"__tmp_z", "w"},
                   {"instance", "h:1"},
                   {"job", "job"}}),
       {},
       ""},
      {"params become __param_ labels (first value)",
       Labels::Of({{"__address__", "h:1"}, {"__param_module", "mine"}}),
       params,
       Labels::Of({{"__address__", "h:1"},
                   {"__metrics_path__", "/metrics"},
                   {"__param_module", "m1"},
                   {"__scheme__", "https"},
                   {"__scrape_interval__", "1s"},
                   {"__scrape_timeout__", "1s"},
                   {"instance", "h:1"},
                   {"job", "job"}}),
       {},
       ""},
      {"dropped by relabeling",
       Labels::Of({{"__address__", "h:1"}}), drop_all, {},
       Labels::Of({{"__address__", "h:1"},
                   {"__metrics_path__", "/metrics"},
                   {"__scheme__", "https"},
                   {"__scrape_interval__", "1s"},
                   {"__scrape_timeout__", "1s"},
                   {"job", "job"}}),
       ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto got = PopulateLabels(c.in, c.cfg);
    if (!c.want_error.empty()) {
      EXPECT_THAT(got, StatusIs(absl::StatusCode::kInvalidArgument,
                                HasSubstr(c.want_error)));
      continue;
    }
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->labels.ToString(), c.want.ToString());
    if (!c.want_discovered.empty()) {
      EXPECT_EQ(got->discovered.ToString(), c.want_discovered.ToString());
    }
  }
}

TEST(TargetsFromGroupTest, FailureNamesInstanceAndGroup) {
  TargetGroup g;
  g.targets = {Labels(), Labels::Of({{"__address__", "localhost:9090"}})};
  GroupTargets got = TargetsFromGroup(g, Config());
  EXPECT_EQ(got.targets.size(), 1u);
  ASSERT_EQ(got.failures.size(), 1u);
  EXPECT_THAT(got.failures[0], StatusIs(absl::StatusCode::kInvalidArgument,
                                        "instance 0 in group : no address"));
}

TEST(TargetsFromGroupTest, TargetLabelsWinOverGroupLabels) {
  TargetGroup g;
  g.source = "0";
  g.targets = {Labels::Of({{"__address__", "a:1"}, {"env", "target"}})};
  g.labels = Labels::Of({{"env", "group"}, {"team", "x"}});
  GroupTargets got = TargetsFromGroup(g, Config());
  ASSERT_EQ(got.targets.size(), 1u);
  EXPECT_EQ(got.targets[0].labels().Get("env"), "target");
  EXPECT_EQ(got.targets[0].labels().Get("team"), "x");
}

TEST(TargetsFromGroupTest, LabelKeepOrDropOfAddressFails) {
  for (auto action : {relabel::Action::kLabelKeep, relabel::Action::kLabelDrop}) {
    config::ScrapeConfig cfg = Config();
    relabel::RuleSpec s;
    s.action = action;
    s.regex = action == relabel::Action::kLabelKeep ? "foo" : "__address__";
    AddRelabel(cfg, s);
    TargetGroup g;
    g.targets = {Labels::Of({{"__address__", "localhost:9090"}})};
    GroupTargets got = TargetsFromGroup(g, cfg);
    EXPECT_TRUE(got.targets.empty());
    ASSERT_EQ(got.failures.size(), 1u);
    EXPECT_THAT(got.failures[0], StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("no address")));
  }
  TargetGroup g;
  g.targets = {Labels::Of({{"__address__", "localhost:9090"}})};
  EXPECT_EQ(TargetsFromGroup(g, Config()).targets.size(), 1u);
}

TEST(TargetsFromGroupTest, DroppedTargetKeepsDiscoveredLabels) {
  // TestDroppedTargetsList, 2.x flavour: a config with no scheme or path.
  config::ScrapeConfig cfg;
  cfg.compat = config::PrometheusCompat::kV2;
  cfg.job_name = "dropMe";
  cfg.scheme = "";
  cfg.metrics_path = "";
  relabel::RuleSpec s;
  s.action = relabel::Action::kDrop;
  s.source_labels = {"job"};
  s.regex = "dropMe";
  AddRelabel(cfg, s);
  TargetGroup g;
  g.targets = {Labels::Of({{"__address__", "127.0.0.1:9090"}})};
  GroupTargets got = TargetsFromGroup(g, cfg);
  ASSERT_EQ(got.targets.size(), 1u);
  EXPECT_TRUE(got.targets[0].dropped());
  EXPECT_EQ(got.targets[0].discovered_labels().ToString(),
            "{__address__=\"127.0.0.1:9090\", __scrape_interval__=\"0s\", "
            "__scrape_timeout__=\"0s\", job=\"dropMe\"}");
}

// Prometheus 3.x TestPopulateLabels ("Address label without port" cases,
// scrape/target_test.go): PopulateLabels no longer adds :80 / :443, and an
// unknown scheme is no error there.
TEST(PopulateLabelsTest, NoDefaultPortUnderThree) {
  struct Case {
    std::string scheme;
    std::string address;
  } const cases[] = {{"http", "1.2.3.4"},
                     {"https", "1.2.3.4"},
                     {"http", "[::1]"},
                     {"ftp", "example.com"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.scheme + " " + c.address);
    auto got = PopulateLabels(Labels::Of({{"__address__", c.address}}),
                              Config(c.scheme, config::PrometheusCompat::kV3));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->labels.Get("__address__"), c.address);
    EXPECT_EQ(got->labels.Get("instance"), c.address);
  }
  // The same addresses under "2" get the scheme's port, or fail.
  auto v2 = PopulateLabels(Labels::Of({{"__address__", "1.2.3.4"}}),
                           Config("https", config::PrometheusCompat::kV2));
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->labels.Get("instance"), "1.2.3.4:443");
  EXPECT_THAT(PopulateLabels(Labels::Of({{"__address__", "example.com"}}),
                             Config("ftp", config::PrometheusCompat::kV2)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid scheme: \"ftp\"")));
}

// Prometheus 3.x (scrape/target.go, since "Target parameter labels should
// not be overridden by config params"): a `__param_<k>` the target already
// has wins over the job's `params`; an unset one still comes from params.
TEST(PopulateLabelsTest, TargetParamLabelsWinUnderThree) {
  config::ScrapeConfig cfg = Config("https", config::PrometheusCompat::kV3);
  cfg.params = {{"module", {"m1"}}, {"target", {"t1"}}};
  auto got = PopulateLabels(
      Labels::Of({{"__address__", "h:1"}, {"__param_module", "mine"}}), cfg);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->labels.Get("__param_module"), "mine");
  EXPECT_EQ(got->labels.Get("__param_target"), "t1");
  // Under "2" the config's value overwrites the target's (2.42).
  cfg.compat = config::PrometheusCompat::kV2;
  got = PopulateLabels(
      Labels::Of({{"__address__", "h:1"}, {"__param_module", "mine"}}), cfg);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->labels.Get("__param_module"), "m1");
}

// Prometheus 3.x TestPopulateLabels (scrape/manager_test.go): the job's
// native histogram switches become `__convert_classic_histograms_to_nhcb__`,
// `__always_scrape_classic_histograms__` and `__scrape_native_histograms__`
// in the discovered and the final labels unless discovery set them;
// relabeling may change them; a value strconv.ParseBool refuses fails the
// target ("Invalid boolean in convert_classic_histograms_to_nhcb label").
// 2.x adds none of them.
TEST(PopulateLabelsTest, NativeHistogramLabelsUnderThree) {
  config::ScrapeConfig cfg = Config("https", config::PrometheusCompat::kV3);
  cfg.scrape_native_histograms = true;
  auto got = PopulateLabels(
      Labels::Of({{"__address__", "1.2.3.4:1000"}, {"custom", "value"}}), cfg);
  ASSERT_TRUE(got.ok()) << got.status();
  for (const Labels* l : {&got->labels, &got->discovered}) {
    EXPECT_EQ(l->Get("__convert_classic_histograms_to_nhcb__"), "false");
    EXPECT_EQ(l->Get("__always_scrape_classic_histograms__"), "false");
    EXPECT_EQ(l->Get("__scrape_native_histograms__"), "true");
  }
  Target t(got->labels, got->discovered, {});
  EXPECT_TRUE(t.BoolLabel(kScrapeNativeHistogramsLabel, false));
  EXPECT_FALSE(t.BoolLabel(kAlwaysScrapeClassicHistogramsLabel, true));
  EXPECT_EQ(t.PublicLabels().ToString(),
            "{custom=\"value\", instance=\"1.2.3.4:1000\", job=\"job\"}");

  // Discovery's own value stays; relabeling rewrites one.
  relabel::RuleSpec s;
  s.source_labels = {"__convert_classic_histograms_to_nhcb__"};
  s.source_labels_set = true;
  s.regex = "false";
  s.replacement = "true";
  s.target_label = "__convert_classic_histograms_to_nhcb__";
  AddRelabel(cfg, s);
  got = PopulateLabels(Labels::Of({{"__address__", "1.2.3.4:1000"},
                                   {"__scrape_native_histograms__", "F"}}),
                       cfg);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->labels.Get("__convert_classic_histograms_to_nhcb__"), "true");
  EXPECT_EQ(got->discovered.Get("__convert_classic_histograms_to_nhcb__"),
            "false");
  EXPECT_EQ(got->labels.Get("__scrape_native_histograms__"), "F");
  EXPECT_FALSE(Target(got->labels, {}, {})
                   .BoolLabel(kScrapeNativeHistogramsLabel, true));

  const struct {
    const char* label;
    const char* error;
  } invalid[] = {
      {"__convert_classic_histograms_to_nhcb__",
       "error parsing convert classic histograms to nhcb: strconv.ParseBool: "
       "parsing \"maybe\": invalid syntax"},
      {"__always_scrape_classic_histograms__",
       "error parsing always scrape classic histograms: strconv.ParseBool: "
       "parsing \"maybe\": invalid syntax"},
      {"__scrape_native_histograms__",
       "error parsing scrape native histograms: strconv.ParseBool: parsing "
       "\"maybe\": invalid syntax"},
  };
  for (const auto& c : invalid) {
    SCOPED_TRACE(c.label);
    EXPECT_THAT(
        PopulateLabels(
            Labels::Of({{"__address__", "1.2.3.4:1000"}, {c.label, "maybe"}}),
            Config("https", config::PrometheusCompat::kV3)),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.error)));
  }

  // 2.x: no such labels, and a discovered one is an ordinary `__` label.
  auto v2 = PopulateLabels(Labels::Of({{"__address__", "1.2.3.4:1000"},
                                       {"__scrape_native_histograms__",
                                        "maybe"}}),
                           Config("https", config::PrometheusCompat::kV2));
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_FALSE(v2->labels.Has("__always_scrape_classic_histograms__"));
}

// Prometheus 3.x Target.boolLabel: strconv.ParseBool's spellings; absent,
// empty or unparsable gives the default.
TEST(TargetTest, BoolLabelParsesLikeGo) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) {
    SCOPED_TRACE(t);
    EXPECT_TRUE(Target(Labels::Of({{"__x__", t}}), {}, {})
                    .BoolLabel("__x__", false));
  }
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) {
    SCOPED_TRACE(f);
    EXPECT_FALSE(Target(Labels::Of({{"__x__", f}}), {}, {})
                     .BoolLabel("__x__", true));
  }
  for (const char* bad : {"", "yes", "tRuE", " true"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(Target(Labels::Of({{"__x__", bad}}), {}, {})
                    .BoolLabel("__x__", true));
    EXPECT_FALSE(Target(Labels::Of({{"__x__", bad}}), {}, {})
                     .BoolLabel("__x__", false));
  }
  EXPECT_TRUE(Target(Labels(), {}, {}).BoolLabel("__x__", true));
}

TEST(TargetTest, UrlWithoutPortUnderThree) {
  auto got = PopulateLabels(Labels::Of({{"__address__", "example.com"}}),
                            Config("https", config::PrometheusCompat::kV3));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Target(got->labels, {}, {}).Url(), "https://example.com/metrics");
}

TEST(TargetTest, UrlMergesParamsLikePrometheus) {
  Target t(Labels::Of({{"__address__", "example.com:1234"},
                       {"__scheme__", "https"},
                       {"__metrics_path__", "/metricz"},
                       {"__param_abc", "overwrite"},
                       {"__param_cde", "huu"}}),
           Labels(), {{"abc", {"foo", "bar", "baz"}}, {"xyz", {"hoo"}}});
  EXPECT_EQ(t.Url(),
            "https://example.com:1234/metricz?abc=overwrite&abc=bar&abc=baz&"
            "cde=huu&xyz=hoo");
}

TEST(TargetTest, UrlEscaping) {
  Target t(Labels::Of({{"__address__", "h:1"},
                       {"__scheme__", "http"},
                       {"__metrics_path__", "no slash?"},
                       {"__param_q", "a b&c/d"}}),
           Labels(), {});
  EXPECT_EQ(t.Url(), "http://h:1/no%20slash%3F?q=a+b%26c%2Fd");
}

TEST(TargetTest, ConfigAndLabelsGiveTheSameRequest) {
  // TestTargetScrapeConfigWithLabels: params, path and timeout from config
  // or from target labels give the same URL.
  config::ScrapeConfig cfg = Config("http");
  cfg.metrics_path = "/metric-ok";
  cfg.params = {{"param", {"value1"}}};
  cfg.scrape_interval = absl::Seconds(2);
  cfg.scrape_timeout = absl::Milliseconds(1500);
  auto from_cfg = PopulateLabels(Labels::Of({{"__address__", "h:1"}}), cfg);
  ASSERT_TRUE(from_cfg.ok());
  config::ScrapeConfig plain = Config("http");
  plain.scrape_interval = absl::Seconds(2);
  auto from_labels = PopulateLabels(
      Labels::Of({{"__address__", "h:1"},
                  {"__metrics_path__", "/metric-ok"},
                  {"__param_param", "value1"},
                  {"__scrape_timeout__", "1s500ms"}}),
      plain);
  ASSERT_TRUE(from_labels.ok()) << from_labels.status();
  Target a(from_cfg->labels, {}, cfg.params);
  Target b(from_labels->labels, {}, plain.params);
  EXPECT_EQ(a.Url(), "http://h:1/metric-ok?param=value1");
  EXPECT_EQ(b.Url(), a.Url());
  EXPECT_EQ(a.IntervalAndTimeout()->second, absl::Milliseconds(1500));
  EXPECT_EQ(b.IntervalAndTimeout()->second, absl::Milliseconds(1500));
}

TEST(TargetTest, RelabeledIntervalAndTimeout) {
  config::ScrapeConfig cfg = Config("http");
  cfg.scrape_interval = absl::Seconds(2);
  cfg.scrape_timeout = absl::Milliseconds(500);
  for (auto [label, value] : {std::pair<const char*, const char*>{
                                  "__scrape_interval__", "3s"},
                              {"__scrape_timeout__", "750ms"}}) {
    relabel::RuleSpec s;
    s.target_label = label;
    s.replacement = value;
    AddRelabel(cfg, s);
  }
  auto got = PopulateLabels(Labels::Of({{"__address__", "h:1"}}), cfg);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->labels.Get("__scrape_interval__"), "3s");
  EXPECT_EQ(got->labels.Get("__scrape_timeout__"), "750ms");
  Target t(got->labels, got->discovered, cfg.params);
  auto it = t.IntervalAndTimeout();
  ASSERT_TRUE(it.ok());
  EXPECT_EQ(it->first, absl::Seconds(3));
  EXPECT_EQ(it->second, absl::Milliseconds(750));
}

TEST(TargetTest, PublicLabelsOmitReserved) {
  Target t(Labels::Of({{"__address__", "h:1"},
                       {"foo", "bar"},
                       {"job", "j"},
                       {"__tmp_x", "y"}}),
           Labels(), {});
  EXPECT_EQ(t.PublicLabels().ToString(), R"({foo="bar", job="j"})");
}

TEST(TargetTest, HashIsStableAndDependsOnLabelsAndUrl) {
  Labels l = Labels::Of({{"__address__", "h:1"}, {"job", "j"}});
  Target a(l, Labels(), {});
  Target b(l, Labels(), {});
  Target c(l, Labels(), {{"x", {"y"}}});  // Same labels, different URL.
  Target d(Labels::Of({{"__address__", "h:2"}, {"job", "j"}}), Labels(), {});
  EXPECT_EQ(a.Hash(), b.Hash());
  EXPECT_NE(a.Hash(), c.Hash());
  EXPECT_NE(a.Hash(), d.Hash());
}

TEST(TargetTest, OffsetsSpreadEvenly) {
  // TestTargetOffset: 10000 targets over 10s fill 1s buckets within 15%.
  const absl::Duration interval = absl::Seconds(10);
  const absl::Time now = absl::FromUnixSeconds(1700000000) +
                         absl::Milliseconds(123);
  int buckets[10] = {};
  for (int i = 0; i < 10000; ++i) {
    Target t(Labels::Of({{"__address__", absl::StrCat("h", i, ":1")}}),
             Labels(), {});
    absl::Duration off = t.Offset(interval, 0, now);
    ASSERT_GT(off, absl::ZeroDuration());
    ASSERT_LE(off, interval);
    // Phase within the aligned period.
    const int64_t phase =
        absl::ToInt64Milliseconds(now + off - absl::UnixEpoch()) % 10000;
    ++buckets[phase / 1000];
  }
  for (int b : buckets) {
    EXPECT_GT(b, 850);
    EXPECT_LT(b, 1150);
  }
}

TEST(TargetTest, OffsetPhaseIsStableAcrossCalls) {
  Target t(Labels::Of({{"__address__", "h:1"}}), Labels(), {});
  const absl::Duration interval = absl::Seconds(15);
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  const absl::Time t1 = t0 + absl::Seconds(7);
  auto phase = [&](absl::Time now) {
    return absl::ToInt64Nanoseconds(now + t.Offset(interval, 42, now) -
                                    absl::UnixEpoch()) %
           absl::ToInt64Nanoseconds(interval);
  };
  EXPECT_EQ(phase(t0), phase(t1));
  EXPECT_NE(OffsetSeed("host-a", Labels()), OffsetSeed("host-b", Labels()));
}

TEST(SplitHostPortTest, GoSemantics) {
  std::string h, p;
  EXPECT_TRUE(SplitHostPort("a:1", &h, &p));
  EXPECT_EQ(h, "a");
  EXPECT_EQ(p, "1");
  EXPECT_TRUE(SplitHostPort("[::1]:80", &h, &p));
  EXPECT_EQ(h, "::1");
  EXPECT_TRUE(SplitHostPort(":80", &h, &p));
  EXPECT_FALSE(SplitHostPort("a", nullptr, nullptr));
  EXPECT_FALSE(SplitHostPort("[::1]", nullptr, nullptr));
  EXPECT_FALSE(SplitHostPort("::1", nullptr, nullptr));
  EXPECT_FALSE(SplitHostPort("a:b:c", nullptr, nullptr));
  EXPECT_FALSE(SplitHostPort("[a]b:1", nullptr, nullptr));
}

TEST(StaticTargetGroupsTest, FromConfig) {
  auto cfg = config::ParsePrometheusConfig(R"(
scrape_configs:
- job_name: node
  static_configs:
  - targets: ['a:1', 'b']
    labels: {env: prod}
  - targets: ['c:3']
)", "", config::PrometheusCompat::kV2);
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  auto groups = discovery::StaticTargetGroups(cfg->scrape_configs[0]);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].source, "1");
  GroupTargets got = TargetsFromGroup(groups[0], cfg->scrape_configs[0]);
  ASSERT_EQ(got.targets.size(), 2u);
  EXPECT_EQ(got.targets[1].PublicLabels().ToString(),
            R"({env="prod", instance="b:80", job="node"})");
  EXPECT_EQ(got.targets[1].Url(), "http://b:80/metrics");
}

}  // namespace
}  // namespace promscrape::scrape
