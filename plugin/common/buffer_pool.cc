#include "plugin/common/buffer_pool.h"

#include <utility>

namespace promscrape {

std::string BufferPool::Acquire() {
  MutexLock lock(&mu_);
  if (idle_.empty()) return std::string();
  std::string buffer = std::move(idle_.back());
  idle_.pop_back();
  return buffer;
}

void BufferPool::Release(std::string buffer) {
  if (buffer.capacity() == 0 || buffer.capacity() > max_capacity_) return;
  buffer.clear();
  MutexLock lock(&mu_);
  if (idle_.size() < max_buffers_) idle_.push_back(std::move(buffer));
}

size_t BufferPool::idle() const {
  MutexLock lock(&mu_);
  return idle_.size();
}

}  // namespace promscrape
