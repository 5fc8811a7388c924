#include "plugin/common/crc32c.h"

#include <cstdint>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace promscrape {
namespace {

using crc32c_internal::Portable;

// RFC 3720 (iSCSI) B.4 test vectors and the customary check value.
struct Vector {
  std::string data;
  uint32_t crc;
};

std::vector<Vector> Vectors() {
  std::string ascending(32, '\0'), descending(32, '\0');
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<char>(i);
    descending[i] = static_cast<char>(31 - i);
  }
  return {
      {"", 0},
      {"123456789", 0xe3069283},
      {std::string(32, '\0'), 0x8a9136aa},
      {std::string(32, '\xff'), 0x62a8ab43},
      {ascending, 0x46dd794e},
      {descending, 0x113fdb5c},
  };
}

TEST(Crc32cTest, KnownVectors) {
  for (const Vector& v : Vectors()) {
    EXPECT_EQ(Crc32c(0, v.data), v.crc) << v.data.size() << " bytes";
    EXPECT_EQ(Portable(0, v.data), v.crc) << v.data.size() << " bytes";
  }
}

TEST(Crc32cTest, HardwareAndTableAgreeOnEveryLengthAndAlignment) {
  std::mt19937 rng(7);
  std::string buf(300, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (size_t offset = 0; offset < 9; ++offset) {
    for (size_t n = 0; n + offset <= buf.size(); n += (n < 40 ? 1 : 13)) {
      absl::string_view s(buf.data() + offset, n);
      ASSERT_EQ(Crc32c(0, s), Portable(0, s)) << offset << " " << n;
    }
  }
}

// The interleaved blocks (3 x 4 KiB, 3 x 256 bytes) and their combination.
TEST(Crc32cTest, HardwareAndTableAgreeOnLongInputs) {
  std::mt19937 rng(11);
  std::string buf(3 * 4096 * 2 + 3 * 256 * 3 + 100, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  for (size_t n : {size_t{767}, size_t{768}, size_t{769}, size_t{3 * 4096 - 1},
                   size_t{3 * 4096}, size_t{3 * 4096 + 3 * 256 + 9},
                   size_t{2 * 3 * 4096 + 5}, buf.size() - 3}) {
    for (size_t offset : {0, 1, 3}) {
      absl::string_view s(buf.data() + offset, n);
      ASSERT_EQ(Crc32c(0, s), Portable(0, s)) << offset << " " << n;
      ASSERT_EQ(Crc32c(Crc32c(0, s.substr(0, n / 3)), s.substr(n / 3)),
                Portable(0, s))
          << offset << " " << n;
    }
  }
  // Long runs of zeros and ones: the combination of blocks is linear.
  const std::string zeros(5 * 4096, '\0'), ones(5 * 4096, '\xff');
  EXPECT_EQ(Crc32c(0, zeros), Portable(0, zeros));
  EXPECT_EQ(Crc32c(0, ones), Portable(0, ones));
}

TEST(Crc32cTest, ContinuesAcrossPieces) {
  const std::string data = "the quick brown fox jumps over the lazy dog, twice";
  const uint32_t whole = Crc32c(0, data);
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    const absl::string_view a = absl::string_view(data).substr(0, cut);
    const absl::string_view b = absl::string_view(data).substr(cut);
    EXPECT_EQ(Crc32c(Crc32c(0, a), b), whole) << cut;
    EXPECT_EQ(Portable(Portable(0, a), b), whole) << cut;
  }
}

TEST(Crc32cTest, ReportsWhichImplementationRuns) {
#if defined(__x86_64__)
  // Every x86-64 machine this project builds on has SSE4.2; the log's
  // speed depends on it, so a machine without it should be noticed here.
  EXPECT_TRUE(crc32c_internal::HasHardware());
#else
  EXPECT_FALSE(crc32c_internal::HasHardware());
#endif
}

}  // namespace
}  // namespace promscrape
