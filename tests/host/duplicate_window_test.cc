#include "tools/host/duplicate_window.h"

#include "gtest/gtest.h"

namespace promscrape::host {
namespace {

TEST(DuplicateWindowTest, RecordedSequencesAreContainedPerWriter) {
  DuplicateWindow window;
  EXPECT_FALSE(window.Contains(7, 1));
  window.Record(7, 1);
  window.Record(7, 2);
  EXPECT_TRUE(window.Contains(7, 1));
  EXPECT_TRUE(window.Contains(7, 2));
  EXPECT_FALSE(window.Contains(7, 3));
  EXPECT_FALSE(window.Contains(8, 1));  // Another writer's sequence 1.
}

TEST(DuplicateWindowTest, WriterIdZeroIsNeverDeduplicated) {
  DuplicateWindow window;
  window.Record(0, 1);
  EXPECT_FALSE(window.Contains(0, 1));
  EXPECT_EQ(window.writers(), 0u);
}

TEST(DuplicateWindowTest, FirstSequenceSeenStartsTheWindow) {
  // A host that starts while a plugin is mid-stream sees sequence 500
  // first; everything below it was sent to an earlier host life.
  DuplicateWindow window;
  window.Record(1, 500);
  EXPECT_TRUE(window.Contains(1, 499));
  EXPECT_TRUE(window.Contains(1, 500));
  EXPECT_FALSE(window.Contains(1, 501));
}

TEST(DuplicateWindowTest, GapsFillAndAdvanceTheContiguousMark) {
  DuplicateWindow window;
  window.Record(1, 1);
  window.Record(1, 3);
  window.Record(1, 4);
  EXPECT_FALSE(window.Contains(1, 2));
  EXPECT_TRUE(window.Contains(1, 4));
  window.Record(1, 2);
  for (uint64_t s = 1; s <= 4; ++s) EXPECT_TRUE(window.Contains(1, s)) << s;
  EXPECT_FALSE(window.Contains(1, 5));
}

TEST(DuplicateWindowTest, OverflowForgetsTheLowestAboveTheGapNotTheGap) {
  DuplicateWindow window(/*max_writers=*/4, /*max_above=*/2);
  window.Record(1, 1);
  window.Record(1, 3);
  window.Record(1, 4);
  window.Record(1, 5);  // Above holds at most two: 3 is forgotten.
  EXPECT_FALSE(window.Contains(1, 2));  // Never stored: must not be skipped.
  EXPECT_FALSE(window.Contains(1, 3));  // Forgotten: stored again if resent.
  EXPECT_TRUE(window.Contains(1, 4));
  EXPECT_TRUE(window.Contains(1, 5));
}

TEST(DuplicateWindowTest, LeastRecentlyUsedWriterIsForgottenFirst) {
  DuplicateWindow window(/*max_writers=*/2, /*max_above=*/16);
  window.Record(1, 1);
  window.Record(2, 1);
  EXPECT_TRUE(window.Contains(1, 1));  // Writer 1 is now the most recent.
  window.Record(3, 1);                 // Evicts writer 2.
  EXPECT_EQ(window.writers(), 2u);
  EXPECT_TRUE(window.Contains(1, 1));
  EXPECT_FALSE(window.Contains(2, 1));
  EXPECT_TRUE(window.Contains(3, 1));
}

}  // namespace
}  // namespace promscrape::host
