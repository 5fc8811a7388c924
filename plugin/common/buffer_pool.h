#ifndef PLUGIN_COMMON_BUFFER_POOL_H_
#define PLUGIN_COMMON_BUFFER_POOL_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "plugin/common/mutex.h"

namespace promscrape {

// Response-body buffers shared by every scrape loop: only scrapes in flight
// hold one, so memory follows concurrency (tens of buffers) rather than the
// number of targets (a retained 40 KB body per target is 400 MB at 10,000
// targets). Buffers keep their capacity between uses, so a warm scrape
// allocates nothing for its body.
//
// Thread-safe.
class BufferPool {
 public:
  // Keeps at most `max_buffers` idle buffers, and none larger than
  // `max_capacity` bytes (one huge body must not pin its memory forever).
  explicit BufferPool(size_t max_buffers = 256,
                      size_t max_capacity = 16 << 20)
      : max_buffers_(max_buffers), max_capacity_(max_capacity) {}
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // An empty buffer, with capacity when one was returned before.
  std::string Acquire() ABSL_LOCKS_EXCLUDED(mu_);
  // Gives `buffer` back (its contents are discarded).
  void Release(std::string buffer) ABSL_LOCKS_EXCLUDED(mu_);

  size_t idle() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const size_t max_buffers_;
  const size_t max_capacity_;
  mutable Mutex mu_;
  std::vector<std::string> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace promscrape

#endif  // PLUGIN_COMMON_BUFFER_POOL_H_
