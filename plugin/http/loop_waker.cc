#include "plugin/http/loop_waker.h"

#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "plugin/common/mutex.h"

namespace promscrape::http::internal {

void LoopWaker::Wake() {
  MutexLock lock(&mu_);
  if (fd_ < 0) return;
  uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the loop will wake anyway.
  while (write(fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

void LoopWaker::Close() {
  MutexLock lock(&mu_);
  fd_ = -1;
}

}  // namespace promscrape::http::internal
