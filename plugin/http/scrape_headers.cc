#include "plugin/http/scrape_headers.h"

#include <charconv>
#include <string>
#include <system_error>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace promscrape::http {

std::string FormatTimeoutSeconds(absl::Duration timeout) {
  // std::to_chars in fixed format without a precision gives the shortest
  // round-tripping digits, which is what Go's precision -1 means.
  char buf[64];
  std::to_chars_result result =
      std::to_chars(buf, buf + sizeof(buf), absl::ToDoubleSeconds(timeout),
                    std::chars_format::fixed);
  if (result.ec != std::errc()) return "0";
  return std::string(buf, result.ptr);
}

Headers ScrapeHeaders(absl::string_view accept, absl::Duration timeout,
                      bool enable_compression, absl::string_view user_agent) {
  Headers headers;
  headers.reserve(4);
  headers.push_back({"Accept", std::string(accept)});
  headers.push_back(
      {"Accept-Encoding", enable_compression ? "gzip" : "identity"});
  headers.push_back({"User-Agent", std::string(user_agent)});
  headers.push_back(
      {"X-Prometheus-Scrape-Timeout-Seconds", FormatTimeoutSeconds(timeout)});
  return headers;
}

}  // namespace promscrape::http
