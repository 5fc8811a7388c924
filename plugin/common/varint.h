#ifndef PLUGIN_COMMON_VARINT_H_
#define PLUGIN_COMMON_VARINT_H_

#include <cstddef>
#include <cstdint>

namespace promscrape {

// Protobuf's base-128 varint, shared by the compact label encoding and the
// hand-written remote-write wire encoder. Stateless; thread-safe.

// Bytes of the varint encoding of `v` (1..10).
inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes `v` as a varint at `p` (VarintSize(v) bytes); returns the byte
// after it.
inline char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(static_cast<uint8_t>(v) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// Reads a varint from [*p, end) into `*out` and advances `*p` past it.
// False (nothing advanced) when the bytes end first or it runs past ten
// bytes: for bytes from outside (files, the network).
inline bool GetVarint(const char** p, const char* end, uint64_t* out) {
  uint64_t v = 0;
  const char* q = *p;
  for (int shift = 0; shift <= 63 && q < end; shift += 7) {
    const uint8_t b = static_cast<uint8_t>(*q++);
    v |= uint64_t{b & 0x7fu} << shift;
    if (b < 0x80) {
      *p = q;
      *out = v;
      return true;
    }
  }
  return false;
}

}  // namespace promscrape

#endif  // PLUGIN_COMMON_VARINT_H_
