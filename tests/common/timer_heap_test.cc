#include "plugin/common/timer_heap.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/mutex.h"

namespace promscrape {
namespace {

using ::testing::Optional;
using SteadyTime = std::chrono::steady_clock::time_point;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

// A heap with its owner's lock, as Scheduler and the event loop hold it.
template <typename TimePoint>
struct LockedHeap {
  explicit LockedHeap(typename TimerHeap<TimePoint>::Duration slack = {})
      : heap(slack) {}

  uint64_t Add(TimePoint when, absl::AnyInvocable<void()> task,
               bool* earliest = nullptr) {
    MutexLock lock(&mu);
    auto added = heap.Add(when, std::move(task));
    if (earliest != nullptr) *earliest = added.earliest;
    return added.id;
  }
  bool Cancel(uint64_t id) {
    MutexLock lock(&mu);
    return heap.Cancel(id, mu);
  }
  bool RunOneDue(TimePoint now) {
    MutexLock lock(&mu);
    return heap.RunOneDue(now, mu);
  }
  int RunAllDue(TimePoint now) {
    int ran = 0;
    while (RunOneDue(now)) ++ran;
    return ran;
  }
  std::optional<TimePoint> NextDeadline() {
    MutexLock lock(&mu);
    return heap.NextDeadline();
  }

  Mutex mu;
  TimerHeap<TimePoint> heap ABSL_GUARDED_BY(mu);
};

TEST(TimerHeapTest, RunsDueTasksInTimeOrderThenInScheduleOrder) {
  LockedHeap<absl::Time> timers;
  std::string order;
  timers.Add(kT0 + absl::Seconds(30), [&] { order += "d"; });
  timers.Add(kT0 + absl::Seconds(10), [&] { order += "a"; });
  timers.Add(kT0 + absl::Seconds(20), [&] { order += "c"; });
  timers.Add(kT0 + absl::Seconds(10), [&] { order += "b"; });

  EXPECT_EQ(timers.RunAllDue(kT0 + absl::Seconds(9)), 0);
  EXPECT_EQ(timers.RunAllDue(kT0 + absl::Seconds(20)), 3);
  EXPECT_EQ(order, "abc");
  EXPECT_EQ(timers.RunAllDue(kT0 + absl::Hours(1)), 1);
  EXPECT_EQ(order, "abcd");
  EXPECT_FALSE(timers.RunOneDue(kT0 + absl::Hours(2)));
}

TEST(TimerHeapTest, IdsAreDistinctAndNeverZero) {
  LockedHeap<absl::Time> timers;
  const uint64_t a = timers.Add(kT0, [] {});
  const uint64_t b = timers.Add(kT0, [] {});
  EXPECT_NE(a, 0u);
  EXPECT_NE(b, 0u);
  EXPECT_NE(a, b);
}

TEST(TimerHeapTest, EarliestOnlyWhenStrictlyBeforeEveryPendingTask) {
  LockedHeap<absl::Time> timers;
  bool earliest = false;
  timers.Add(
      kT0 + absl::Seconds(10), [] {}, &earliest);
  EXPECT_TRUE(earliest);  // The first one.
  timers.Add(
      kT0 + absl::Seconds(20), [] {}, &earliest);
  EXPECT_FALSE(earliest);
  timers.Add(
      kT0 + absl::Seconds(10), [] {}, &earliest);
  EXPECT_FALSE(earliest);  // A tie runs after the older task.
  timers.Add(
      kT0 + absl::Seconds(5), [] {}, &earliest);
  EXPECT_TRUE(earliest);
}

TEST(TimerHeapTest, CancelledTasksNeverRun) {
  LockedHeap<absl::Time> timers;
  std::string order;
  timers.Add(kT0 + absl::Seconds(1), [&] { order += "a"; });
  const uint64_t x = timers.Add(kT0 + absl::Seconds(2), [&] { order += "x"; });
  timers.Add(kT0 + absl::Seconds(3), [&] { order += "b"; });

  EXPECT_TRUE(timers.Cancel(x));
  EXPECT_FALSE(timers.Cancel(x));  // Already gone.
  EXPECT_FALSE(timers.Cancel(0));
  EXPECT_FALSE(timers.Cancel(12345));  // Unknown.
  EXPECT_EQ(timers.RunAllDue(kT0 + absl::Seconds(3)), 2);
  EXPECT_EQ(order, "ab");
  EXPECT_FALSE(timers.Cancel(1));  // Ran already.
}

TEST(TimerHeapTest, NextDeadlineSkipsCancelledTasks) {
  LockedHeap<absl::Time> timers;
  EXPECT_EQ(timers.NextDeadline(), std::nullopt);
  const uint64_t first = timers.Add(kT0 + absl::Seconds(1), [] {});
  timers.Add(kT0 + absl::Seconds(2), [] {});
  EXPECT_THAT(timers.NextDeadline(), Optional(kT0 + absl::Seconds(1)));
  timers.Cancel(first);
  EXPECT_THAT(timers.NextDeadline(), Optional(kT0 + absl::Seconds(2)));
  timers.RunAllDue(kT0 + absl::Seconds(2));
  EXPECT_EQ(timers.NextDeadline(), std::nullopt);
}

TEST(TimerHeapTest, EarlySlackRunsTasksDueWithinItTogether) {
  using std::chrono::milliseconds;
  const SteadyTime now = SteadyTime() + std::chrono::hours(1);
  LockedHeap<SteadyTime> timers(milliseconds(2));
  std::string order;
  timers.Add(now + milliseconds(3), [&] { order += "c"; });
  timers.Add(now + milliseconds(2), [&] { order += "b"; });
  timers.Add(now, [&] { order += "a"; });

  EXPECT_EQ(timers.RunAllDue(now), 2);  // `now` and within 2 ms of it.
  EXPECT_EQ(order, "ab");
  EXPECT_THAT(timers.NextDeadline(), Optional(now + milliseconds(3)));
  EXPECT_EQ(timers.RunAllDue(now + milliseconds(1)), 1);
  EXPECT_EQ(order, "abc");
}

TEST(TimerHeapTest, WithoutSlackATaskRunsOnlyAtItsTime) {
  LockedHeap<absl::Time> timers;
  int runs = 0;
  timers.Add(kT0 + absl::Seconds(1), [&] { ++runs; });
  EXPECT_FALSE(timers.RunOneDue(kT0 + absl::Seconds(1) - absl::Nanoseconds(1)));
  EXPECT_TRUE(timers.RunOneDue(kT0 + absl::Seconds(1)));
  EXPECT_EQ(runs, 1);
}

TEST(TimerHeapTest, TasksScheduledByARunningTaskRunInTheSamePass) {
  LockedHeap<absl::Time> timers;
  std::string order;
  timers.Add(kT0, [&] {
    order += "a";
    timers.Add(kT0, [&] { order += "b"; });
    timers.Add(kT0 + absl::Seconds(1), [&] { order += "later"; });
  });
  EXPECT_EQ(timers.RunAllDue(kT0), 2);
  EXPECT_EQ(order, "ab");
}

// Sets `*destroyed` when the task holding it dies.
struct DestructionFlag {
  explicit DestructionFlag(std::atomic<bool>* destroyed)
      : destroyed(destroyed) {}
  ~DestructionFlag() { *destroyed = true; }
  std::atomic<bool>* destroyed;
};

TEST(TimerHeapTest, CancelOfARunningTaskWaitsUntilItAndItsCapturesAreGone) {
  LockedHeap<absl::Time> timers;
  Notification started;
  Notification release;
  std::atomic<bool> finished{false};
  std::atomic<bool> destroyed{false};
  const uint64_t id = timers.Add(
      kT0, [&, flag = std::make_shared<DestructionFlag>(&destroyed)] {
        started.Notify();
        release.WaitForNotification();
        finished = true;
      });
  std::thread runner([&] { EXPECT_TRUE(timers.RunOneDue(kT0)); });
  started.WaitForNotification();

  std::atomic<bool> cancel_returned{false};
  bool finished_at_return = false;
  bool destroyed_at_return = false;
  std::thread canceller([&] {
    EXPECT_FALSE(timers.Cancel(id));  // Not pending: it is running.
    finished_at_return = finished.load();
    destroyed_at_return = destroyed.load();
    cancel_returned = true;
  });
  // The task cannot finish before `release`, so Cancel cannot have
  // returned yet.
  EXPECT_FALSE(cancel_returned.load());
  release.Notify();
  canceller.join();
  runner.join();
  EXPECT_TRUE(finished_at_return);
  EXPECT_TRUE(destroyed_at_return);
}

TEST(TimerHeapTest, ATaskCancellingItselfDoesNotWait) {
  LockedHeap<absl::Time> timers;
  uint64_t id = 0;
  bool cancelled = true;
  id = timers.Add(kT0, [&] { cancelled = timers.Cancel(id); });
  EXPECT_TRUE(timers.RunOneDue(kT0));
  EXPECT_FALSE(cancelled);
}

TEST(TimerHeapTest, TakeAllRemovesEveryPendingTask) {
  LockedHeap<absl::Time> timers;
  int runs = 0;
  timers.Add(kT0, [&] { ++runs; });
  timers.Add(kT0 + absl::Seconds(1), [&] { ++runs; });
  {
    MutexLock lock(&timers.mu);
    EXPECT_EQ(timers.heap.TakeAll().size(), 2u);
  }
  EXPECT_EQ(timers.NextDeadline(), std::nullopt);
  EXPECT_EQ(timers.RunAllDue(kT0 + absl::Hours(1)), 0);
  EXPECT_EQ(runs, 0);
}

}  // namespace
}  // namespace promscrape
