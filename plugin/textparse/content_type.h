#ifndef PLUGIN_TEXTPARSE_CONTENT_TYPE_H_
#define PLUGIN_TEXTPARSE_CONTENT_TYPE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "plugin/textparse/parser.h"

namespace promscrape::textparse {

// Content negotiation for scrapes, as Prometheus 2.x does it (ChooseFormat)
// and as 3.x does it (ChooseFormatStrict, the Accept header's escaping).
// Stateless free functions; thread-safe.

// Scrape protocols as named in `scrape_protocols` (case-sensitive).
enum class ScrapeProtocol : int8_t {
  kPrometheusProto,
  kPrometheusText0_0_4,
  kPrometheusText1_0_0,
  kOpenMetricsText0_0_1,
  kOpenMetricsText1_0_0,
};

// "PrometheusProto" -> kPrometheusProto, ...; kInvalidArgument naming the
// unknown value otherwise.
absl::StatusOr<ScrapeProtocol> ParseScrapeProtocol(std::string_view name);

// The media type sent for `protocol` (without escaping or q parameters).
std::string_view ScrapeProtocolMediaType(ScrapeProtocol protocol);

// Builds the Accept header for `protocols` (in preference order): each media
// type gets `;q=0.<w>` with w starting at (number of known protocols + 1) and
// decreasing, the text/OpenMetrics 1.0.0 types also get
// `;escaping=<escaping>` when `escaping` is non-empty, and `*/*;q=0.<w>`
// ends the list. Joined with "," (no spaces).
std::string BuildAcceptHeader(const std::vector<ScrapeProtocol>& protocols,
                              std::string_view escaping = "");

// The media type of a Content-Type value as Go's mime.ParseMediaType sees it:
// lower-cased, parameters validated but ignored. Errors carry Go's messages
// ("mime: no media type", "mime: expected token after slash", ...).
absl::StatusOr<std::string> ParseMediaType(std::string_view content_type);

// Which parser a response gets.
struct FormatChoice {
  Format format = Format::kPromText;
  // Non-empty when Prometheus 2.x would log a fallback: the content type was
  // unparsable (the text parser is used anyway).
  std::string warning;
};

// Prometheus 2.x textparse.New: application/openmetrics-text -> OpenMetrics,
// application/vnd.google.protobuf -> protobuf, anything else (including a
// blank, unknown or unparsable Content-Type) -> the Prometheus text parser.
FormatChoice ChooseFormat(std::string_view content_type);

// The parser format for a scrape protocol's media type (text 0.0.4 and
// 1.0.0 -> kPromText, OpenMetrics -> kOpenMetrics, proto -> kProtobuf).
Format FormatOfProtocol(ScrapeProtocol protocol);

// Prometheus 3.x textparse.New (extractMediaType): application/openmetrics-
// text, application/vnd.google.protobuf and text/plain pick their parser; a
// blank, unparsable or unrecognised Content-Type fails the scrape
// (kInvalidArgument with 3.x' message, e.g. `non-compliant scrape target
// sending blank Content-Type and no fallback_scrape_protocol specified for
// target`) unless `fallback` is set, in which case the fallback's parser is
// chosen and `warning` says why.
absl::StatusOr<FormatChoice> ChooseFormatStrict(
    std::string_view content_type, std::optional<ScrapeProtocol> fallback);

// ChooseFormat plus NewParser.
std::unique_ptr<Parser> NewParserForContentType(
    std::string_view content_type, std::string_view body,
    const ParserOptions& options = {}, std::string* warning = nullptr);

}  // namespace promscrape::textparse

#endif  // PLUGIN_TEXTPARSE_CONTENT_TYPE_H_
