#ifndef PLUGIN_COMMON_TASK_SCHEDULER_H_
#define PLUGIN_COMMON_TASK_SCHEDULER_H_

#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace promscrape {

// Runs tasks at a time: the timer thread (`Scheduler`), or an HTTP event
// loop running its targets' scrape ticks itself (no thread hand-off per
// scrape). Implementations are thread-safe.
class TaskScheduler {
 public:
  virtual ~TaskScheduler() = default;

  // Runs `task` at `when` (at once if past). Returns an id for Cancel; 0
  // when the scheduler is stopping (the task is dropped).
  virtual uint64_t RunAt(absl::Time when, absl::AnyInvocable<void()> task) = 0;

  // Removes a pending task and returns true. If the task is running right
  // now on another thread, waits for it to finish and returns false, so
  // after Cancel returns the task is not running and never will. Must not
  // be called from the task itself.
  virtual bool Cancel(uint64_t id) = 0;
};

}  // namespace promscrape

#endif  // PLUGIN_COMMON_TASK_SCHEDULER_H_
