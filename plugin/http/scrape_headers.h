#ifndef PLUGIN_HTTP_SCRAPE_HEADERS_H_
#define PLUGIN_HTTP_SCRAPE_HEADERS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/http/client_settings.h"

namespace promscrape::http {

// Prometheus' User-Agent for the version whose behaviour we reproduce.
inline constexpr absl::string_view kPrometheusUserAgent = "Prometheus/2.42.0";

// Returns the headers Prometheus' targetScraper sends with every scrape, in
// its order:
//   Accept: <accept>
//   Accept-Encoding: gzip            (identity when !enable_compression)
//   User-Agent: <user_agent>
//   X-Prometheus-Scrape-Timeout-Seconds: <timeout, see FormatTimeoutSeconds>
// `accept` is the negotiated Accept value (built by the scrape engine from
// scrape_protocols). Thread-safe.
Headers ScrapeHeaders(absl::string_view accept, absl::Duration timeout,
                      bool enable_compression,
                      absl::string_view user_agent = kPrometheusUserAgent);

// Formats `timeout` in seconds as Go's strconv.FormatFloat(s, 'f', -1, 64):
// the shortest decimal that round-trips, never an exponent ("10", "1.5",
// "0.001").
std::string FormatTimeoutSeconds(absl::Duration timeout);

}  // namespace promscrape::http

#endif  // PLUGIN_HTTP_SCRAPE_HEADERS_H_
