#include "plugin/scrape/job_settings.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "plugin/common/status.h"
#include "plugin/http/oauth2_token_source.h"
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
      absl::StrCat(key, ": unknown TLS version \"", v, "\""));
}

absl::StatusOr<http::TlsSettings> TlsSettingsFromConfig(
    const config::TlsConfig& t) {
  http::TlsSettings tls;
  tls.ca = t.ca;
  tls.ca_file = t.ca_file;
  tls.cert = t.cert;
  tls.cert_file = t.cert_file;
  tls.key = t.key;
  tls.key_file = t.key_file;
  tls.server_name = t.server_name;
  tls.insecure_skip_verify = t.insecure_skip_verify;
  PROMSCRAPE_ASSIGN_OR_RETURN(tls.min_version,
                              TlsVersionFromConfig(t.min_version, "min_version"));
  PROMSCRAPE_ASSIGN_OR_RETURN(tls.max_version,
                              TlsVersionFromConfig(t.max_version, "max_version"));
  return tls;
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
  absl::StatusOr<http::TlsSettings> tls = TlsSettingsFromConfig(c.tls_config);
  if (!tls.ok()) return Annotate(tls.status(), "tls_config");
  s.tls = *std::move(tls);
  s.proxy_url = c.proxy_url;
  s.no_proxy = c.no_proxy;
  if (c.proxy_from_environment) {
    // Read once per config, as Prometheus' ProxyConfig caches its
    // httpproxy.FromEnvironment().
    s.environment_proxy = http::ProxyFromEnvironment();
  }
  for (const auto& [name, values] : c.proxy_connect_header) {
    for (const std::string& value : values) {
      s.proxy_connect_headers.push_back(http::Header{name, value});
    }
  }
  if (c.oauth2.has_value()) {
    const config::OAuth2Config& o = *c.oauth2;
    http::OAuth2Settings oauth2;
    oauth2.client_id = o.client_id;
    oauth2.client_secret = o.client_secret;
    oauth2.client_secret_file = o.client_secret_file;
    oauth2.scopes = o.scopes;
    oauth2.token_url = o.token_url;
    oauth2.endpoint_params = o.endpoint_params;
    auto transport = std::make_shared<http::ClientSettings>();
    absl::StatusOr<http::TlsSettings> oauth2_tls =
        TlsSettingsFromConfig(o.tls_config);
    if (!oauth2_tls.ok()) {
      return Annotate(oauth2_tls.status(), "oauth2: tls_config");
    }
    transport->tls = *std::move(oauth2_tls);
    transport->proxy_url = o.proxy_url;
    oauth2.transport = std::move(transport);
    s.oauth2 = std::make_shared<http::OAuth2TokenSource>(std::move(oauth2));
  }
  s.follow_redirects = c.follow_redirects;
  s.enable_http2 = c.enable_http2;
  for (const auto& [name, header] : c.http_headers) {
    for (const std::string& v : header.values) {
      s.headers.push_back(http::Header{name, v});
    }
    for (const std::string& v : header.secrets) {
      s.headers.push_back(http::Header{name, v});
    }
    for (const std::string& path : header.files) {
      s.header_files.push_back(http::Header{name, path});
    }
  }
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
