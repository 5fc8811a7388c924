#ifndef PLUGIN_COMMON_TIMER_HEAP_H_
#define PLUGIN_COMMON_TIMER_HEAP_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "plugin/common/mutex.h"

namespace promscrape {

// The pending tasks of a timer (the `Scheduler` thread, an HTTP event loop):
// tasks keyed by id and ordered by time, then by id (first scheduled first),
// with cancellation that waits for a running task. Cancelling removes the
// task at once and leaves its heap entry to be skipped later, so Cancel is
// O(1) and cheap for loops that reschedule every interval.
//
// `TimePoint` is `absl::Time` (an injected Clock) or
// `std::chrono::steady_clock::time_point`; both are instantiated in
// timer_heap.cc.
//
// Thread-compatible, and externally locked: the owner guards the heap with
// its own `Mutex` (`TimerHeap<...> heap_ ABSL_GUARDED_BY(mu_)`), which also
// guards the owner's other timer state, so scheduling costs one lock. The
// owner runs due tasks with `RunOneDue`, which releases that mutex while a
// task runs; `Cancel` waits on it for a running task.
template <typename TimePoint>
class TimerHeap {
 public:
  using Duration =
      decltype(std::declval<TimePoint>() - std::declval<TimePoint>());
  using Task = absl::AnyInvocable<void()>;

  // A task may run up to `early_slack` before its time, with an earlier one
  // (timers that share a wake-up); zero runs every task at or after it.
  explicit TimerHeap(Duration early_slack = Duration()) : slack_(early_slack) {}
  TimerHeap(const TimerHeap&) = delete;
  TimerHeap& operator=(const TimerHeap&) = delete;

  struct Added {
    uint64_t id;  // never 0
    // The task is due strictly before every other pending one: a timer
    // sleeping until the previous earliest must wake up.
    bool earliest;
  };

  // Adds `task` due at `when`.
  Added Add(TimePoint when, Task task);

  // Removes pending task `id` and returns true. Otherwise returns false,
  // after waiting on `mu` (held by the caller, released while waiting) for
  // task `id` to finish if it is running on another thread: once Cancel
  // returns, the task is not running and never will. From the task itself
  // it returns false at once. Unknown ids (and 0) return false.
  bool Cancel(uint64_t id, Mutex& mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  // Runs the earliest task due at `now` (within the early slack), if any,
  // on the calling thread: pops it, releases `mu` (held by the caller) while
  // it runs, destroys it (its captures die before a Cancel of it returns),
  // and takes `mu` again. Returns false, without releasing `mu`, if nothing
  // is due.
  bool RunOneDue(TimePoint now, Mutex& mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  // The time of the earliest pending task, if any.
  std::optional<TimePoint> NextDeadline();

  // Removes every pending task and returns them, so the caller can destroy
  // them where it likes (for example outside its lock). A running task is
  // not affected.
  [[nodiscard]] absl::flat_hash_map<uint64_t, Task> TakeAll();

 private:
  struct Entry {
    TimePoint when;
    uint64_t id;
    bool operator>(const Entry& o) const {
      return when != o.when ? when > o.when : id > o.id;
    }
  };

  // Pops the entries of cancelled tasks off the top.
  void SkipCancelled();

  const Duration slack_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  absl::flat_hash_map<uint64_t, Task> tasks_;
  uint64_t next_id_ = 1;
  // The task RunOneDue is running (0: none) and its thread.
  uint64_t running_id_ = 0;
  std::thread::id running_thread_;
  CondVar done_cv_;
};

extern template class TimerHeap<absl::Time>;
extern template class TimerHeap<std::chrono::steady_clock::time_point>;

}  // namespace promscrape

#endif  // PLUGIN_COMMON_TIMER_HEAP_H_
