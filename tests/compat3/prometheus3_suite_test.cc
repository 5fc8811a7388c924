// Prometheus 3.x behaviour, end to end through the engine as the plugin
// runs it by default (prometheus_compat "3"): each case is a scrape job of
// one prometheus.yml, parsed by the config parser, scraped over real HTTP
// from a local server that answers with the case's Content-Type and body,
// and appended by the scrape loop into a recording sink. The first scrape
// of every job is compared with what Prometheus 3.x stores, read from its
// code and tests (each case names the upstream function or test it
// follows; the repository is prometheus/prometheus, release 3.x).
//
// Categories: text, OpenMetrics, protobuf, UTF-8 names, content-type
// strictness, native histograms and NHCB, start timestamps.

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/config/prometheus_config.h"
#include "plugin/discovery/discovery_manager.h"
#include "plugin/metrics/registry.h"
#include "plugin/scrape/manager.h"
#include "proto/io/prometheus/client/metrics.pb.h"
#include "tests/testutil/delimited_families.h"
#include "tests/testutil/recording_sink.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape::scrape {
namespace {

namespace pb = ::io::prometheus::client;
using ::promscrape::testing::RecordedSample;
using ::promscrape::testing::RecordingSink;
using ::promscrape::testing::TestHttpRequest;
using ::promscrape::testing::TestHttpResponse;
using ::promscrape::testing::TestHttpServer;

constexpr char kText[] = "text/plain; version=0.0.4; charset=utf-8";
constexpr char kText1[] = "text/plain; version=1.0.0; charset=utf-8";
constexpr char kOm[] = "application/openmetrics-text; version=1.0.0; charset=utf-8";
constexpr char kProto[] =
    "application/vnd.google.protobuf; "
    "proto=io.prometheus.client.MetricFamily; encoding=delimited";

struct Case {
  std::string name;      // job name
  std::string upstream;  // what in Prometheus 3.x this follows
  std::string content_type;
  std::string body;
  std::string job_yaml;  // extra keys of the job (indented 4)
  // The first scrape: "up N" then every other stored sample as
  // `name{labels but instance and job} value[ @t][ st=S]` in append order
  // (`@t` only when the sample is not at the scrape time; histograms as
  // `hist(schema=S count=C sum=X [bounds])`).
  std::vector<std::string> want;
  // A prefix the request's Accept header must have ("" = not checked).
  std::string accept_prefix;
  config::StartTimestampMode mode = config::StartTimestampMode::kIgnore;
};

std::string Delimited(const std::vector<pb::MetricFamily>& families) {
  return ::promscrape::testing::DelimitedFamilies(families);
}

pb::MetricFamily Counter(const std::string& name, double v,
                         int64_t created_s = 0) {
  pb::MetricFamily mf;
  mf.set_name(name);
  mf.set_type(pb::COUNTER);
  pb::Counter* c = mf.add_metric()->mutable_counter();
  c->set_value(v);
  if (created_s != 0) c->mutable_created_timestamp()->set_seconds(created_s);
  return mf;
}

// A histogram with classic buckets (0.5: 1, 1: 3) and, with `native`, an
// exponential schema-0 layout too.
pb::MetricFamily Histogram(const std::string& name, bool native) {
  pb::MetricFamily mf;
  mf.set_name(name);
  mf.set_type(pb::HISTOGRAM);
  pb::Histogram* h = mf.add_metric()->mutable_histogram();
  h->set_sample_count(4);
  h->set_sample_sum(2.5);
  pb::Bucket* b = h->add_bucket();
  b->set_upper_bound(0.5);
  b->set_cumulative_count(1);
  b = h->add_bucket();
  b->set_upper_bound(1);
  b->set_cumulative_count(3);
  if (native) {
    h->set_schema(0);
    h->set_zero_threshold(1e-128);
    h->set_zero_count(0);
    pb::BucketSpan* s = h->add_positive_span();
    s->set_offset(0);
    s->set_length(2);
    h->add_positive_delta(1);
    h->add_positive_delta(1);
  }
  return mf;
}

std::vector<Case> Cases() {
  const std::string classic_text =
      "# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\nh_bucket{le=\"1\"} 3\n"
      "h_bucket{le=\"+Inf\"} 4\nh_sum 2.5\nh_count 4\n";
  std::vector<Case> c = {
      // --- Text format ---
      {"text_basic", "scrape.go append; promparse.go", kText,
       "# TYPE requests_total counter\nrequests_total{path=\"/a\"} 7\n"
       "temperature 21.5\n",
       "", {"up 1", "requests_total{path=\"/a\"} 7", "temperature 21.5"}},
      {"text_utf8_name", "promparse_test.go TestUTF8PromParse (quoted name)",
       kText, "{\"my.dotted.metric\",\"http.route\"=\"/a\"} 7\n", "",
       {"up 1", "my.dotted.metric{http.route=\"/a\"} 7"}},
      {"text_utf8_label", "promparse_test.go TestUTF8PromParse (quoted label)",
       kText, "m{\"label.with.dots\"=\"x\"} 1\n", "",
       {"up 1", "m{label.with.dots=\"x\"} 1"}},
      {"text_utf8_help", "promparse.go: quoted names in HELP/TYPE", kText,
       "# HELP \"my.metric\" Help.\n# TYPE \"my.metric\" gauge\n"
       "{\"my.metric\"} 2\n",
       "", {"up 1", "my.metric 2"}},
      {"text_legacy_rejects_utf8",
       "scrape.go: !lset.IsValid(sl.validationScheme) fails the scrape", kText,
       "{\"my.dotted.metric\"} 7\n",
       "    metric_name_validation_scheme: legacy\n", {"up 0"}},
      {"text_le_normalised", "promparse.go normalizeFloatsInLabelValues", kText,
       "# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+inf\"} 4\n", "",
       {"up 1", "h_bucket{le=\"1.0\"} 3", "h_bucket{le=\"+Inf\"} 4"}},
      {"text_quantile_normalised", "promparse.go normalizeFloatsInLabelValues",
       kText, "# TYPE s summary\ns{quantile=\"0.50\"} 3\ns_count 1\n", "",
       {"up 1", "s{quantile=\"0.5\"} 3", "s_count 1"}},
      {"text_le_untyped_kept", "normalisation only under a histogram TYPE",
       kText, "h_bucket{le=\"1\"} 3\n", "", {"up 1", "h_bucket{le=\"1\"} 3"}},
      {"text_repeated_series_is_duplicate",
       "scrape.go: seriesAlreadyScraped && parsedTimestamp == nil", kText,
       "m 5 1000\nm 8\n", "", {"up 1", "m 5 @1000"}},
      {"text_empty_body", "scrape.go: empty body is not parsed", kText, "", "",
       {"up 1"}},
      {"text_indentation_skipped", "promlex.l: leading blanks", kText,
       "  m 1\n", "", {"up 1", "m 1"}},
      {"text_1_0_0", "scrape_protocols PrometheusText1.0.0 (config.go)", kText1,
       "m 1\n", "    scrape_protocols: [PrometheusText1.0.0]\n", {"up 1", "m 1"},
       "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6"},
      {"text_escaping_underscores",
       "scrape.go acceptHeader: escaping=<metric_name_escaping_scheme>", kText,
       "m 1\n",
       "    metric_name_escaping_scheme: underscores\n", {"up 1", "m 1"},
       "application/openmetrics-text;version=1.0.0;escaping=underscores;"},
      {"default_accept", "config.DefaultScrapeProtocols", kText, "m 1\n", "",
       {"up 1", "m 1"},
       "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
       "application/openmetrics-text;version=0.0.1;q=0.5,"
       "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
       "text/plain;version=0.0.4;q=0.3,*/*;q=0.2"},
      // --- Content-Type strictness ---
      {"ct_missing_fails", "textparse.New: no parser without fallback", "",
       "m 1\n", "", {"up 0"}},
      {"ct_unknown_fails", "textparse.New: unknown media type", "application/json",
       "m 1\n", "", {"up 0"}},
      {"ct_unparsable_fails", "textparse.New: mime parse error", "text/", "m 1\n",
       "", {"up 0"}},
      {"ct_missing_fallback_text", "fallback_scrape_protocol (config.go)", "",
       "m 1\n", "    fallback_scrape_protocol: PrometheusText0.0.4\n",
       {"up 1", "m 1"}},
      {"ct_unknown_fallback_om", "fallback_scrape_protocol OpenMetrics",
       "application/json", "m_total 1\n# EOF\n",
       "    fallback_scrape_protocol: OpenMetricsText1.0.0\n",
       {"up 1", "m_total 1"}},
      {"ct_text_plain_plain", "textparse.New: text/plain is the text format",
       "text/plain", "m 1\n", "", {"up 1", "m 1"}},
      // --- OpenMetrics ---
      {"om_basic", "openmetricsparse.go", kOm,
       "# TYPE c counter\nc_total 3\n# EOF\n", "", {"up 1", "c_total 3"}},
      {"om_trailing_comma", "openmetricsparse_test.go: trailing comma accepted",
       kOm, "a{b=\"1\",} 1\n# EOF\n", "", {"up 1", "a{b=\"1\"} 1"}},
      {"om_exemplar_on_gauge", "openmetricsparse.go: exemplars on any sample",
       kOm, "# TYPE g gauge\ng 1 # {id=\"x\"} 2\n# EOF\n", "", {"up 1", "g 1"}},
      {"om_created_is_series_by_default",
       "scrape.go: ParseST off by default (OpenMetricsSkipSTSeries false)", kOm,
       "# TYPE c counter\nc_total 3\nc_created 1700000000\n# EOF\n", "",
       {"up 1", "c_total 3", "c_created 1.7e+09"}},
      {"om_missing_eof_fails", "openmetricsparse.go: data does not end with # EOF",
       kOm, "c_total 3\n", "", {"up 0"}},
      {"om_empty_body", "scrape.go: empty body is not parsed", kOm, "", "",
       {"up 1"}},
      {"om_utf8_name", "openmetricsparse_test.go TestUTF8OpenMetricsParse", kOm,
       "{\"go.gc_duration_seconds\",\"a.b\"=\"x\"} 1\n# EOF\n", "",
       {"up 1", "go.gc_duration_seconds{a.b=\"x\"} 1"}},
      {"om_le_normalised", "openmetricsparse.go normalizeFloatsInLabelValues",
       kOm, "# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 4\n"
            "h_count 4\nh_sum 2\n# EOF\n",
       "", {"up 1", "h_bucket{le=\"1.0\"} 3", "h_bucket{le=\"+Inf\"} 4", "h_count 4",
            "h_sum 2"}},
      {"om_float_seconds_timestamp",
       "openmetricsparse.go: timestamps are float seconds", kOm,
       "m 1 1520879607.789\n# EOF\n", "", {"up 1", "m 1 @1520879607789"}},
      // --- Protobuf ---
      {"proto_counter", "protobufparse.go: counter named as its family", kProto,
       Delimited({Counter("requests_total", 5)}), "",
       {"up 1", "requests_total 5"}},
      {"proto_classic_by_default",
       "scrape_native_histograms false: classic series (scrape.go)", kProto,
       Delimited({Histogram("h", /*native=*/true)}), "",
       {"up 1", "h_count 4", "h_sum 2.5", "h_bucket{le=\"0.5\"} 1",
        "h_bucket{le=\"1.0\"} 3", "h_bucket{le=\"+Inf\"} 4"}},
      {"proto_native", "scrape_native_histograms: true (config.go)", kProto,
       Delimited({Histogram("h", /*native=*/true)}),
       "    scrape_native_histograms: true\n",
       {"up 1", "h hist(schema=0 count=4 sum=2.5)"},
       "application/vnd.google.protobuf;"},
      {"proto_native_and_classic", "always_scrape_classic_histograms (config.go)",
       kProto, Delimited({Histogram("h", /*native=*/true)}),
       "    scrape_native_histograms: true\n"
       "    always_scrape_classic_histograms: true\n",
       {"up 1", "h hist(schema=0 count=4 sum=2.5)", "h_count 4", "h_sum 2.5",
        "h_bucket{le=\"0.5\"} 1", "h_bucket{le=\"1.0\"} 3",
        "h_bucket{le=\"+Inf\"} 4"}},
      {"proto_classic_only_histogram",
       "protobufparse.go: no native buckets, classic series", kProto,
       Delimited({Histogram("h", /*native=*/false)}),
       "    scrape_native_histograms: true\n",
       {"up 1", "h_count 4", "h_sum 2.5", "h_bucket{le=\"0.5\"} 1",
        "h_bucket{le=\"1.0\"} 3", "h_bucket{le=\"+Inf\"} 4"}},
      // --- NHCB ---
      {"nhcb_text", "convert_classic_histograms_to_nhcb (nhcbparse.go)", kText,
       classic_text, "    convert_classic_histograms_to_nhcb: true\n",
       {"up 1", "h hist(schema=-53 count=4 sum=2.5 [0.5 1])"}},
      {"nhcb_text_keep_classic",
       "nhcbparse.go keepClassicHistograms (always_scrape_classic_histograms)",
       kText, classic_text,
       "    convert_classic_histograms_to_nhcb: true\n"
       "    always_scrape_classic_histograms: true\n",
       {"up 1", "h_bucket{le=\"0.5\"} 1", "h_bucket{le=\"1.0\"} 3",
        "h_bucket{le=\"+Inf\"} 4", "h_sum 2.5", "h_count 4",
        "h hist(schema=-53 count=4 sum=2.5 [0.5 1])"}},
      {"nhcb_not_cumulative_dropped",
       "convertnhcb: buckets not cumulative drop the histogram", kText,
       "# TYPE h histogram\nh_bucket{le=\"0.5\"} 3\nh_bucket{le=\"1\"} 1\n"
       "h_bucket{le=\"+Inf\"} 4\nh_sum 2.5\nh_count 4\ng 1\n",
       "    convert_classic_histograms_to_nhcb: true\n", {"up 1", "g 1"}},
      {"nhcb_om", "nhcbparse.go over OpenMetrics", kOm,
       classic_text + "# EOF\n", "    convert_classic_histograms_to_nhcb: true\n",
       {"up 1", "h hist(schema=-53 count=4 sum=2.5 [0.5 1])"}},
      {"nhcb_proto_classic", "protobufparse.go convertClassicHistogramsToNHCB",
       kProto, Delimited({Histogram("h", /*native=*/false)}),
       "    convert_classic_histograms_to_nhcb: true\n",
       {"up 1", "h hist(schema=-53 count=4 sum=2.5 [0.5 1])"}},
      {"nhcb_target_label_override",
       "scrape.go newScrapeLoop: target label __convert_classic_histograms_to_"
       "nhcb__ overrides the job",
       kText, classic_text,
       "    relabel_configs:\n"
       "      - target_label: __convert_classic_histograms_to_nhcb__\n"
       "        replacement: \"true\"\n",
       {"up 1", "h hist(schema=-53 count=4 sum=2.5 [0.5 1])"}},
      // --- Report series ---
      {"extra_scrape_metrics", "scrape.go reportExtraMetrics", kText, "m 1\n",
       "    extra_scrape_metrics: true\n    sample_limit: 10\n",
       {"up 1", "m 1", "scrape_sample_limit 10"}},
      // --- Start timestamps (st-storage / created-timestamp-zero-ingestion) ---
      {"st_om_attach", "openmetricsparse.go StartTimestamp, skipSTSeries", kOm,
       "# TYPE c counter\nc_total 3\nc_created 1700000000.25\n# EOF\n", "",
       {"up 1", "c_total 3 st=1700000000250"}, "",
       config::StartTimestampMode::kAttach},
      {"st_proto_attach", "protobufparse.go StartTimestamp", kProto,
       Delimited({Counter("requests_total", 5, 1700000000)}), "",
       {"up 1", "requests_total 5 st=1700000000000"},
       "application/vnd.google.protobuf;",
       config::StartTimestampMode::kAttach},
      {"st_summary_quantiles", "openmetricsparse.go: quantile left out of the "
       "match, cache holds past _created",
       kOm,
       "# TYPE s summary\ns_count 2\ns_sum 1\ns_created 1700000000\n"
       "s{quantile=\"0.5\"} 0.4\n# EOF\n",
       "",
       {"up 1", "s_count 2 st=1700000000000", "s_sum 1 st=1700000000000",
        "s{quantile=\"0.5\"} 0.4 st=1700000000000"},
       "", config::StartTimestampMode::kAttach},
      {"st_zero_sample", "scrape.go AppendSTZeroSample before the sample", kProto,
       Delimited({Counter("requests_total", 5, 1700000000)}), "",
       {"up 1", "requests_total 0 @1700000000000",
        "requests_total 5 st=1700000000000"},
       "", config::StartTimestampMode::kZeroSample},
  };
  return c;
}

std::string Render(const RecordedSample& s, int64_t scrape_t) {
  std::string name;
  std::vector<std::string> labels;
  for (const model::Label& l : s.series) {
    if (l.name == "__name__") {
      name = l.value;
    } else if (l.name != "instance" && l.name != "job") {
      labels.push_back(absl::StrCat(l.name, "=\"", l.value, "\""));
    }
  }
  std::string out = name;
  if (!labels.empty()) absl::StrAppend(&out, "{", absl::StrJoin(labels, ","), "}");
  if (s.histogram.has_value()) {
    const model::Histogram& h = *s.histogram;
    absl::StrAppend(&out, " hist(schema=", h.schema, " count=",
                    h.is_float ? h.count_float : static_cast<double>(h.count),
                    " sum=", h.sum);
    if (!h.custom_values.empty()) {
      absl::StrAppend(&out, " [", absl::StrJoin(h.custom_values, " "), "]");
    }
    out += ")";
  } else {
    absl::StrAppend(&out, " ", s.value);
  }
  if (s.timestamp_ms != scrape_t) absl::StrAppend(&out, " @", s.timestamp_ms);
  if (s.start_timestamp_ms != 0) absl::StrAppend(&out, " st=", s.start_timestamp_ms);
  return out;
}

bool IsReportSeries(const std::string& name) {
  return name == "up" || absl::StartsWith(name, "scrape_");
}

// One engine (Manager) per start_timestamps mode, all jobs of that mode in
// one prometheus.yml.
class Engine {
 public:
  Engine(config::StartTimestampMode mode, const std::vector<Case>& cases,
         int port)
      : logger_([](LogLevel, absl::string_view) {}) {
    Manager::Options options;
    options.workers = 2;
    options.start_timestamps = mode;
    manager_ = *Manager::Create(options, sink_, registry_, logger_);
    discovery_ = std::make_unique<discovery::Manager>(
        discovery::Manager::Options{.reload_interval = absl::Milliseconds(50)},
        [m = manager_.get()](const std::string& job,
                             const std::vector<discovery::TargetGroup>& groups) {
          m->SyncTargets(job, groups);
        },
        logger_);
    std::string yaml = "scrape_configs:\n";
    for (const Case& c : cases) {
      if (c.mode != mode) continue;
      absl::StrAppend(&yaml, "  - job_name: ", c.name,
                      "\n    scrape_interval: 10s\n    metrics_path: /case/",
                      c.name, "\n", c.job_yaml,
                      "    static_configs: [{targets: ['127.0.0.1:", port,
                      "']}]\n");
    }
    absl::StatusOr<config::PrometheusConfig> cfg =
        config::ParsePrometheusConfig(yaml);
    EXPECT_TRUE(cfg.ok()) << cfg.status() << "\n" << yaml;
    if (!cfg.ok()) return;
    EXPECT_TRUE(manager_->ApplyConfig(*cfg).ok());
    discovery_->ApplyConfig(*cfg);
  }
  ~Engine() {
    discovery_->Stop();
    manager_->Stop();
  }
  RecordingSink& sink() { return sink_; }

 private:
  RecordingSink sink_;
  metrics::Registry registry_;
  Logger logger_;
  std::unique_ptr<Manager> manager_;
  std::unique_ptr<discovery::Manager> discovery_;
};

TEST(Prometheus3SuiteTest, EveryCaseMatchesPrometheus3) {
  const std::vector<Case> cases = Cases();
  ASSERT_GE(cases.size(), 40u);
  std::map<std::string, const Case*> by_path;
  for (const Case& c : cases) by_path["/case/" + c.name] = &c;
  Mutex mu;
  std::map<std::string, std::string> accept;  // guarded by mu
  auto server = TestHttpServer::Start([&](const TestHttpRequest& req) {
    TestHttpResponse r;
    auto it = by_path.find(req.target);
    if (it == by_path.end()) {
      r.status = 404;
      r.reason = "Not Found";
      return r;
    }
    {
      MutexLock lock(&mu);
      accept[it->second->name] = std::string(req.Header("Accept"));
    }
    if (!it->second->content_type.empty()) {
      r.headers.push_back({"Content-Type", it->second->content_type});
    }
    r.body = it->second->body;
    return r;
  });
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();

  std::map<config::StartTimestampMode, std::unique_ptr<Engine>> engines;
  for (const Case& c : cases) {
    if (engines.count(c.mode) == 0) {
      engines[c.mode] = std::make_unique<Engine>(c.mode, cases, port);
    }
  }
  // Every job's first scrape (its `up`), within the first interval.
  auto first_up = [&](const Case& c, int64_t* t) {
    for (const RecordedSample& s : engines[c.mode]->sink().Samples()) {
      if (s.series.Get("job") == c.name && s.series.Get("__name__") == "up") {
        *t = s.timestamp_ms;
        return true;
      }
    }
    return false;
  };
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  for (const Case& c : cases) {
    int64_t t;
    while (!first_up(c, &t) && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.name, " (", c.upstream, ")"));
    int64_t t = 0;
    ASSERT_TRUE(first_up(c, &t)) << "never scraped";
    std::vector<std::string> got;
    std::string up;
    std::vector<RecordedSample> samples = engines[c.mode]->sink().Samples();
    for (const RecordedSample& s : samples) {
      if (s.series.Get("job") != c.name) continue;
      const std::string name(s.series.Get("__name__"));
      if (name == "up" && s.timestamp_ms == t) {
        up = absl::StrCat("up ", s.value);
        continue;
      }
      // Samples of the first scrape: at its time, or carrying their own
      // timestamp (appended before the first report at `t`).
      if (s.timestamp_ms > t) continue;
      if (IsReportSeries(name) && name != "scrape_sample_limit") continue;
      got.push_back(Render(s, t));
    }
    // Later scrapes' own-timestamp samples repeat the first's: keep one.
    std::vector<std::string> first;
    for (const std::string& g : got) {
      if (std::find(first.begin(), first.end(), g) == first.end()) {
        first.push_back(g);
      }
    }
    first.insert(first.begin(), up);
    EXPECT_THAT(first, ::testing::ElementsAreArray(c.want));
    if (!c.accept_prefix.empty()) {
      MutexLock lock(&mu);
      EXPECT_TRUE(absl::StartsWith(accept[c.name], c.accept_prefix))
          << accept[c.name];
    }
  }
}

}  // namespace
}  // namespace promscrape::scrape
