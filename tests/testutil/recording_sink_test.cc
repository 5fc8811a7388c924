#include "tests/testutil/recording_sink.h"

#include <bit>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "plugin/model/labels.h"
#include "tests/testutil/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace promscrape::testing {
namespace {

TEST(RecordingSinkTest, KeepsCommittedAndRolledBackApart) {
  RecordingSink sink;
  const model::CompactLabels a(model::Labels::Of({{"__name__", "a"}}));
  std::unique_ptr<model::Appender> app = sink.NewAppender();
  app->Append(a, 1, 1.5);
  app->Append(a, 2, std::bit_cast<double>(kStaleNaNBits));
  PROMSCRAPE_EXPECT_OK(app->Commit());
  app = sink.NewAppender();
  app->Append(a, 3, 7);
  app->Rollback();
  app = sink.NewAppender();
  model::Histogram h;
  h.schema = 2;
  h.count = 4;
  app->AppendHistogram(a, 4, h);
  app.reset(); // Destroyed without Commit: rolled back.

  std::vector<RecordedSample> s = sink.Samples();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].series, a);
  EXPECT_EQ(s[0].timestamp_ms, 1);
  EXPECT_EQ(s[0].value, 1.5);
  EXPECT_FALSE(s[0].is_stale());
  EXPECT_TRUE(s[1].is_stale());
  std::vector<RecordedSample> rb = sink.RolledBack();
  ASSERT_EQ(rb.size(), 2u);
  EXPECT_EQ(rb[0].value, 7);
  ASSERT_TRUE(rb[1].histogram.has_value());
  EXPECT_EQ(rb[1].histogram->schema, 2);
  EXPECT_EQ(sink.commits(), 1);
  EXPECT_EQ(sink.rollbacks(), 2);
}

TEST(RecordingSinkTest, FailedCommitDropsSamples) {
  RecordingSink sink;
  sink.FailCommitsWith(absl::UnavailableError("down"));
  std::unique_ptr<model::Appender> app = sink.NewAppender();
  app->Append(model::CompactLabels(model::Labels::Of({{"__name__", "a"}})), 1,
              1);
  EXPECT_THAT(app->Commit(), StatusIs(absl::StatusCode::kUnavailable,
                                      ::testing::HasSubstr("down")));
  EXPECT_TRUE(sink.Samples().empty());
}

TEST(RecordingSinkTest, AppendersOnManyThreads) {
  RecordingSink sink;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&sink, i] {
      for (int j = 0; j < 100; ++j) {
        std::unique_ptr<model::Appender> app = sink.NewAppender();
        app->Append(
            model::CompactLabels(model::Labels::Of({{"__name__", "t"}})), i,
            j);
        (void)app->Commit();
        (void)sink.Samples().size();
      }
    });
  }
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(sink.Samples().size(), 400u);
  EXPECT_EQ(sink.commits(), 400);
}

} // namespace
} // namespace promscrape::testing
