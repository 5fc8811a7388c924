#ifndef PLUGIN_CONFIG_HTTP_CLIENT_CONFIG_H_
#define PLUGIN_CONFIG_HTTP_CLIENT_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plugin/config/yaml_reader.h"
#include "yaml-cpp/yaml.h"

namespace promscrape::config {

// The `<http_config>` block inlined into every scrape config
// (`common:config.HTTPClientConfig`). Secrets are kept as written and never
// rendered (`ToYaml` prints `<secret>`); `*_file` secrets are not read at
// load time but by the accessors below, on every request, so rotating a
// token file needs no reload. Relative `*_file` paths are resolved against
// the config file's directory at load time.
//
// Thread-compatible value type.
struct BasicAuth {
  std::string username;
  std::string username_file;
  std::string password;
  std::string password_file;
  friend bool operator==(const BasicAuth&, const BasicAuth&) = default;
};

struct Authorization {
  std::string type;  // "Bearer" when omitted.
  std::string credentials;
  std::string credentials_file;
  friend bool operator==(const Authorization&, const Authorization&) = default;
};

struct TlsConfig {
  std::string ca;
  std::string ca_file;
  std::string cert;
  std::string cert_file;
  std::string key;  // Secret.
  std::string key_file;
  std::string server_name;
  bool insecure_skip_verify = false;
  std::string min_version;  // "", "TLS10" .. "TLS13".
  std::string max_version;
  friend bool operator==(const TlsConfig&, const TlsConfig&) = default;
};

struct OAuth2Config {
  std::string client_id;
  std::string client_secret;
  std::string client_secret_file;
  std::vector<std::string> scopes;
  std::string token_url;
  std::map<std::string, std::string> endpoint_params;
  TlsConfig tls_config;
  std::string proxy_url;
  friend bool operator==(const OAuth2Config&, const OAuth2Config&) = default;
};

// One `http_headers` entry (Prometheus 3.x, prometheus/common's Header):
// each value is sent, `files` read at every request.
struct HttpHeaderConfig {
  std::vector<std::string> values;
  std::vector<std::string> secrets;
  // Resolved against the config's directory.
  std::vector<std::string> files;

  friend bool operator==(const HttpHeaderConfig&,
                         const HttpHeaderConfig&) = default;
};

struct HttpClientConfig {
  std::optional<BasicAuth> basic_auth;
  // After validation a legacy `bearer_token`/`bearer_token_file` lives here
  // with type "Bearer", as Prometheus converts it.
  std::optional<Authorization> authorization;
  std::optional<OAuth2Config> oauth2;
  TlsConfig tls_config;
  std::string proxy_url;
  std::string no_proxy;
  bool proxy_from_environment = false;
  std::map<std::string, std::vector<std::string>> proxy_connect_header;
  bool follow_redirects = true;
  bool enable_http2 = true;
  // `http_headers`, by canonical header name (Go's CanonicalHeaderKey).
  std::map<std::string, HttpHeaderConfig> http_headers;

  // The `Authorization` header value for a request ("" when none), reading
  // `credentials_file` now. Errors: kInvalidArgument when the file cannot be
  // read.
  absl::StatusOr<std::string> AuthorizationHeader() const;
  // Basic-auth (username, password), reading `*_file` now; nullopt without
  // basic_auth.
  absl::StatusOr<std::optional<std::pair<std::string, std::string>>>
  BasicAuthCredentials() const;

  // Every file the config refers to (for `promscrape_check`, which like
  // promtool insists that some of them exist).
  std::vector<std::string> ReferencedFiles() const;

  friend bool operator==(const HttpClientConfig&,
                         const HttpClientConfig&) = default;
};

// Reads the inline HTTP client keys from `reader` (a scrape config's map)
// into `out`, resolving relative files against `base_dir`, then validates
// like `HTTPClientConfig.Validate()`: e.g. `at most one of basic_auth,
// oauth2, bearer_token & bearer_token_file must be configured`.
// `http_headers` is read only when `accept_http_headers` (Prometheus 3.x
// has it, 2.42 refuses it as an unknown field).
absl::Status DecodeHttpClientConfig(internal::MapReader& reader,
                                    absl::string_view base_dir,
                                    HttpClientConfig* out,
                                    bool accept_http_headers = true);

// Go's http.CanonicalHeaderKey: "x-my-header" -> "X-My-Header"; a name with
// a character outside HTTP's token set is returned unchanged.
std::string CanonicalHeaderKey(absl::string_view name);

// Appends the config's keys to an open YAML map, secrets as `<secret>`.
void EmitHttpClientConfig(const HttpClientConfig& config, YAML::Emitter& out);

// Reads a secret file and trims surrounding whitespace, as Prometheus does.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

// Joins `path` to `base_dir` unless it is absolute or empty.
std::string ResolvePath(absl::string_view base_dir, absl::string_view path);

}  // namespace promscrape::config

#endif  // PLUGIN_CONFIG_HTTP_CLIENT_CONFIG_H_
