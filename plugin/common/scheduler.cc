#include "plugin/common/scheduler.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "absl/time/time.h"
#include "plugin/common/thread_name.h"

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
  while (!stopping_ && heap_.RunOneDue(clock_.Now(), mu_)) ++ran;
  return ran;
}

absl::Time Scheduler::NextDueForTest() {
  MutexLock lock(&mu_);
  return heap_.NextDeadline().value_or(absl::InfiniteFuture());
}

uint64_t Scheduler::RunAt(absl::Time when, absl::AnyInvocable<void()> task) {
  MutexLock lock(&mu_);
  if (stopping_) return 0;
  const TimerHeap<absl::Time>::Added added = heap_.Add(when, std::move(task));
  if (added.earliest) cv_.Signal();
  return added.id;
}

bool Scheduler::Cancel(uint64_t id) {
  MutexLock lock(&mu_);
  return heap_.Cancel(id, mu_);
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
  // Dropped under the lock, as before the heap was shared.
  auto dropped = heap_.TakeAll();
}

void Scheduler::Run() {
  MutexLock lock(&mu_);
  while (!stopping_) {
    const std::optional<absl::Time> next = heap_.NextDeadline();
    if (!next.has_value()) {
      cv_.Wait(&mu_);
      continue;
    }
    const absl::Time now = clock_.Now();
    const absl::Duration wait = *next - now;
    if (wait > absl::ZeroDuration()) {
      cv_.WaitWithTimeout(&mu_, std::min(wait, max_wait_));
      continue;
    }
    heap_.RunOneDue(now, mu_);
  }
}

}  // namespace promscrape
