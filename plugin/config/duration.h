#ifndef PLUGIN_CONFIG_DURATION_H_
#define PLUGIN_CONFIG_DURATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

// Prometheus durations (`common:model/time.go`, 2.42 dialect): `0`, or
// `[Ny][Nw][Nd][Nh][Nm][Ns][Nms]` with at least one part, units in that order,
// non-negative integers only. `1.5s`, `-1s`, `30m1h` and `10` are invalid.
namespace promscrape::config {

// Errors (kInvalidArgument): `empty duration string`,
// `not a valid duration string: "1.5s"`, `duration out of range`.
absl::StatusOr<absl::Duration> ParseDuration(absl::string_view s);

// `model.Duration.String()`: `0s`, `1m`, `1s500ms`, `90d`, `1y`; years and
// weeks only when they divide exactly. Sub-millisecond parts are truncated.
std::string FormatPromDuration(absl::Duration d);

}  // namespace promscrape::config

#endif  // PLUGIN_CONFIG_DURATION_H_
