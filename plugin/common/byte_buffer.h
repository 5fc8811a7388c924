#ifndef PLUGIN_COMMON_BYTE_BUFFER_H_
#define PLUGIN_COMMON_BYTE_BUFFER_H_

#include <cstddef>
#include <cstring>
#include <memory>

#include "absl/strings/string_view.h"

namespace promscrape {

// A growable byte buffer whose new bytes are left uninitialized, for
// encoders that write every byte they reserve: std::string::resize writes
// zeros first (a memset per label in the remote-write record encoder, on
// the scraping thread). Capacity only grows; clear() keeps it, so a reused
// buffer stops allocating.
//
// Thread-compatible.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(ByteBuffer&& other) noexcept
      : data_(std::move(other.data_)),
        size_(other.size_),
        capacity_(other.capacity_) {
    other.size_ = other.capacity_ = 0;
  }
  ByteBuffer& operator=(ByteBuffer&& other) noexcept {
    data_ = std::move(other.data_);
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.size_ = other.capacity_ = 0;
    return *this;
  }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  absl::string_view view() const { return absl::string_view(data(), size_); }

  void clear() { size_ = 0; }

  // Makes the buffer `n` bytes longer and returns the first of them, which
  // the caller must write.
  char* Extend(size_t n) {
    if (n > capacity_ - size_) Grow(n);
    char* p = data_.get() + size_;
    size_ += n;
    return p;
  }

  // Drops the bytes from `n` on (`n` <= size()).
  void Truncate(size_t n) { size_ = n; }

  void Append(absl::string_view bytes) {
    if (!bytes.empty()) std::memcpy(Extend(bytes.size()), bytes.data(), bytes.size());
  }

 private:
  void Grow(size_t n) {
    size_t capacity = capacity_ < 256 ? 256 : capacity_ * 2;
    while (capacity - size_ < n) capacity *= 2;
    std::unique_ptr<char[]> grown(new char[capacity]);
    if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
    data_ = std::move(grown);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace promscrape

#endif  // PLUGIN_COMMON_BYTE_BUFFER_H_
