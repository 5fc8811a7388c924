#include "plugin/common/executor.h"
#include "plugin/common/thread_name.h"

#include <algorithm>

namespace promscrape {

Executor::Executor(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) {
    workers_.emplace_back([this] {
      SetCurrentThreadName("ps-worker");
      Work();
    });
  }
}

Executor::~Executor() { Stop(); }

void Executor::Submit(absl::AnyInvocable<void()> task) {
  {
    MutexLock lock(&mu_);
    if (!stopping_) {
      queue_.push_back(std::move(task));
      cv_.Signal();
      return;
    }
  }
  task();
}

void Executor::Stop() {
  {
    MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.SignalAll();
  }
  for (std::thread& t : workers_) t.join();
}

void Executor::Work() {
  while (true) {
    absl::AnyInvocable<void()> task;
    {
      MutexLock lock(&mu_);
      while (queue_.empty() && !stopping_) cv_.Wait(&mu_);
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace promscrape
