#include "plugin/common/scheduler.h"
#include "plugin/common/thread_name.h"

#include <algorithm>

namespace promscrape {

Scheduler::Scheduler(const Clock& clock, absl::Duration max_wait)
    : clock_(clock), max_wait_(max_wait) {
  thread_ = std::thread([this] {
    SetCurrentThreadName("ps-timer");
    Run();
  });
}

Scheduler::Scheduler(const Clock& clock, ManualTag)
    : clock_(clock), max_wait_(absl::ZeroDuration()) {}

std::unique_ptr<Scheduler> Scheduler::CreateManualForTest(const Clock& clock) {
  return std::unique_ptr<Scheduler>(new Scheduler(clock, ManualTag{}));
}

Scheduler::~Scheduler() { Stop(); }

int Scheduler::RunDueForTest() {
  int ran = 0;
  MutexLock lock(&mu_);
  uint64_t id = 0;
  absl::AnyInvocable<void()> task;
  while (!stopping_ && PopDueLocked(clock_.Now(), &id, &task)) {
    mu_.Unlock();
    task();
    task = nullptr;
    mu_.Lock();
    FinishRunLocked();
    ++ran;
  }
  return ran;
}

absl::Time Scheduler::NextDueForTest() {
  MutexLock lock(&mu_);
  while (!heap_.empty() && !tasks_.contains(heap_.top().id)) heap_.pop();
  return heap_.empty() ? absl::InfiniteFuture() : heap_.top().when;
}

bool Scheduler::PopDueLocked(absl::Time now, uint64_t* id,
                             absl::AnyInvocable<void()>* task) {
  while (!heap_.empty() && !tasks_.contains(heap_.top().id)) heap_.pop();
  if (heap_.empty() || heap_.top().when > now) return false;
  *id = heap_.top().id;
  heap_.pop();
  auto it = tasks_.find(*id);
  *task = std::move(it->second);
  tasks_.erase(it);
  running_id_ = *id;
  return true;
}

void Scheduler::FinishRunLocked() {
  running_id_ = 0;
  done_cv_.SignalAll();
}

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
  if (thread_.joinable()) thread_.join();
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
    const absl::Time now = clock_.Now();
    absl::Duration wait = heap_.top().when - now;
    if (wait > absl::ZeroDuration()) {
      cv_.WaitWithTimeout(&mu_, std::min(wait, max_wait_));
      continue;
    }
    uint64_t id = 0;
    absl::AnyInvocable<void()> task;
    if (!PopDueLocked(now, &id, &task)) continue;
    mu_.Unlock();
    task();
    task = nullptr;
    mu_.Lock();
    FinishRunLocked();
  }
}

}  // namespace promscrape
