#ifndef PLUGIN_CONFIG_SIZE_H_
#define PLUGIN_CONFIG_SIZE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// Byte sizes as Prometheus parses `body_size_limit` (alecthomas/units
// `ParseBase2Bytes`): a unit is required (`100` alone is invalid), units are
// case-sensitive, `KB` and `KiB` both mean 1024, fractions are allowed
// (`1.5MB`), components may repeat (`1MB512KB`), and `0` alone means zero.
namespace promscrape::config {

// Errors: `units: unknown unit  in 100`, `units: invalid x`,
// `units: overflow parsing unit`.
absl::StatusOr<int64_t> ParseSize(absl::string_view s);

// Renders a byte count as the shortest exact `<n><unit>` (`10MiB`, `0B`).
std::string FormatSize(int64_t bytes);

}  // namespace promscrape::config

#endif  // PLUGIN_CONFIG_SIZE_H_
