#ifndef PLUGIN_MODEL_HASH_H_
#define PLUGIN_MODEL_HASH_H_

#include <cstdint>

#include "absl/strings/string_view.h"

// Hash functions whose output Prometheus exposes or depends on, bit-exact
// with the Go implementations so that hashes (and therefore scrape offsets)
// match a Prometheus server's for the same target.
namespace promscrape::model {

// xxHash64 with seed 0 (cespare/xxhash `Sum64`).
uint64_t XxHash64(absl::string_view data);

// Incremental 64-bit FNV-1a (Go `hash/fnv.New64a`). Thread-compatible.
class Fnv1a64 {
 public:
  void Write(absl::string_view data);
  uint64_t Sum() const { return state_; }

 private:
  uint64_t state_ = 14695981039346656037ULL;
};

}  // namespace promscrape::model

#endif  // PLUGIN_MODEL_HASH_H_
