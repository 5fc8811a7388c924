#ifndef PLUGIN_HTTP_LOOP_WAKER_H_
#define PLUGIN_HTTP_LOOP_WAKER_H_

#include "absl/base/thread_annotations.h"
#include "plugin/common/mutex.h"

namespace promscrape::http::internal {

// A handle that wakes one event loop (writes its eventfd) from any thread,
// held through a `std::weak_ptr` by whoever may outlive the loop (an OAuth2
// token source shared by every loop of a job). The loop calls `Close()`
// before closing the descriptor; later `Wake()`s do nothing.
//
// Thread-safe.
class LoopWaker {
 public:
  // `event_fd` is a non-blocking eventfd; it must stay open until `Close()`.
  explicit LoopWaker(int event_fd) : fd_(event_fd) {}

  LoopWaker(const LoopWaker&) = delete;
  LoopWaker& operator=(const LoopWaker&) = delete;

  // Makes the loop's epoll_wait return. Never blocks.
  void Wake() ABSL_LOCKS_EXCLUDED(mu_);

  // Detaches from the descriptor; waits for a concurrent `Wake()` to end.
  void Close() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_);
};

}  // namespace promscrape::http::internal

#endif  // PLUGIN_HTTP_LOOP_WAKER_H_
