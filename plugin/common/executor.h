#ifndef PLUGIN_COMMON_EXECUTOR_H_
#define PLUGIN_COMMON_EXECUTOR_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "plugin/common/mutex.h"

namespace promscrape {

// A fixed pool of worker threads running submitted tasks in FIFO order.
// Scrape parsing and appending run here; nothing here blocks on I/O.
//
// Thread-safe. Stop() runs the tasks already queued, then joins.
class Executor {
 public:
  // Starts `threads` workers (at least one).
  explicit Executor(int threads);
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  ~Executor();

  // Queues `task`. After Stop() the task runs inline on the caller.
  void Submit(absl::AnyInvocable<void()> task) ABSL_LOCKS_EXCLUDED(mu_);

  // Drains the queue and joins the workers. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  int threads() const { return static_cast<int>(workers_.size()); }

 private:
  void Work();

  Mutex mu_;
  CondVar cv_;
  std::deque<absl::AnyInvocable<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace promscrape

#endif  // PLUGIN_COMMON_EXECUTOR_H_
