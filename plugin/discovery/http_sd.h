#ifndef PLUGIN_DISCOVERY_HTTP_SD_H_
#define PLUGIN_DISCOVERY_HTTP_SD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plugin/discovery/target_group.h"

namespace promscrape::discovery {

// The label Prometheus' HTTP discovery puts on every group: the SD URL.
inline constexpr absl::string_view kMetaUrlLabel = "__meta_url";

// The headers of an HTTP SD request, as Prometheus' http discovery sends
// them.
inline constexpr absl::string_view kHttpSdAccept = "application/json";
inline constexpr absl::string_view kHttpSdRefreshHeader =
    "X-Prometheus-Refresh-Interval-Seconds";

// Turns one HTTP SD response into target groups, as Prometheus'
// discovery/http does: kUnavailable `server returned HTTP status 500
// Internal Server Error` for anything but 200, kInvalidArgument
// `unsupported content type "text/plain"` unless the Content-Type is
// `application/json` (optionally with `charset=utf-8`), kInvalidArgument
// for a body that is not a JSON list of {targets, labels} groups (unknown
// keys, bad label names and null groups included). Each group gets
// `__meta_url` = `url` and the source `<url>:<index>`.
absl::StatusOr<std::vector<TargetGroup>> ParseHttpSdResponse(
    absl::string_view url, int status_code, absl::string_view content_type,
    const std::string& body);

}  // namespace promscrape::discovery

#endif  // PLUGIN_DISCOVERY_HTTP_SD_H_
