// Fingerprint: equal bytes give equal fingerprints, different bytes
// (including ones that differ in one bit, or by length only) do not.

#include "plugin/common/fingerprint.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace promscrape {
namespace {

TEST(FingerprintTest, EqualBytesEqualFingerprints) {
  const std::string a = "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}";
  const std::string b(a);  // Another buffer, same bytes.
  EXPECT_EQ(Fingerprint::Of(a), Fingerprint::Of(b));
  EXPECT_EQ(Fingerprint::Of(""), Fingerprint::Of(std::string()));
}

TEST(FingerprintTest, NearStringsDiffer) {
  const std::string base = "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"}";
  const Fingerprint f = Fingerprint::Of(base);
  for (size_t i = 0; i < base.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = base;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      EXPECT_NE(Fingerprint::Of(flipped), f) << i << " " << bit;
    }
  }
  EXPECT_NE(Fingerprint::Of(base.substr(0, base.size() - 1)), f);
  EXPECT_NE(Fingerprint::Of(base + '\0'), f);
  EXPECT_NE(Fingerprint::Of(""), Fingerprint::Of(std::string(1, '\0')));
}

TEST(FingerprintTest, ManyDistinctKeysNoCollisionInEitherHalf) {
  absl::flat_hash_set<uint64_t> lows, highs;
  constexpr int kKeys = 200000;
  for (int i = 0; i < kKeys; ++i) {
    const Fingerprint f = Fingerprint::Of(
        absl::StrCat("metric_", i % 97, "{instance=\"host-", i, "\"}"));
    lows.insert(f.lo);
    highs.insert(f.hi);
  }
  EXPECT_EQ(lows.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(highs.size(), static_cast<size_t>(kKeys));
}

}  // namespace
}  // namespace promscrape
