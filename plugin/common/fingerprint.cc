#include "plugin/common/fingerprint.h"

#include <random>

// Inlined: the series cache calls this once per scraped line.
#define XXH_INLINE_ALL
#include "xxhash.h"

namespace promscrape {
namespace {

uint64_t RandomSeed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

Fingerprint Fingerprint::Of(absl::string_view bytes) {
  // Once per process.
  static const uint64_t seed = RandomSeed();
  const XXH128_hash_t h = XXH3_128bits_withSeed(bytes.data(), bytes.size(), seed);
  return Fingerprint{h.low64, h.high64};
}

}  // namespace promscrape
