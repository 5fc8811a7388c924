#include "plugin/scrape/job_settings.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "plugin/common/status.h"
#include "plugin/textparse/content_type.h"
#include "yaml-cpp/yaml.h"

namespace promscrape::scrape {
namespace {

absl::StatusOr<http::TlsVersion> TlsVersionFromConfig(const std::string& v,
                                                      absl::string_view key) {
  if (v.empty()) return http::TlsVersion::kDefault;
  if (v == "TLS10") return http::TlsVersion::kTls10;
  if (v == "TLS11") return http::TlsVersion::kTls11;
  if (v == "TLS12") return http::TlsVersion::kTls12;
  if (v == "TLS13") return http::TlsVersion::kTls13;
  return absl::InvalidArgumentError(
      absl::StrCat("tls_config.", key, ": unknown TLS version \"", v, "\""));
}

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

absl::StatusOr<http::ClientSettings> ClientSettingsFromConfig(
    const config::HttpClientConfig& c) {
  http::ClientSettings s;
  if (c.basic_auth.has_value()) {
    s.basic_auth = http::BasicAuth{c.basic_auth->username,
                                   c.basic_auth->username_file,
                                   c.basic_auth->password,
                                   c.basic_auth->password_file};
  }
  if (c.authorization.has_value()) {
    http::Authorization a;
    if (!c.authorization->type.empty()) a.type = c.authorization->type;
    a.credentials = c.authorization->credentials;
    a.credentials_file = c.authorization->credentials_file;
    s.authorization = a;
  }
  const config::TlsConfig& t = c.tls_config;
  s.tls.ca = t.ca;
  s.tls.ca_file = t.ca_file;
  s.tls.cert = t.cert;
  s.tls.cert_file = t.cert_file;
  s.tls.key = t.key;
  s.tls.key_file = t.key_file;
  s.tls.server_name = t.server_name;
  s.tls.insecure_skip_verify = t.insecure_skip_verify;
  PROMSCRAPE_ASSIGN_OR_RETURN(s.tls.min_version,
                              TlsVersionFromConfig(t.min_version, "min_version"));
  PROMSCRAPE_ASSIGN_OR_RETURN(s.tls.max_version,
                              TlsVersionFromConfig(t.max_version, "max_version"));
  s.proxy_url = c.proxy_url;
  s.no_proxy = c.no_proxy;
  s.follow_redirects = c.follow_redirects;
  s.enable_http2 = c.enable_http2;
  return s;
}

absl::StatusOr<std::shared_ptr<const JobSettings>> MakeJobSettings(
    const config::ScrapeConfig& config) {
  auto settings = std::make_shared<JobSettings>();
  settings->config = config;
  std::vector<textparse::ScrapeProtocol> protocols;
  for (const std::string& name : config.scrape_protocols) {
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
                              ClientSettingsFromConfig(config.http_client));
  settings->client =
      std::make_shared<const http::ClientSettings>(std::move(client));
  return std::shared_ptr<const JobSettings>(std::move(settings));
}

bool CacheReusable(const config::ScrapeConfig& a,
                   const config::ScrapeConfig& b) {
  return ComparableYaml(a) == ComparableYaml(b);
}

}  // namespace promscrape::scrape
