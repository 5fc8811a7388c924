#ifndef PLUGIN_COMMON_CRC32C_H_
#define PLUGIN_COMMON_CRC32C_H_

#include <cstdint>

#include "absl/strings/string_view.h"

// CRC-32C (Castagnoli, the checksum of iSCSI, ext4 metadata and
// Prometheus' WAL), for the write-ahead log's frames: x86-64 computes it
// with one instruction per 8 bytes (SSE4.2), several times faster than
// zlib's crc32 (IEEE), and the log checksums every scrape's bytes once on
// the scraping thread. Debian ships no crc32c library and this abseil has
// no absl/crc, so it is here: the SSE4.2 path when the CPU has it (checked
// once), a table otherwise; both give the same values.
//
// Stateless; thread-safe.
namespace promscrape {

// CRC-32C of `data` continuing `crc` (0 to start); Crc32c(Crc32c(0, a), b)
// equals Crc32c(0, a + b).
uint32_t Crc32c(uint32_t crc, absl::string_view data);

namespace crc32c_internal {

// The table implementation, always available (tests compare the two).
uint32_t Portable(uint32_t crc, absl::string_view data);
// Whether Crc32c uses the CPU's instruction.
bool HasHardware();

}  // namespace crc32c_internal
}  // namespace promscrape

#endif  // PLUGIN_COMMON_CRC32C_H_
