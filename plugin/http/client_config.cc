#include "plugin/http/client_config.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "plugin/common/status.h"
#include "plugin/http/oauth2_token_source.h"

namespace promscrape::http {
namespace {

absl::StatusOr<TlsVersion> TlsVersionFromConfig(const std::string& v,
                                                      absl::string_view key) {
  if (v.empty()) return TlsVersion::kDefault;
  if (v == "TLS10") return TlsVersion::kTls10;
  if (v == "TLS11") return TlsVersion::kTls11;
  if (v == "TLS12") return TlsVersion::kTls12;
  if (v == "TLS13") return TlsVersion::kTls13;
  return absl::InvalidArgumentError(
      absl::StrCat(key, ": unknown TLS version \"", v, "\""));
}

absl::StatusOr<TlsSettings> TlsSettingsFromConfig(
    const config::TlsConfig& t) {
  TlsSettings tls;
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

}  // namespace

absl::StatusOr<ClientSettings> ClientSettingsFromConfig(
    const config::HttpClientConfig& c) {
  ClientSettings s;
  if (c.basic_auth.has_value()) {
    s.basic_auth = BasicAuth{c.basic_auth->username,
                                   c.basic_auth->username_file,
                                   c.basic_auth->password,
                                   c.basic_auth->password_file};
  }
  if (c.authorization.has_value()) {
    Authorization a;
    if (!c.authorization->type.empty()) a.type = c.authorization->type;
    a.credentials = c.authorization->credentials;
    a.credentials_file = c.authorization->credentials_file;
    s.authorization = a;
  }
  absl::StatusOr<TlsSettings> tls = TlsSettingsFromConfig(c.tls_config);
  if (!tls.ok()) return Annotate(tls.status(), "tls_config");
  s.tls = *std::move(tls);
  s.proxy_url = c.proxy_url;
  s.no_proxy = c.no_proxy;
  if (c.proxy_from_environment) {
    // Read once per config, as Prometheus' ProxyConfig caches its
    // httpproxy.FromEnvironment().
    s.environment_proxy = ProxyFromEnvironment();
  }
  for (const auto& [name, values] : c.proxy_connect_header) {
    for (const std::string& value : values) {
      s.proxy_connect_headers.push_back(Header{name, value});
    }
  }
  if (c.oauth2.has_value()) {
    const config::OAuth2Config& o = *c.oauth2;
    OAuth2Settings oauth2;
    oauth2.client_id = o.client_id;
    oauth2.client_secret = o.client_secret;
    oauth2.client_secret_file = o.client_secret_file;
    oauth2.scopes = o.scopes;
    oauth2.token_url = o.token_url;
    oauth2.endpoint_params = o.endpoint_params;
    auto transport = std::make_shared<ClientSettings>();
    absl::StatusOr<TlsSettings> oauth2_tls =
        TlsSettingsFromConfig(o.tls_config);
    if (!oauth2_tls.ok()) {
      return Annotate(oauth2_tls.status(), "oauth2: tls_config");
    }
    transport->tls = *std::move(oauth2_tls);
    transport->proxy_url = o.proxy_url;
    oauth2.transport = std::move(transport);
    s.oauth2 = std::make_shared<OAuth2TokenSource>(std::move(oauth2));
  }
  s.follow_redirects = c.follow_redirects;
  s.enable_http2 = c.enable_http2;
  for (const auto& [name, header] : c.http_headers) {
    for (const std::string& v : header.values) {
      s.headers.push_back(Header{name, v});
    }
    for (const std::string& v : header.secrets) {
      s.headers.push_back(Header{name, v});
    }
    for (const std::string& path : header.files) {
      s.header_files.push_back(Header{name, path});
    }
  }
  return s;
}

}  // namespace promscrape::http
