// Parses the hand-written payloads in tests/textparse/testdata end to end,
// and checks that no parser allocates per sample once its buffers are warm
// (global operator new is replaced to count allocations).

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/textparse/parser.h"
#include "proto/io/prometheus/client/metrics.pb.h"
#include "tests/testutil/delimited_families.h"
#include "tests/textparse/parser_test_util.h"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace promscrape::textparse {
namespace {

namespace pb = ::io::prometheus::client;
using ::promscrape::textparse::testing::ParseAll;
using ::testing::Contains;
using ::testing::HasSubstr;

std::string ReadTestdata(const std::string& name) {
  std::string path = "tests/textparse/testdata/" + name;
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && ws != nullptr) {
    path = std::string(srcdir) + "/" + ws + "/" + path;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ProtobufPayload() {
  std::vector<pb::MetricFamily> families;
  auto add = [&](const pb::MetricFamily& mf) { families.push_back(mf); };
  pb::MetricFamily c;
  c.set_name("node_cpu_seconds_total");
  c.set_help("Seconds the CPUs spent in each mode.");
  c.set_type(pb::COUNTER);
  for (const char* mode : {"idle", "user", "system"}) {
    pb::Metric* m = c.add_metric();
    pb::LabelPair* l = m->add_label();
    l->set_name("cpu");
    l->set_value("0");
    l = m->add_label();
    l->set_name("mode");
    l->set_value(mode);
    m->mutable_counter()->set_value(12.5);
    m->mutable_counter()->mutable_exemplar()->set_value(1);
  }
  add(c);
  pb::MetricFamily h;
  h.set_name("latency_seconds");
  h.set_type(pb::HISTOGRAM);
  pb::Histogram* hist = h.add_metric()->mutable_histogram();
  for (double b : {0.005, 0.1, 1.0, 123456789.0}) {
    pb::Bucket* bk = hist->add_bucket();
    bk->set_upper_bound(b);
    bk->set_cumulative_count(3);
  }
  hist->set_sample_count(4);
  add(h);
  pb::MetricFamily n;
  n.set_name("native_seconds");
  n.set_type(pb::HISTOGRAM);
  hist = n.add_metric()->mutable_histogram();
  hist->set_schema(2);
  hist->set_zero_count(1);
  pb::BucketSpan* sp = hist->add_positive_span();
  sp->set_length(3);
  for (int d : {1, 2, -1}) hist->add_positive_delta(d);
  add(n);
  pb::MetricFamily s;
  s.set_name("rpc_seconds");
  s.set_type(pb::SUMMARY);
  pb::Quantile* q = s.add_metric()->mutable_summary()->add_quantile();
  q->set_quantile(0.99);
  add(s);
  return promscrape::testing::DelimitedFamilies(families);
}

struct Payload {
  const char* name;
  Format format;
  std::string body;
};

std::vector<Payload> Payloads() {
  return {{"sample.prom.txt", Format::kPromText, ReadTestdata("sample.prom.txt")},
          {"sample.om.txt", Format::kOpenMetrics, ReadTestdata("sample.om.txt")},
          {"protobuf", Format::kProtobuf, ProtobufPayload()}};
}

TEST(TestdataTest, SamplesParseCompletely) {
  for (const Payload& p : Payloads()) {
    SCOPED_TRACE(p.name);
    ASSERT_FALSE(p.body.empty());
    auto parser = NewParser(p.format, p.body);
    std::vector<std::string> got = ParseAll(*parser);
    ASSERT_FALSE(got.empty());
    EXPECT_THAT(got.back(), ::testing::Not(HasSubstr("ERROR")));
  }
  auto prom = NewParser(Format::kPromText, ReadTestdata("sample.prom.txt"));
  std::string body = ReadTestdata("sample.prom.txt");
  prom->Reset(body);
  std::vector<std::string> got = ParseAll(*prom);
  EXPECT_THAT(got, Contains(HasSubstr(
                       "nodename=\"host \\\"quoted\\\"\"")));
  EXPECT_THAT(got, Contains("SERIES {__name__=\"untyped_metric\",msg=\"line1\\n"
                            "line2\",path=\"C:\\\\dir\\\\file\"} -Inf"));
  EXPECT_THAT(got, Contains("HELP http_request_duration_seconds A histogram "
                            "of request latencies.\nSecond line with a "
                            "backslash \\."));
  EXPECT_THAT(got, Contains("SERIES {__name__=\"process_start_time_seconds\"} "
                            "1.70006789012e+09 @1700067890123"));
}

TEST(TestdataTest, NoAllocationPerSampleOnceWarm) {
  for (const Payload& p : Payloads()) {
    SCOPED_TRACE(p.name);
    auto parser = NewParser(p.format, p.body);
    std::vector<Label> labels;
    Exemplar exemplar;
    long samples = 0;
    auto run = [&] {
      parser->Reset(p.body);
      samples = 0;
      for (;;) {
        absl::StatusOr<Entry> e = parser->Next();
        if (!e.ok() || *e == Entry::kEof) break;
        if (*e == Entry::kSeries || *e == Entry::kHistogram) {
          ++samples;
          parser->Labels(&labels);
          while (parser->NextExemplar(&exemplar)) {
          }
        }
      }
    };
    run();  // grows every buffer
    g_allocations = 0;
    g_counting = true;
    run();
    run();
    g_counting = false;
    EXPECT_GT(samples, 5);
    EXPECT_EQ(g_allocations.load(), 0);
  }
}

}  // namespace
}  // namespace promscrape::textparse
