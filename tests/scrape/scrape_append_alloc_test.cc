// Verifies the warm-cache contract of ScrapeAppend::Append: once a body has
// been appended, appending an identical body allocates nothing (no
// relabeling, no label sets built, no cache insertions). Global operator new
// is replaced for this binary only.

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "plugin/model/labels.h"
#include "plugin/relabel/rule.h"
#include "plugin/model/sample_sink.h"
#include "plugin/scrape/scrape_append.h"
#include "proto/io/prometheus/client/metrics.pb.h"

namespace {
std::atomic<int64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace promscrape::scrape {
namespace {

namespace pb = ::io::prometheus::client;

// An appender that only counts and checksums: allocates nothing.
class CountingAppender : public model::Appender {
 public:
  model::AppendStatus Append(const model::SeriesLabels& series, int64_t timestamp_ms,
                      double value) override {
    ++samples;
    label_count += series.size();
    sum += value;
    return model::AppendStatus::kOk;
  }
  model::AppendStatus AppendHistogram(const model::SeriesLabels& series,
                               int64_t timestamp_ms,
                               const model::Histogram& histogram) override {
    ++histograms;
    label_count += series.size();
    return model::AppendStatus::kOk;
  }
  absl::Status Commit() override { return absl::OkStatus(); }
  void Rollback() override {}

  int64_t samples = 0;
  int64_t histograms = 0;
  size_t label_count = 0;
  double sum = 0;
};

relabel::Rule Rule(relabel::Action action, std::string regex,
                   std::string target, std::string replacement) {
  relabel::RuleSpec spec;
  spec.action = action;
  spec.source_labels = {"__name__"};
  spec.source_labels_set = true;
  spec.regex = std::move(regex);
  spec.regex_set = true;
  spec.target_label = std::move(target);
  spec.replacement = std::move(replacement);
  return *relabel::Rule::Create(spec);
}

struct AppendRun {
  int64_t allocations;
  AppendResult result;
  int64_t samples;
  int64_t histograms;
};

AppendRun AppendCounting(ScrapeAppend& append, const std::string& body,
                   std::string_view content_type, int64_t t) {
  CountingAppender app;
  const int64_t before = g_allocations.load();
  AppendResult r = append.Append(body, content_type, t, app);
  const int64_t after = g_allocations.load();
  return {after - before, std::move(r), app.samples, app.histograms};
}

AppendOptions Options(const std::vector<relabel::Rule>* rules) {
  AppendOptions o;
  o.target_labels = model::Labels::Of(
      {{"instance", "host:9100"}, {"job", "node"}, {"zone", "a"}});
  o.metric_relabel_rules = rules;
  o.sample_limit = 1000;
  o.label_limit = 30;
  o.label_name_length_limit = 200;
  o.label_value_length_limit = 200;
  o.native_histogram_bucket_limit = 100;
  return o;
}

std::string TextBody() {
  std::string body =
      "# HELP http_requests_total Requests.\n"
      "# TYPE http_requests_total counter\n";
  for (int i = 0; i < 200; ++i) {
    body += "http_requests_total{code=\"" + std::to_string(200 + i % 5) +
            "\",handler=\"/api/v1/endpoint_" + std::to_string(i) +
            "\",zone=\"scraped\"} " + std::to_string(i * 3) + "\n";
  }
  body += "# TYPE temp gauge\ntemp 21.5\nuntyped_metric NaN\n";
  body += "dropped_metric{x=\"1\"} 1\n";
  body += "explicit_ts 1 1700000000000\n";
  return body;
}

TEST(ScrapeAppendAllocTest, WarmTextScrapeAllocatesNothing) {
  const std::vector<relabel::Rule> rules = {
      Rule(relabel::Action::kDrop, "dropped_.*", "", "$1"),
      Rule(relabel::Action::kReplace, "(temp)", "renamed", "${1}_c")};
  ScrapeAppend append(Options(&rules));
  const std::string body = TextBody();
  AppendRun first = AppendCounting(append, body, "text/plain; version=0.0.4",
                             1700000000000);
  ASSERT_TRUE(first.result.error.ok()) << first.result.error;
  EXPECT_GT(first.allocations, 0);
  EXPECT_EQ(first.result.series_added, 203);
  for (int i = 1; i <= 3; ++i) {
    AppendRun warm = AppendCounting(append, body, "text/plain; version=0.0.4",
                              1700000000000 + i * 15000);
    ASSERT_TRUE(warm.result.error.ok()) << warm.result.error;
    EXPECT_EQ(warm.allocations, 0) << "scrape " << i;
    EXPECT_EQ(warm.result.total, 204);
    EXPECT_EQ(warm.result.added, 203);
    EXPECT_EQ(warm.result.series_added, 0);
    EXPECT_EQ(warm.samples, 203);
  }
}

TEST(ScrapeAppendAllocTest, WarmOpenMetricsScrapeAllocatesNothing) {
  ScrapeAppend append(Options(nullptr));
  std::string body =
      "# TYPE foo_seconds counter\n# HELP foo_seconds Foo.\n"
      "# UNIT foo_seconds seconds\n";
  for (int i = 0; i < 50; ++i) {
    body += "foo_seconds_total{a=\"" + std::to_string(i) + "\"} 1.5\n";
  }
  body += "# EOF\n";
  const std::string ct = "application/openmetrics-text; version=1.0.0";
  AppendRun first = AppendCounting(append, body, ct, 1000);
  ASSERT_TRUE(first.result.error.ok()) << first.result.error;
  AppendRun warm = AppendCounting(append, body, ct, 16000);
  ASSERT_TRUE(warm.result.error.ok()) << warm.result.error;
  EXPECT_EQ(warm.allocations, 0);
  EXPECT_EQ(warm.samples, 50);
}

// prometheus_compat "3": UTF-8 validation, quoted-name grammar and the
// strict Content-Type choice keep the warm path allocation-free, for the
// common unquoted body and for quoted names (escaped ones included).
AppendOptions Options3(const std::vector<relabel::Rule>* rules) {
  AppendOptions o = Options(rules);
  o.name_validation = model::NameValidation::kUtf8;
  o.utf8_names = true;
  o.strict_content_type = true;
  return o;
}

TEST(ScrapeAppendAllocTest, WarmTextScrapeAllocatesNothingUnderThree) {
  const std::vector<relabel::Rule> rules = {
      Rule(relabel::Action::kDrop, "dropped_.*", "", "$1"),
      Rule(relabel::Action::kReplace, "(temp)", "renamed", "${1}_c")};
  ScrapeAppend append(Options3(&rules));
  std::string body = TextBody();
  for (int i = 0; i < 50; ++i) {
    body += "{\"http.server.duration\",\"http.route\"=\"/r" +
            std::to_string(i) + "\",\"esc\\\"aped\"=\"v\"} 1\n";
  }
  body += "# HELP \"a.b\" quoted help\n{\"a.b\"} 2\n";
  const std::string ct = "text/plain; version=1.0.0; escaping=allow-utf-8";
  AppendRun first = AppendCounting(append, body, ct, 1700000000000);
  ASSERT_TRUE(first.result.error.ok()) << first.result.error;
  EXPECT_EQ(first.result.series_added, 203 + 51);
  for (int i = 1; i <= 3; ++i) {
    AppendRun warm =
        AppendCounting(append, body, ct, 1700000000000 + i * 15000);
    ASSERT_TRUE(warm.result.error.ok()) << warm.result.error;
    EXPECT_EQ(warm.allocations, 0) << "scrape " << i;
    EXPECT_EQ(warm.samples, 203 + 51);
  }
}

TEST(ScrapeAppendAllocTest, WarmOpenMetricsQuotedNamesAllocateNothing) {
  ScrapeAppend append(Options3(nullptr));
  std::string body = "# TYPE \"foo.seconds\" counter\n";
  for (int i = 0; i < 50; ++i) {
    body += "{\"foo.seconds_total\",\"a.b\"=\"" + std::to_string(i) +
            "\"} 1.5\n";
  }
  body += "# EOF\n";
  const std::string ct = "application/openmetrics-text; version=1.0.0";
  AppendRun first = AppendCounting(append, body, ct, 1000);
  ASSERT_TRUE(first.result.error.ok()) << first.result.error;
  AppendRun warm = AppendCounting(append, body, ct, 16000);
  ASSERT_TRUE(warm.result.error.ok()) << warm.result.error;
  EXPECT_EQ(warm.allocations, 0);
  EXPECT_EQ(warm.samples, 50);
}

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

TEST(ScrapeAppendAllocTest, WarmProtobufScrapeAllocatesNothing) {
  pb::MetricFamily g;
  g.set_name("g");
  g.set_type(pb::GAUGE);
  for (int i = 0; i < 20; ++i) {
    pb::Metric* m = g.add_metric();
    pb::LabelPair* l = m->add_label();
    l->set_name("i");
    l->set_value(std::to_string(i));
    m->mutable_gauge()->set_value(i);
  }
  pb::MetricFamily h;
  h.set_name("nh");
  h.set_type(pb::HISTOGRAM);
  pb::Histogram* hist = h.add_metric()->mutable_histogram();
  hist->set_schema(0);
  hist->set_sample_count(3);
  hist->set_sample_sum(6);
  hist->set_zero_threshold(1e-128);
  pb::BucketSpan* sp = hist->add_positive_span();
  sp->set_offset(0);
  sp->set_length(3);
  hist->add_positive_delta(1);
  hist->add_positive_delta(0);
  hist->add_positive_delta(0);
  std::string body;
  for (const pb::MetricFamily* mf : {&g, &h}) {
    std::string s = mf->SerializeAsString();
    AppendVarint(s.size(), &body);
    body += s;
  }
  AppendOptions o = Options(nullptr);
  o.native_histogram_bucket_limit = 2;  // Forces a resolution reduction.
  ScrapeAppend append(o);
  const std::string ct =
      "application/vnd.google.protobuf;proto=io.prometheus.client."
      "MetricFamily;encoding=delimited";
  AppendRun first = AppendCounting(append, body, ct, 1000);
  ASSERT_TRUE(first.result.error.ok()) << first.result.error;
  AppendRun warm = AppendCounting(append, body, ct, 16000);
  ASSERT_TRUE(warm.result.error.ok()) << warm.result.error;
  EXPECT_EQ(warm.allocations, 0);
  EXPECT_EQ(warm.samples, 20);
  EXPECT_EQ(warm.histograms, 1);
}

}  // namespace
}  // namespace promscrape::scrape
