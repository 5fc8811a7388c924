#include "plugin/common/scheduler.h"

#include <algorithm>

namespace promscrape {

Scheduler::Scheduler(const Clock& clock, absl::Duration max_wait)
    : clock_(clock), max_wait_(max_wait) {
  thread_ = std::thread([this] { Run(); });
}

Scheduler::~Scheduler() { Stop(); }

uint64_t Scheduler::RunAt(absl::Time when, absl::AnyInvocable<void()> task) {
  MutexLock lock(&mu_);
  if (stopping_) return 0;
  uint64_t id = next_id_++;
  tasks_.emplace(id, std::move(task));
  heap_.push(Entry{when, id});
  if (heap_.top().id == id) cv_.Signal();
  return id;
}

bool Scheduler::Cancel(uint64_t id) {
  MutexLock lock(&mu_);
  // The heap entry stays; Run skips ids without a task.
  if (tasks_.erase(id) > 0) return true;
  while (id != 0 && running_id_ == id) done_cv_.Wait(&mu_);
  return false;
}

void Scheduler::Poke() {
  MutexLock lock(&mu_);
  cv_.Signal();
}

void Scheduler::Stop() {
  {
    MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.SignalAll();
  }
  thread_.join();
  MutexLock lock(&mu_);
  tasks_.clear();
  heap_ = {};
}

void Scheduler::Run() {
  MutexLock lock(&mu_);
  while (!stopping_) {
    while (!heap_.empty() && !tasks_.contains(heap_.top().id)) heap_.pop();
    if (heap_.empty()) {
      cv_.Wait(&mu_);
      continue;
    }
    absl::Duration wait = heap_.top().when - clock_.Now();
    if (wait > absl::ZeroDuration()) {
      cv_.WaitWithTimeout(&mu_, std::min(wait, max_wait_));
      continue;
    }
    uint64_t id = heap_.top().id;
    heap_.pop();
    auto it = tasks_.find(id);
    absl::AnyInvocable<void()> task = std::move(it->second);
    tasks_.erase(it);
    running_id_ = id;
    mu_.Unlock();
    task();
    task = nullptr;
    mu_.Lock();
    running_id_ = 0;
    done_cv_.SignalAll();
  }
}

}  // namespace promscrape
