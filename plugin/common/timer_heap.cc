#include "plugin/common/timer_heap.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>
#include <utility>

#include "absl/time/time.h"
#include "plugin/common/mutex.h"

namespace promscrape {

template <typename TimePoint>
typename TimerHeap<TimePoint>::Added TimerHeap<TimePoint>::Add(TimePoint when,
                                                               Task task) {
  const uint64_t id = next_id_++;
  tasks_.emplace(id, std::move(task));
  heap_.push(Entry{when, id});
  // A later id never wins a tie, so the new entry is on top only if it is
  // strictly earlier than everything else in the heap.
  return Added{id, heap_.top().id == id};
}

template <typename TimePoint>
bool TimerHeap<TimePoint>::Cancel(uint64_t id, Mutex& mu) {
  // The heap entry stays; SkipCancelled drops it when it reaches the top.
  if (tasks_.erase(id) > 0) return true;
  // NOTE: a task cancelling itself must not wait for itself.
  if (id == 0 || running_thread_ == std::this_thread::get_id()) return false;
  while (running_id_ == id) done_cv_.Wait(&mu);
  return false;
}

template <typename TimePoint>
bool TimerHeap<TimePoint>::RunOneDue(TimePoint now, Mutex& mu) {
  SkipCancelled();
  if (heap_.empty() || heap_.top().when > now + slack_) return false;
  const uint64_t id = heap_.top().id;
  heap_.pop();
  auto it = tasks_.find(id);
  Task task = std::move(it->second);
  tasks_.erase(it);
  running_id_ = id;
  running_thread_ = std::this_thread::get_id();
  mu.Unlock();
  task();
  task = nullptr;  // Captures die before Cancel may return.
  mu.Lock();
  running_id_ = 0;
  running_thread_ = std::thread::id();
  done_cv_.SignalAll();
  return true;
}

template <typename TimePoint>
std::optional<TimePoint> TimerHeap<TimePoint>::NextDeadline() {
  SkipCancelled();
  if (heap_.empty()) return std::nullopt;
  return heap_.top().when;
}

template <typename TimePoint>
absl::flat_hash_map<uint64_t, typename TimerHeap<TimePoint>::Task>
TimerHeap<TimePoint>::TakeAll() {
  absl::flat_hash_map<uint64_t, Task> tasks;
  tasks.swap(tasks_);
  heap_ = {};
  return tasks;
}

template <typename TimePoint>
void TimerHeap<TimePoint>::SkipCancelled() {
  while (!heap_.empty() && !tasks_.contains(heap_.top().id)) heap_.pop();
}

template class TimerHeap<absl::Time>;
template class TimerHeap<std::chrono::steady_clock::time_point>;

}  // namespace promscrape
