#ifndef PLUGIN_HTTP_CLIENT_SETTINGS_H_
#define PLUGIN_HTTP_CLIENT_SETTINGS_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace promscrape::http {

class OAuth2TokenSource;

// One request header. Names are sent as given; values must not contain
// CR or LF.
struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

// `basic_auth` of Prometheus' <http_config>. At most one of `username` /
// `username_file` and of `password` / `password_file` is set (config
// validation enforces it). The `*_file`s are read at every request so a
// rotated secret takes effect without a reload, as Prometheus does.
struct BasicAuth {
  std::string username;
  std::string username_file;
  std::string password;
  std::string password_file;
};

// `authorization` (and the legacy `bearer_token` / `bearer_token_file`,
// which map to type "Bearer"). Sends `Authorization: <type> <credentials>`.
// `credentials_file` is read at every request.
struct Authorization {
  std::string type = "Bearer";
  std::string credentials;
  std::string credentials_file;
};

// The proxies Go's http.ProxyFromEnvironment would use: HTTP_PROXY for
// http targets, HTTPS_PROXY for https ones, NO_PROXY for the exceptions
// (each also in lowercase; the uppercase name wins when both are set). An
// empty proxy means none for that scheme.
struct EnvironmentProxy {
  std::string http_proxy;
  std::string https_proxy;
  std::string no_proxy;
};

// Reads `EnvironmentProxy` from the process environment now.
// Thread-compatible with anything calling setenv().
EnvironmentProxy ProxyFromEnvironment();

// The proxy a request to `url` uses under `settings` ("" for none before
// the no-proxy list is applied) and the no-proxy list curl applies to it
// (curl's NOPROXY syntax). Go never proxies localhost or loopback addresses
// when a no-proxy list is in play (environment, or `no_proxy` with
// `proxy_url`), so those are appended to the list then.
// `tls_config.min_version`. kDefault is TLS 1.2, Go's client default.
enum class TlsVersion { kDefault, kTls10, kTls11, kTls12, kTls13 };

// `tls_config`. With neither `ca` nor `ca_file` the system's trust store
// is used. The inline PEM fields (`ca`, `cert`, `key`) win over their
// `*_file` counterparts. `server_name` sets SNI and the name the certificate
// is verified against, while the connection still goes to the URL's host.
struct TlsSettings {
  std::string ca;
  std::string ca_file;
  std::string cert;
  std::string cert_file;
  std::string key;  // secret
  std::string key_file;
  std::string server_name;
  bool insecure_skip_verify = false;
  TlsVersion min_version = TlsVersion::kDefault;
  // kDefault means no maximum.
  TlsVersion max_version = TlsVersion::kDefault;
};

// The HTTP client settings of one scrape job: the transport half of
// Prometheus' <http_config>. Plain data; the config package maps
// prometheus.yml onto it. Shared by every request of the job through a
// `std::shared_ptr<const ClientSettings>`, so it is immutable once shared
// and thus safe to read from any thread.
struct ClientSettings {
  std::optional<BasicAuth> basic_auth;
  std::optional<Authorization> authorization;
  TlsSettings tls;
  // Empty means no proxy. NOTE: unlike curl's default, the environment's
  // http_proxy / https_proxy are ignored, as in Prometheus without
  // `proxy_from_environment`.
  std::string proxy_url;
  // Comma-separated hosts that bypass `proxy_url` (curl's NOPROXY syntax).
  // When set, localhost and loopback addresses bypass it too, as Go's
  // httpproxy.Config does.
  std::string no_proxy;
  // `proxy_from_environment`: the proxies of the environment, read once
  // when the settings were built (`ProxyFromEnvironment()`). Exclusive
  // with `proxy_url`.
  std::optional<EnvironmentProxy> environment_proxy;
  // `proxy_connect_header`: sent in the CONNECT request that opens a
  // tunnel through the proxy to an https target, and nowhere else (Go's
  // Transport.ProxyConnectHeader).
  Headers proxy_connect_headers;
  // `oauth2`: when set, requests carry `Authorization: Bearer <token>`
  // from this source instead of `basic_auth` / `authorization`. Thread-safe
  // and shared by every request of the job.
  std::shared_ptr<OAuth2TokenSource> oauth2;
  // When false a 3xx response is returned as is, and so fails the scrape.
  bool follow_redirects = true;
  // HTTP/2 is negotiated over TLS only (ALPN), like Go's transport.
  bool enable_http2 = true;
  // `http_headers` (Prometheus 3.x): `values` and `secrets`, sent with
  // every request; a request header of the same name (Accept, say) is
  // replaced, as Go's headers round tripper replaces it.
  Headers headers;
  // `http_headers` `files`: (name, path) pairs; each file is read at every
  // request and its content, trimmed, sent as a value of the header.
  Headers header_files;
};

// What `ChooseProxy` returns.
struct ProxyChoice {
  std::string proxy;
  std::string no_proxy;
};

// The proxy a request to `url` uses under `settings` ("" for none; hosts
// matching `no_proxy` bypass it) and the no-proxy list curl applies (curl's
// NOPROXY syntax). Go never proxies localhost or loopback addresses when a
// no-proxy list is in play (the environment, or `no_proxy` with
// `proxy_url`), so those are added to the list then.
ProxyChoice ChooseProxy(const ClientSettings& settings, absl::string_view url);

// True when some request under `settings` may go through a proxy.
bool UsesProxy(const ClientSettings& settings);

// Reads the secret file at `path` and trims surrounding whitespace (Go's
// strings.TrimSpace). kInvalidArgument "unable to read <what> <path>: ..."
// when it cannot; `what` names the setting ("basic auth password file").
absl::StatusOr<std::string> ReadSecretFile(const std::string& path,
                                           absl::string_view what);

// Returns the `Authorization` header value `settings` asks for, reading
// `password_file`, `username_file` or `credentials_file` now, or "" when the
// settings carry no authentication. Fails with kInvalidArgument naming the
// file when a secret file cannot be read. File contents are trimmed of
// surrounding whitespace (Go's strings.TrimSpace).
absl::StatusOr<std::string> AuthorizationHeaderValue(
    const ClientSettings& settings);

// Calls `visit(name, value)` for each header a request sends besides the
// transport's own (Host), in order: `settings.headers` and
// `settings.header_files`, then `request_headers` (but those named by the
// former), then `Authorization` when the settings carry
// authentication (`oauth2_authorization`, the token source's header value,
// when the settings use `oauth2`). Both transports send exactly these.
// Reads secret files first and fails like `AuthorizationHeaderValue`,
// visiting nothing.
absl::Status ForEachRequestHeader(
    const ClientSettings& settings, const Headers& request_headers,
    absl::string_view oauth2_authorization,
    absl::FunctionRef<void(absl::string_view, absl::string_view)> visit);

}  // namespace promscrape::http

#endif  // PLUGIN_HTTP_CLIENT_SETTINGS_H_
