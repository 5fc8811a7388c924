#include "plugin/remote/queue_sink.h"

#include <string>
#include <vector>

#include "plugin/common/logging.h"
#include "plugin/model/labels.h"
#include "plugin/metrics/registry.h"
#include "plugin/remote/write_queue.h"
#include "tests/testutil/fake_remote_write.h"
#include "tests/testutil/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace promscrape::remote {
namespace {

// Built twice (tests/remote/BUILD.bazel): against a host without WriteV2
// and, with PROMSCRAPE_HOST_SERVES_V2, over the WriteV2 stream.
#ifndef PROMSCRAPE_HOST_SERVES_V2
#define PROMSCRAPE_HOST_SERVES_V2 0
#endif
constexpr bool kHostServesV2 = PROMSCRAPE_HOST_SERVES_V2;

using ::promscrape::testing::FakeRemoteWrite;

class QueueSinkTest : public ::testing::Test {
protected:
  void SetUp() override {
    WriteQueue::Options options;
    options.target = host_.address();
    options.batch_send_deadline = absl::Milliseconds(5);
    PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
        queue_, WriteQueue::Create(options, registry_, logger_));
    sink_ = std::make_unique<QueueSink>(*queue_, registry_, logger_);
  }

  FakeRemoteWrite host_{kHostServesV2};
  metrics::Registry registry_;
  Logger logger_{[](LogLevel, absl::string_view) {}};
  std::unique_ptr<WriteQueue> queue_;
  std::unique_ptr<QueueSink> sink_;
};

TEST_F(QueueSinkTest, CommitSendsFloatsAndNativeHistograms) {
  model::Histogram h;
  h.schema = 1;
  h.count = 7;
  h.sum = 3.5;
  h.zero_threshold = 0.001;
  h.zero_count = 2;
  h.positive_spans = {{0, 2}, {3, 1}};
  h.positive_deltas = {1, 2, -1};
  h.negative_spans = {{-1, 1}};
  h.negative_deltas = {1};
  auto app = sink_->NewAppender();
  app->Append(model::CompactLabels(
                  model::Labels::Of({{"__name__", "up"}, {"job", "a"}})),
              1000, 1);
  app->AppendHistogram(model::CompactLabels(model::Labels::Of(
                           {{"__name__", "latency"}, {"job", "a"}})),
                       1000, h);
  PROMSCRAPE_ASSERT_OK(app->Commit());
  ASSERT_TRUE(host_.WaitForSamples(1, absl::Seconds(10)));
  PROMSCRAPE_ASSERT_OK(queue_->Stop(absl::Seconds(10)));

  std::vector<v1::TimeSeries> series;
  for (const auto &r : host_.requests()) {
    for (const auto &ts : r.timeseries())
      series.push_back(ts);
  }
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].labels(0).value(), "up");
  EXPECT_EQ(series[0].samples(0).value(), 1);
  EXPECT_EQ(series[1].labels(0).value(), "latency");
  ASSERT_EQ(series[1].histograms_size(), 1);
  const v1::Histogram &got = series[1].histograms(0);
  EXPECT_EQ(got.timestamp(), 1000);
  EXPECT_EQ(got.count_int(), 7u);
  EXPECT_EQ(got.sum(), 3.5);
  EXPECT_EQ(got.schema(), 1);
  EXPECT_EQ(got.zero_count_int(), 2u);
  ASSERT_EQ(got.positive_spans_size(), 2);
  EXPECT_EQ(got.positive_spans(1).offset(), 3);
  EXPECT_THAT(got.positive_deltas(), ::testing::ElementsAre(1, 2, -1));
  EXPECT_EQ(got.negative_spans(0).offset(), -1);
  EXPECT_EQ(series[1].samples_size(), 0);
}

TEST_F(QueueSinkTest, StartTimestampsTravelWithTheirSamples) {
  model::Histogram h;
  h.schema = -53;
  h.count = 1;
  h.custom_values = {0.5};
  h.positive_spans = {{0, 1}};
  h.positive_deltas = {1};
  auto app = sink_->NewAppender();
  const model::CompactLabels c(model::Labels::Of({{"__name__", "c_total"}}));
  const model::CompactLabels lat(model::Labels::Of({{"__name__", "lat"}}));
  app->AppendWithStart(c, 2000, 1500, 3);
  app->Append(c, 3000, 4);
  app->AppendHistogramWithStart(lat, 2000, 1700000000123, h);
  PROMSCRAPE_ASSERT_OK(app->Commit());
  ASSERT_TRUE(host_.WaitForSamples(2, absl::Seconds(10)));
  PROMSCRAPE_ASSERT_OK(queue_->Stop(absl::Seconds(10)));
  std::vector<v1::TimeSeries> series;
  for (const auto& r : host_.requests()) {
    for (const auto& ts : r.timeseries()) series.push_back(ts);
  }
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(series[0].samples(0).start_timestamp(), 1500);
  EXPECT_EQ(series[0].samples(0).value(), 3);
  EXPECT_EQ(series[1].samples(0).start_timestamp(), 0);
  EXPECT_EQ(series[1].samples(0).timestamp(), 3000);
  ASSERT_EQ(series[2].histograms_size(), 1);
  EXPECT_EQ(series[2].histograms(0).start_timestamp(), 1700000000123);
  EXPECT_EQ(series[2].histograms(0).timestamp(), 2000);
}

TEST_F(QueueSinkTest, ExemplarsTravelInRecordsOfTheirOwn) {
  auto app = sink_->NewAppender();
  const model::CompactLabels series(
      model::Labels::Of({{"__name__", "req_total"}, {"job", "a"}}));
  app->Append(series, 1000, 5);
  model::Exemplar ex;
  ex.labels = {{"trace_id", "abc"}};
  ex.value = 0.25;
  ex.timestamp_ms = 999;
  ex.has_timestamp = true;
  app->AppendExemplar(series, ex);
  PROMSCRAPE_ASSERT_OK(app->Commit());
  ASSERT_TRUE(host_.WaitForSamples(1, absl::Seconds(10)));
  PROMSCRAPE_ASSERT_OK(queue_->Stop(absl::Seconds(10)));
  std::vector<v1::TimeSeries> series_got;
  for (const auto& r : host_.requests()) {
    for (const auto& ts : r.timeseries()) series_got.push_back(ts);
  }
  // On WriteV2 the exemplar rides with the sample of its series, as remote
  // write 2.0 carries it; on Write it is a record of its own.
  ASSERT_EQ(series_got.size(), kHostServesV2 ? 1u : 2u);
  EXPECT_EQ(series_got[0].samples_size(), 1);
  const v1::TimeSeries& e = series_got.back();
  EXPECT_EQ(e.samples_size(), kHostServesV2 ? 1 : 0);
  ASSERT_EQ(e.labels_size(), 2);
  EXPECT_EQ(e.labels(0).value(), "req_total");
  ASSERT_EQ(e.exemplars_size(), 1);
  ASSERT_EQ(e.exemplars(0).labels_size(), 1);
  EXPECT_EQ(e.exemplars(0).labels(0).name(), "trace_id");
  EXPECT_EQ(e.exemplars(0).labels(0).value(), "abc");
  EXPECT_EQ(e.exemplars(0).value(), 0.25);
  EXPECT_EQ(e.exemplars(0).timestamp(), 999);
}

// Prometheus' processExternalLabels: external labels join every series in
// name order; a label the series has keeps the series' value.
TEST_F(QueueSinkTest, ExternalLabelsAreMergedSeriesWins) {
  sink_->SetExternalLabels(model::Labels::Of(
      {{"Zone", "z1"}, {"job", "external"}, {"region", "eu"}}));
  auto app = sink_->NewAppender();
  app->Append(model::CompactLabels(
                  model::Labels::Of({{"__name__", "up"}, {"job", "a"}})),
              1000, 1);
  PROMSCRAPE_ASSERT_OK(app->Commit());
  ASSERT_TRUE(host_.WaitForSamples(1, absl::Seconds(10)));
  PROMSCRAPE_ASSERT_OK(queue_->Stop(absl::Seconds(10)));
  const v1::TimeSeries ts = host_.requests()[0].timeseries(0);
  std::vector<std::string> got;
  for (const auto& l : ts.labels()) got.push_back(l.name() + "=" + l.value());
  EXPECT_THAT(got, ::testing::ElementsAre("Zone=z1", "__name__=up", "job=a",
                                          "region=eu"));
}

TEST_F(QueueSinkTest, RollbackSendsNothing) {
  auto app = sink_->NewAppender();
  app->Append(model::CompactLabels(model::Labels::Of({{"__name__", "up"}})),
              1000, 1);
  app->Rollback();
  PROMSCRAPE_ASSERT_OK(app->Commit());
  EXPECT_EQ(queue_->PendingSamples(), 0);
}

TEST_F(QueueSinkTest, ReusedBuffersCarryEachScrapeOnce) {
  const std::string long_value(300, 'x');
  for (int scrape = 0; scrape < 3; ++scrape) {
    auto app = sink_->NewAppender();
    for (int i = 0; i < 50; ++i) {
      app->Append(model::CompactLabels(model::Labels::Of(
                      {{"__name__", "m"},
                       {"i", std::to_string(i)},
                       {"long", i % 2 == 0 ? long_value : ""}})),
                  1000 * scrape, scrape * 100 + i);
    }
    PROMSCRAPE_ASSERT_OK(app->Commit());
  }
  ASSERT_TRUE(host_.WaitForSamples(150, absl::Seconds(10)));
  PROMSCRAPE_ASSERT_OK(queue_->Stop(absl::Seconds(10)));
  int next = 0;
  for (const auto& r : host_.requests()) {
    for (const auto& ts : r.timeseries()) {
      const int scrape = next / 50;
      const int i = next % 50;
      EXPECT_EQ(ts.samples(0).value(), scrape * 100 + i);
      EXPECT_EQ(ts.samples(0).timestamp(), 1000 * scrape);
      ASSERT_EQ(ts.labels_size(), 3);
      EXPECT_EQ(ts.labels(1).value(), std::to_string(i));
      EXPECT_EQ(ts.labels(2).value(), i % 2 == 0 ? long_value : "");
      ++next;
    }
  }
  EXPECT_EQ(next, 150);
}

TEST(QueueSinkFullTest, RefusedHistogramsAreCounted) {
  metrics::Registry registry;
  Logger logger{[](LogLevel, absl::string_view) {}};
  WriteQueue::Options options;
  options.target = "127.0.0.1:1";
  options.capacity = 1;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto queue, WriteQueue::Create(options, registry, logger));
  QueueSink sink(*queue, registry, logger);
  model::Histogram h;
  h.count = 1;
  auto app = sink.NewAppender();
  app->AppendHistogram(
      model::CompactLabels(model::Labels::Of({{"__name__", "h1"}})), 1, h);
  app->Append(model::CompactLabels(model::Labels::Of({{"__name__", "up"}})),
              1, 1);
  app->AppendHistogram(
      model::CompactLabels(model::Labels::Of({{"__name__", "h2"}})), 1, h);
  EXPECT_EQ(app->Commit().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(queue->PendingSamples(), 1);
  double dropped_histograms = -1;
  double dropped = -1;
  for (const auto& m : registry.Collect()) {
    if (m.name == "promscrape_native_histograms_dropped_total") {
      dropped_histograms = m.value;
    }
    if (m.name == "promscrape_remote_samples_dropped_total") dropped = m.value;
  }
  EXPECT_EQ(dropped_histograms, 1);
  EXPECT_EQ(dropped, 2);
  queue->Stop(absl::ZeroDuration()).IgnoreError();
}

TEST(ToProtoHistogramTest, FloatAndGaugeHistograms) {
  model::Histogram h;
  h.is_float = true;
  h.is_gauge = true;
  h.count_float = 2.5;
  h.zero_count_float = 0.5;
  h.positive_spans = {{0, 1}};
  h.positive_counts = {2.0};
  v1::Histogram p = ToProtoHistogram(h);
  EXPECT_EQ(p.count_float(), 2.5);
  EXPECT_EQ(p.zero_count_float(), 0.5);
  EXPECT_EQ(p.positive_counts(0), 2.0);
  EXPECT_EQ(p.reset_hint(), v1::Histogram::GAUGE);
}

// Native histograms with custom buckets (3.x convert_classic_histograms_to_
// nhcb): schema -53 and the bounds travel in custom_values, as prompb's
// Histogram.custom_values (field 16) carries them.
TEST(ToProtoHistogramTest, CustomBucketsCarryTheirBounds) {
  model::Histogram h;
  h.schema = model::kCustomBucketsSchema;
  h.count = 3;
  h.sum = 2;
  h.positive_spans = {{0, 3}};
  h.positive_deltas = {1, 0, 0};
  h.custom_values = {0.5, 1};
  v1::Histogram p = ToProtoHistogram(h);
  EXPECT_EQ(p.schema(), -53);
  ASSERT_EQ(p.custom_values_size(), 2);
  EXPECT_EQ(p.custom_values(0), 0.5);
  EXPECT_EQ(p.custom_values(1), 1.0);
  EXPECT_EQ(p.count_int(), 3u);
}

} // namespace
} // namespace promscrape::remote
