#include "plugin/common/crc32c.h"

#include <array>
#include <cstddef>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace promscrape {
namespace {

// The reflected Castagnoli polynomial.
constexpr uint32_t kPolynomial = 0x82f63b78;

// Slicing-by-8 tables: kTables[k][b] is the CRC of byte b followed by k
// zero bytes, so eight bytes are folded with eight lookups.
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int i = 0; i < 8; ++i) c = (c >> 1) ^ ((c & 1) ? kPolynomial : 0);
    t[0][b] = c;
  }
  for (int k = 1; k < 8; ++k) {
    for (uint32_t b = 0; b < 256; ++b) {
      t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
    }
  }
  return t;
}

constexpr Tables kTables = MakeTables();

#if defined(__x86_64__)
// Shifting a CRC over zeros. Appending n zero bytes to a message maps its
// (pre-inversion) CRC register linearly: a 32x32 matrix over GF(2), stored
// as 32 columns (the image of each bit). Combining the CRCs of adjacent
// blocks computed independently needs exactly that map for the length of
// the block after them.
using Matrix = std::array<uint32_t, 32>;

uint32_t Apply(const Matrix& m, uint32_t v) {
  uint32_t out = 0;
  for (int bit = 0; v != 0; ++bit, v >>= 1) {
    if (v & 1) out ^= m[bit];
  }
  return out;
}

Matrix Square(const Matrix& m) {
  Matrix out{};
  for (int bit = 0; bit < 32; ++bit) out[bit] = Apply(m, m[bit]);
  return out;
}

// The map for `bytes` zero bytes (a power of two), as four byte tables so
// it costs four lookups.
struct ZerosTable {
  std::array<std::array<uint32_t, 256>, 4> t;

  explicit ZerosTable(size_t bytes) {
    // One zero bit: shift right, folding in the polynomial at bit 0.
    Matrix m{};
    m[0] = kPolynomial;
    for (int bit = 1; bit < 32; ++bit) m[bit] = uint32_t{1} << (bit - 1);
    for (size_t bits = 1; bits < bytes * 8; bits *= 2) m = Square(m);
    for (uint32_t b = 0; b < 256; ++b) {
      for (int k = 0; k < 4; ++k) t[k][b] = Apply(m, b << (8 * k));
    }
  }

  uint32_t Shift(uint32_t crc) const {
    return t[0][crc & 0xff] ^ t[1][(crc >> 8) & 0xff] ^
           t[2][(crc >> 16) & 0xff] ^ t[3][crc >> 24];
  }
};

// Block sizes of the three-way interleave: the instruction has a latency
// of three cycles but a throughput of one, so three independent streams
// over adjacent blocks run about three times as fast as one.
constexpr size_t kLongBlock = 4096;
constexpr size_t kShortBlock = 256;

const ZerosTable& LongZeros() {
  static const ZerosTable* table = new ZerosTable(kLongBlock);
  return *table;
}
const ZerosTable& ShortZeros() {
  static const ZerosTable* table = new ZerosTable(kShortBlock);
  return *table;
}

uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// CRCs of three adjacent blocks of `block` bytes from `p` on, combined into
// `crc` (pre-inversion register).
__attribute__((target("sse4.2"))) uint64_t ThreeBlocks(uint64_t crc,
                                                       const char* p,
                                                       size_t block,
                                                       const ZerosTable& zeros) {
  uint64_t c1 = 0, c2 = 0;
  const char* const end = p + block;
  for (; p < end; p += 8) {
    crc = _mm_crc32_u64(crc, Load64(p));
    c1 = _mm_crc32_u64(c1, Load64(p + block));
    c2 = _mm_crc32_u64(c2, Load64(p + 2 * block));
  }
  crc = zeros.Shift(static_cast<uint32_t>(crc)) ^ static_cast<uint32_t>(c1);
  return zeros.Shift(static_cast<uint32_t>(crc)) ^ static_cast<uint32_t>(c2);
}

// Runs of three blocks of `block` bytes while `*n` holds one; advances
// `*p` and `*n` past them.
__attribute__((target("sse4.2"))) uint64_t Blocks(uint64_t crc,
                                                  const char** p, size_t* n,
                                                  size_t block,
                                                  const ZerosTable& zeros) {
  for (; *n >= 3 * block; *p += 3 * block, *n -= 3 * block) {
    crc = ThreeBlocks(crc, *p, block, zeros);
  }
  return crc;
}

__attribute__((target("sse4.2"))) uint32_t Sse42(uint32_t crc,
                                                 const char* p, size_t n) {
  uint64_t c = ~crc;
  // Byte steps to 8-byte alignment.
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), static_cast<uint8_t>(*p++));
    --n;
  }
  c = Blocks(c, &p, &n, kLongBlock, LongZeros());
  c = Blocks(c, &p, &n, kShortBlock, ShortZeros());
  for (; n >= 8; p += 8, n -= 8) c = _mm_crc32_u64(c, Load64(p));
  for (; n > 0; --n) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), static_cast<uint8_t>(*p++));
  }
  return ~static_cast<uint32_t>(c);
}

bool DetectHardware() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
#else
bool DetectHardware() { return false; }
#endif

// Checked on first use, not at load: nothing depends on static init order.
bool Hardware() {
  static const bool hardware = DetectHardware();
  return hardware;
}

}  // namespace

namespace crc32c_internal {

uint32_t Portable(uint32_t crc, absl::string_view data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  uint32_t c = ~crc;
  while (n >= 8) {
    const uint32_t lo = c ^ (uint32_t{p[0]} | uint32_t{p[1]} << 8 |
                             uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24);
    c = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^
        kTables[5][(lo >> 16) & 0xff] ^ kTables[4][lo >> 24] ^
        kTables[3][p[4]] ^ kTables[2][p[5]] ^ kTables[1][p[6]] ^
        kTables[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xff];
    --n;
  }
  return ~c;
}

bool HasHardware() { return Hardware(); }

}  // namespace crc32c_internal

uint32_t Crc32c(uint32_t crc, absl::string_view data) {
#if defined(__x86_64__)
  if (Hardware()) return Sse42(crc, data.data(), data.size());
#endif
  return crc32c_internal::Portable(crc, data);
}

}  // namespace promscrape
