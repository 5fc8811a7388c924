#ifndef PLUGIN_SCRAPE_JOB_SETTINGS_H_
#define PLUGIN_SCRAPE_JOB_SETTINGS_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "plugin/config/http_client_config.h"
#include "plugin/config/scrape_config.h"
#include "plugin/http/client_settings.h"
#include "plugin/textparse/content_type.h"

namespace promscrape::scrape {

// What every loop of one job shares, computed once per config: the scrape
// config itself, the Accept header, and the HTTP client settings.
// Immutable once built; shared through shared_ptr<const JobSettings>, so
// safe to read from any thread.
struct JobSettings {
  config::ScrapeConfig config;
  std::string accept_header;
  // fallback_scrape_protocol, parsed (3.x only).
  std::optional<textparse::ScrapeProtocol> fallback_protocol;
  std::shared_ptr<const http::ClientSettings> client;
  // The plugin's start_timestamps setting (see config::StartTimestampMode).
  config::StartTimestampMode start_timestamps =
      config::StartTimestampMode::kIgnore;
};

// Builds the settings of `config`. kInvalidArgument naming the field when a
// value cannot be mapped (an unknown scrape protocol or TLS version).
// With `start_timestamps` other than kIgnore, a job whose scrape_protocols
// were defaulted asks for PrometheusProto first (3.x' st-storage and
// created-timestamp-zero-ingestion flags change the default the same way).
absl::StatusOr<std::shared_ptr<const JobSettings>> MakeJobSettings(
    const config::ScrapeConfig& config,
    config::StartTimestampMode start_timestamps =
        config::StartTimestampMode::kIgnore);

// True when a pool can keep its loops' series caches across a change from
// `a` to `b`: they differ at most in interval, timeout, sample_limit and the
// HTTP client (Prometheus' reusableCache).
bool CacheReusable(const config::ScrapeConfig& a, const config::ScrapeConfig& b);

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_JOB_SETTINGS_H_
