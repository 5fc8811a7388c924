#include "plugin/scrape/job_settings.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "plugin/common/status.h"
#include "plugin/http/client_config.h"
#include "plugin/textparse/content_type.h"
#include "yaml-cpp/yaml.h"

namespace promscrape::scrape {
namespace {

// The config rendered without the fields a reload may change in place.
std::string ComparableYaml(config::ScrapeConfig c) {
  c.scrape_interval = absl::ZeroDuration();
  c.scrape_timeout = absl::ZeroDuration();
  c.limits.sample_limit = 0;
  c.http_client = config::HttpClientConfig();
  c.static_configs.clear();
  c.file_sd_configs.clear();
  YAML::Emitter out;
  config::EmitScrapeConfig(c, out);
  return out.c_str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const JobSettings>> MakeJobSettings(
    const config::ScrapeConfig& config,
    config::StartTimestampMode start_timestamps) {
  auto settings = std::make_shared<JobSettings>();
  settings->config = config;
  settings->start_timestamps = start_timestamps;
  if (start_timestamps != config::StartTimestampMode::kIgnore &&
      config.scrape_protocols_defaulted.value &&
      config.compat == config::PrometheusCompat::kV3) {
    settings->config.scrape_protocols =
        config::DefaultProtoFirstScrapeProtocols();
  }
  std::vector<textparse::ScrapeProtocol> protocols;
  for (const std::string& name : settings->config.scrape_protocols) {
    absl::StatusOr<textparse::ScrapeProtocol> p =
        textparse::ParseScrapeProtocol(name);
    if (!p.ok()) return Annotate(p.status(), "scrape_protocols");
    protocols.push_back(*p);
  }
  // Prometheus 3.x' acceptHeader adds `escaping=<scheme>` to the 1.0.0
  // text formats; 2.x sends no escaping parameter.
  const bool v3 = config.compat == config::PrometheusCompat::kV3;
  settings->accept_header = textparse::BuildAcceptHeader(
      protocols, v3 ? std::string_view(config.metric_name_escaping_scheme)
                    : std::string_view());
  if (!config.fallback_scrape_protocol.empty()) {
    absl::StatusOr<textparse::ScrapeProtocol> p =
        textparse::ParseScrapeProtocol(config.fallback_scrape_protocol);
    if (!p.ok()) return Annotate(p.status(), "fallback_scrape_protocol");
    settings->fallback_protocol = *p;
  }
  PROMSCRAPE_ASSIGN_OR_RETURN(http::ClientSettings client,
                              http::ClientSettingsFromConfig(config.http_client));
  settings->client =
      std::make_shared<const http::ClientSettings>(std::move(client));
  return std::shared_ptr<const JobSettings>(std::move(settings));
}

bool CacheReusable(const config::ScrapeConfig& a,
                   const config::ScrapeConfig& b) {
  return ComparableYaml(a) == ComparableYaml(b);
}

}  // namespace promscrape::scrape
