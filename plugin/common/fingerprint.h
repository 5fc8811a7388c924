#ifndef PLUGIN_COMMON_FINGERPRINT_H_
#define PLUGIN_COMMON_FINGERPRINT_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace promscrape {

// A 128-bit fingerprint of a byte string (XXH3-128, seeded once per
// process), for caches that must recognise a string they saw before without
// keeping its bytes: the series cache keys every scraped series by the
// fingerprint of its raw text instead of the text.
//
// Two different strings share a fingerprint with probability about 2^-128
// per pair (a cache of a million strings: about 10^-27 over its life); the
// per-process seed keeps a hostile target from aiming for a collision with
// strings computed offline.
//
// Thread-safe (the seed is fixed before first use).
struct Fingerprint {
  uint64_t lo = 0;
  uint64_t hi = 0;

  static Fingerprint Of(absl::string_view bytes);

  friend bool operator==(const Fingerprint& a, const Fingerprint& b) {
    return a.lo == b.lo && a.hi == b.hi;
  }
  friend bool operator!=(const Fingerprint& a, const Fingerprint& b) {
    return !(a == b);
  }
  // For hash tables: the low half is already uniformly distributed.
  struct Hash {
    size_t operator()(const Fingerprint& f) const {
      return static_cast<size_t>(f.lo);
    }
  };
};

}  // namespace promscrape

#endif  // PLUGIN_COMMON_FINGERPRINT_H_
