#include "plugin/common/scheduler.h"

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/testutil/fake_clock.h"

namespace promscrape {
namespace {

using ::promscrape::testing::FakeClock;

// The manual scheduler (no timer thread) over the shared timer heap: tasks
// run at or after their time, in order, on the test's thread.
TEST(SchedulerTest, ManualRunsDueTasksInTimeOrder) {
  FakeClock clock;
  std::unique_ptr<Scheduler> scheduler = Scheduler::CreateManualForTest(clock);
  std::string order;
  const absl::Time t0 = clock.Now();
  scheduler->RunAt(t0 + absl::Seconds(2), [&] { order += "c"; });
  const uint64_t x =
      scheduler->RunAt(t0 + absl::Seconds(1), [&] { order += "x"; });
  scheduler->RunAt(t0 + absl::Seconds(1), [&] { order += "b"; });
  scheduler->RunAt(t0 - absl::Seconds(1), [&] { order += "a"; });
  EXPECT_TRUE(scheduler->Cancel(x));
  EXPECT_FALSE(scheduler->Cancel(x));

  EXPECT_EQ(scheduler->RunDueForTest(), 1);
  EXPECT_EQ(order, "a");
  EXPECT_EQ(scheduler->NextDueForTest(), t0 + absl::Seconds(1));
  // No early slack: a millisecond before its time, a task waits.
  clock.Advance(absl::Seconds(1) - absl::Milliseconds(1));
  EXPECT_EQ(scheduler->RunDueForTest(), 0);
  clock.Advance(absl::Milliseconds(1));
  EXPECT_EQ(scheduler->RunDueForTest(), 1);
  clock.Advance(absl::Hours(1));
  EXPECT_EQ(scheduler->RunDueForTest(), 1);
  EXPECT_EQ(order, "abc");
  EXPECT_EQ(scheduler->NextDueForTest(), absl::InfiniteFuture());
}

TEST(SchedulerTest, ManualRunsTasksThatARunSchedulesForNow) {
  FakeClock clock;
  std::unique_ptr<Scheduler> scheduler = Scheduler::CreateManualForTest(clock);
  std::string order;
  scheduler->RunAt(clock.Now(), [&] {
    order += "a";
    scheduler->RunAt(clock.Now(), [&] { order += "b"; });
  });
  EXPECT_EQ(scheduler->RunDueForTest(), 2);
  EXPECT_EQ(order, "ab");
}

TEST(SchedulerTest, StopDropsPendingTasksAndRefusesNewOnes) {
  FakeClock clock;
  std::unique_ptr<Scheduler> scheduler = Scheduler::CreateManualForTest(clock);
  int runs = 0;
  EXPECT_NE(scheduler->RunAt(clock.Now(), [&] { ++runs; }), 0u);
  scheduler->Stop();
  EXPECT_EQ(scheduler->RunAt(clock.Now(), [&] { ++runs; }), 0u);
  EXPECT_EQ(scheduler->RunDueForTest(), 0);
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(scheduler->NextDueForTest(), absl::InfiniteFuture());
}

}  // namespace
}  // namespace promscrape
