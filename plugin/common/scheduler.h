#ifndef PLUGIN_COMMON_SCHEDULER_H_
#define PLUGIN_COMMON_SCHEDULER_H_

#include <cstdint>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "plugin/common/clock.h"
#include "plugin/common/mutex.h"
#include "plugin/common/task_scheduler.h"
#include "plugin/common/timer_heap.h"

namespace promscrape {

// One timer thread for every scrape loop: tasks run at a wall-clock time,
// on the timer thread, so they must be quick (they hand work to an
// Executor). Ten thousand loops cost ten thousand heap entries, not threads.
//
// Thread-safe. Tasks pending at Stop() are dropped without running.
//
// For tests, `CreateManualForTest` builds a scheduler without a timer
// thread: tasks then run only inside `RunDueForTest()`, on the caller's
// thread, so a test on a FakeClock is deterministic (advance the clock, run
// what is due, look).
class Scheduler : public TaskScheduler {
 public:
  // `clock` must outlive the scheduler. The timer waits on the real clock
  // in steps of at most `max_wait`, so a fake clock that jumps is noticed.
  explicit Scheduler(const Clock& clock,
                     absl::Duration max_wait = absl::Milliseconds(100));
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  ~Scheduler();

  // A scheduler with no timer thread, driven by `RunDueForTest()`. `clock`
  // must outlive it.
  static std::unique_ptr<Scheduler> CreateManualForTest(const Clock& clock);

  // Manual schedulers only: runs, in time order on the calling thread, every
  // task due at `clock.Now()`, including tasks that the run itself
  // schedules at or before now. Returns the number of tasks run.
  int RunDueForTest() ABSL_LOCKS_EXCLUDED(mu_);

  // The time of the earliest pending task, or InfiniteFuture() if none.
  absl::Time NextDueForTest() ABSL_LOCKS_EXCLUDED(mu_);

  // Runs `task` at `when` (at once if past). Returns an id for Cancel; 0
  // after Stop (the task is dropped).
  uint64_t RunAt(absl::Time when, absl::AnyInvocable<void()> task) override
      ABSL_LOCKS_EXCLUDED(mu_);

  // Removes a pending task and returns true. If the task is running right
  // now, waits for it to finish and returns false, so after Cancel returns
  // the task is not running and never will. From the task itself it returns
  // false at once.
  bool Cancel(uint64_t id) override ABSL_LOCKS_EXCLUDED(mu_);

  // Wakes the timer to re-read the clock (tests advancing a fake clock).
  void Poke() ABSL_LOCKS_EXCLUDED(mu_);

  // Drops pending tasks, waits for a running one, joins. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct ManualTag {};
  Scheduler(const Clock& clock, ManualTag);

  void Run();

  const Clock& clock_;
  const absl::Duration max_wait_;
  Mutex mu_;
  // Signalled when the earliest task changes or at Stop.
  CondVar cv_;
  // No early slack: a task runs at or after its time.
  TimerHeap<absl::Time> heap_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace promscrape

#endif  // PLUGIN_COMMON_SCHEDULER_H_
