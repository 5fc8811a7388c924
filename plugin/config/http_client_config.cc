#include "plugin/config/http_client_config.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plugin/common/go_quote.h"
#include "plugin/common/status.h"
#include "plugin/model/labels.h"

namespace promscrape::config {
namespace {

using internal::DecodeBool;
using internal::DecodeString;
using internal::DecodeStringList;
using internal::DecodeStringListMap;
using internal::DecodeStringMap;
using internal::MapReader;

constexpr absl::string_view kSecret = "<secret>";

absl::Status Err(absl::string_view msg) {
  return absl::InvalidArgumentError(msg);
}

absl::Status ValidateTlsVersion(const std::string& v) {
  if (v.empty() || v == "TLS10" || v == "TLS11" || v == "TLS12" ||
      v == "TLS13") {
    return absl::OkStatus();
  }
  return Err(absl::StrCat("unknown TLS version: ", v));
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

// Host characters Go's url.Parse accepts unescaped (RFC 3986 sub-delims,
// unreserved, and the IPv6/zone punctuation).
bool IsHostChar(unsigned char c) {
  if (c >= 0x80 || std::isalnum(c)) return true;
  return absl::string_view("-_.~!$&'()*+,;=:[]<>\"%").find(
             static_cast<char>(c)) != absl::string_view::npos;
}

// The url.Parse failures a proxy_url can plausibly hit: a missing scheme,
// control characters, bad %-escapes, bad host characters or port.
absl::Status ValidateProxyUrl(const std::string& url) {
  if (url.empty()) return absl::OkStatus();
  auto fail = [&](absl::string_view why) {
    return Err(absl::StrCat("parse ", GoQuote(url), ": ", why));
  };
  for (char c : url) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return fail("net/url: invalid control character in URL");
    }
  }
  if (url[0] == ':') return fail("missing protocol scheme");
  for (size_t i = 0; i < url.size(); ++i) {
    if (url[i] != '%') continue;
    if (i + 2 >= url.size() || !IsHex(url[i + 1]) || !IsHex(url[i + 2])) {
      return fail(absl::StrCat("invalid URL escape ",
                               GoQuote(url.substr(i, 3))));
    }
  }
  // Authority: after "scheme://", up to the path, query or fragment.
  size_t colon = url.find(':');
  if (colon == std::string::npos || url.compare(colon, 3, "://") != 0) {
    return absl::OkStatus();
  }
  size_t start = colon + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string authority =
      url.substr(start, end == std::string::npos ? std::string::npos
                                                 : end - start);
  if (size_t at = authority.rfind('@'); at != std::string::npos) {
    authority = authority.substr(at + 1);
  }
  for (unsigned char c : authority) {
    if (!IsHostChar(c)) {
      return fail(absl::StrCat("invalid character ",
                               GoQuote(std::string(1, c)),
                               " in host name"));
    }
  }
  if (!authority.empty() && authority[0] == '[' &&
      authority.find(']') == std::string::npos) {
    return fail("missing ']' in host");
  }
  // The port, when present, must be digits.
  size_t port_colon = authority.rfind(':');
  size_t bracket = authority.rfind(']');
  if (port_colon != std::string::npos &&
      (bracket == std::string::npos || port_colon > bracket) &&
      (authority[0] != '[' || bracket != std::string::npos)) {
    if (authority.find(':') == port_colon || authority[0] == '[') {
      for (size_t i = port_colon + 1; i < authority.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(authority[i]))) {
          return fail(absl::StrCat(
              "invalid port ",
              GoQuote(authority.substr(port_colon)),
              " after host"));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeTls(const YAML::Node& node, absl::string_view base_dir,
                       TlsConfig* tls) {
  PROMSCRAPE_ASSIGN_OR_RETURN(MapReader r, MapReader::Create(node, "config.TLSConfig"));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeString(r.Take("ca"), &tls->ca));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeString(r.Take("ca_file"), &tls->ca_file));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeString(r.Take("cert"), &tls->cert));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeString(r.Take("cert_file"), &tls->cert_file));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeString(r.Take("key"), &tls->key));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeString(r.Take("key_file"), &tls->key_file));
  PROMSCRAPE_RETURN_IF_ERROR(
      DecodeString(r.Take("server_name"), &tls->server_name));
  PROMSCRAPE_RETURN_IF_ERROR(
      DecodeBool(r.Take("insecure_skip_verify"), &tls->insecure_skip_verify));
  PROMSCRAPE_RETURN_IF_ERROR(
      DecodeString(r.Take("min_version"), &tls->min_version));
  PROMSCRAPE_RETURN_IF_ERROR(
      DecodeString(r.Take("max_version"), &tls->max_version));
  PROMSCRAPE_RETURN_IF_ERROR(r.Finish());
  PROMSCRAPE_RETURN_IF_ERROR(ValidateTlsVersion(tls->min_version));
  PROMSCRAPE_RETURN_IF_ERROR(ValidateTlsVersion(tls->max_version));
  tls->ca_file = ResolvePath(base_dir, tls->ca_file);
  tls->cert_file = ResolvePath(base_dir, tls->cert_file);
  tls->key_file = ResolvePath(base_dir, tls->key_file);
  // Prometheus' TLSConfig.Validate().
  if (!tls->ca.empty() && !tls->ca_file.empty()) {
    return Err("at most one of ca and ca_file must be configured");
  }
  if (!tls->cert.empty() && !tls->cert_file.empty()) {
    return Err("at most one of cert and cert_file must be configured");
  }
  if (!tls->key.empty() && !tls->key_file.empty()) {
    return Err("at most one of key and key_file must be configured");
  }
  const bool has_cert = !tls->cert.empty() || !tls->cert_file.empty();
  const bool has_key = !tls->key.empty() || !tls->key_file.empty();
  if (has_cert && !has_key) {
    return Err(absl::StrCat("client cert file ",
                            GoQuote(tls->cert_file),
                            " specified without client key file"));
  }
  if (has_key && !has_cert) {
    return Err(absl::StrCat("client key file ", GoQuote(tls->key_file),
                            " specified without client cert file"));
  }
  return absl::OkStatus();
}

absl::Status DecodeBasicAuth(const YAML::Node& node, absl::string_view base_dir,
                             BasicAuth* b) {
  PROMSCRAPE_ASSIGN_OR_RETURN(MapReader r,
                              MapReader::Create(node, "config.BasicAuth"));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeString(r.Take("username"), &b->username));
  PROMSCRAPE_RETURN_IF_ERROR(
      DecodeString(r.Take("username_file"), &b->username_file));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeString(r.Take("password"), &b->password));
  PROMSCRAPE_RETURN_IF_ERROR(
      DecodeString(r.Take("password_file"), &b->password_file));
  PROMSCRAPE_RETURN_IF_ERROR(r.Finish());
  b->username_file = ResolvePath(base_dir, b->username_file);
  b->password_file = ResolvePath(base_dir, b->password_file);
  return absl::OkStatus();
}

absl::Status DecodeAuthorization(const YAML::Node& node,
                                 absl::string_view base_dir, Authorization* a) {
  PROMSCRAPE_ASSIGN_OR_RETURN(MapReader r,
                              MapReader::Create(node, "config.Authorization"));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeString(r.Take("type"), &a->type));
  PROMSCRAPE_RETURN_IF_ERROR(
      DecodeString(r.Take("credentials"), &a->credentials));
  PROMSCRAPE_RETURN_IF_ERROR(
      DecodeString(r.Take("credentials_file"), &a->credentials_file));
  PROMSCRAPE_RETURN_IF_ERROR(r.Finish());
  a->credentials_file = ResolvePath(base_dir, a->credentials_file);
  return absl::OkStatus();
}

absl::Status DecodeOAuth2(const YAML::Node& node, absl::string_view base_dir,
                          OAuth2Config* o) {
  PROMSCRAPE_ASSIGN_OR_RETURN(MapReader r,
                              MapReader::Create(node, "config.OAuth2"));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeString(r.Take("client_id"), &o->client_id));
  PROMSCRAPE_RETURN_IF_ERROR(
      DecodeString(r.Take("client_secret"), &o->client_secret));
  PROMSCRAPE_RETURN_IF_ERROR(
      DecodeString(r.Take("client_secret_file"), &o->client_secret_file));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeStringList(r.Take("scopes"), &o->scopes));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeString(r.Take("token_url"), &o->token_url));
  PROMSCRAPE_RETURN_IF_ERROR(
      DecodeStringMap(r.Take("endpoint_params"), &o->endpoint_params));
  PROMSCRAPE_RETURN_IF_ERROR(
      DecodeTls(r.Take("tls_config"), base_dir, &o->tls_config));
  PROMSCRAPE_RETURN_IF_ERROR(DecodeString(r.Take("proxy_url"), &o->proxy_url));
  PROMSCRAPE_RETURN_IF_ERROR(r.Finish());
  PROMSCRAPE_RETURN_IF_ERROR(ValidateProxyUrl(o->proxy_url));
  o->client_secret_file = ResolvePath(base_dir, o->client_secret_file);
  return absl::OkStatus();
}

// Prometheus' HTTPClientConfig.Validate(), in its order, so the first error
// reported is the same one.
absl::Status Validate(HttpClientConfig& c, const std::string& bearer_token,
                      const std::string& bearer_token_file) {
  const bool has_bearer = !bearer_token.empty() || !bearer_token_file.empty();
  if (!bearer_token.empty() && !bearer_token_file.empty()) {
    return Err("at most one of bearer_token & bearer_token_file must be "
               "configured");
  }
  if ((c.basic_auth || c.oauth2) && has_bearer) {
    return Err("at most one of basic_auth, oauth2, bearer_token & "
               "bearer_token_file must be configured");
  }
  if (c.basic_auth && !c.basic_auth->username.empty() &&
      !c.basic_auth->username_file.empty()) {
    return Err("at most one of basic_auth username & username_file must be "
               "configured");
  }
  if (c.basic_auth && !c.basic_auth->password.empty() &&
      !c.basic_auth->password_file.empty()) {
    return Err("at most one of basic_auth password & password_file must be "
               "configured");
  }
  if (c.authorization) {
    if (has_bearer) {
      return Err("authorization is not compatible with bearer_token & "
                 "bearer_token_file");
    }
    if (!c.authorization->credentials.empty() &&
        !c.authorization->credentials_file.empty()) {
      return Err("at most one of authorization credentials & "
                 "credentials_file must be configured");
    }
    std::string type(absl::StripAsciiWhitespace(c.authorization->type));
    if (type.empty()) type = "Bearer";
    c.authorization->type = type;
    if (absl::AsciiStrToLower(type) == "basic") {
      return Err("authorization type cannot be set to \"basic\", use "
                 "\"basic_auth\" instead");
    }
    if (c.basic_auth || c.oauth2) {
      return Err("at most one of basic_auth, oauth2 & authorization must be "
                 "configured");
    }
  } else if (has_bearer) {
    c.authorization = Authorization{"Bearer", bearer_token, bearer_token_file};
  }
  if (c.oauth2) {
    if (c.basic_auth) {
      return Err("at most one of basic_auth, oauth2 & authorization must be "
                 "configured");
    }
    if (c.oauth2->client_id.empty()) {
      return Err("oauth2 client_id must be configured");
    }
    if (c.oauth2->client_secret.empty() &&
        c.oauth2->client_secret_file.empty()) {
      return Err("either oauth2 client_secret or client_secret_file must be "
                 "configured");
    }
    if (c.oauth2->token_url.empty()) {
      return Err("oauth2 token_url must be configured");
    }
    if (!c.oauth2->client_secret.empty() &&
        !c.oauth2->client_secret_file.empty()) {
      return Err("at most one of oauth2 client_secret & client_secret_file "
                 "must be configured");
    }
  }
  if (!c.proxy_connect_header.empty() && c.proxy_url.empty() &&
      !c.proxy_from_environment) {
    return Err("if proxy_connect_header is configured proxy_url must also be "
               "configured");
  }
  if (c.proxy_from_environment && !c.proxy_url.empty()) {
    return Err("if proxy_from_environment is configured, proxy_url must not "
               "be configured");
  }
  if (c.proxy_from_environment && !c.no_proxy.empty()) {
    return Err("if proxy_from_environment is configured, no_proxy must not be "
               "configured");
  }
  if (!c.no_proxy.empty() && c.proxy_url.empty()) {
    return Err("if no_proxy is configured, proxy_url must also be configured");
  }
  return absl::OkStatus();
}

void EmitTls(const TlsConfig& t, YAML::Emitter& out) {
  out << YAML::BeginMap;
  auto str = [&](const char* k, const std::string& v) {
    if (!v.empty()) out << YAML::Key << k << YAML::Value << v;
  };
  str("ca", t.ca);
  str("ca_file", t.ca_file);
  str("cert", t.cert);
  str("cert_file", t.cert_file);
  if (!t.key.empty()) {
    out << YAML::Key << "key" << YAML::Value << std::string(kSecret);
  }
  str("key_file", t.key_file);
  str("server_name", t.server_name);
  out << YAML::Key << "insecure_skip_verify" << YAML::Value
      << t.insecure_skip_verify;
  str("min_version", t.min_version);
  str("max_version", t.max_version);
  out << YAML::EndMap;
}

}  // namespace

std::string ResolvePath(absl::string_view base_dir, absl::string_view path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) {
    return std::string(path);
  }
  return absl::StrCat(base_dir, "/", path);
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("unable to read file ", GoQuote(path)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(ss.str()));
}

namespace {

// Headers Prometheus sets itself or that change the connection
// (prometheus/common config.reservedHeaders).
constexpr absl::string_view kReservedHeaders[] = {
    "Authorization",
    "Host",
    "Content-Encoding",
    "Content-Length",
    "Content-Type",
    "User-Agent",
    "Connection",
    "Keep-Alive",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Www-Authenticate",
    "Accept-Encoding",
    "X-Prometheus-Remote-Write-Version",
    "X-Prometheus-Remote-Read-Version",
    "X-Prometheus-Scrape-Timeout-Seconds",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "X-Amz-Content-Sha256",
};

bool IsHeaderTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) !=
             absl::string_view::npos;
}

absl::Status DecodeHttpHeaders(const YAML::Node& node,
                               absl::string_view base_dir,
                               std::map<std::string, HttpHeaderConfig>* out) {
  if (internal::IsNullNode(node)) return absl::OkStatus();
  if (!node.IsMap()) {
    return Err("http_headers must be a map of header names to "
               "{values, secrets, files}");
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string raw = it->first.as<std::string>("");
    if (raw.empty() || !std::all_of(raw.begin(), raw.end(), IsHeaderTokenChar)) {
      return Err(absl::StrCat("invalid header name ", GoQuote(raw)));
    }
    const std::string name = CanonicalHeaderKey(raw);
    for (absl::string_view reserved : kReservedHeaders) {
      if (name == reserved) {
        return Err(absl::StrCat("setting header ", GoQuote(name),
                                " is not allowed"));
      }
    }
    if (out->contains(name)) {
      return Err(absl::StrCat("header ", GoQuote(name),
                              " is defined more than once"));
    }
    HttpHeaderConfig header;
    PROMSCRAPE_ASSIGN_OR_RETURN(
        MapReader r, MapReader::Create(it->second, "config.Header"));
    PROMSCRAPE_RETURN_IF_ERROR(
        Annotate(DecodeStringList(r.Take("values"), &header.values), name));
    PROMSCRAPE_RETURN_IF_ERROR(
        Annotate(DecodeStringList(r.Take("secrets"), &header.secrets), name));
    PROMSCRAPE_RETURN_IF_ERROR(
        Annotate(DecodeStringList(r.Take("files"), &header.files), name));
    PROMSCRAPE_RETURN_IF_ERROR(Annotate(r.Finish(), name));
    for (std::string& file : header.files) {
      file = ResolvePath(base_dir, file);
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        return Err(absl::StrCat("unable to read header ", GoQuote(name),
                                " from file ", file));
      }
    }
    (*out)[name] = std::move(header);
  }
  return absl::OkStatus();
}

}  // namespace

std::string CanonicalHeaderKey(absl::string_view name) {
  std::string out(name);
  if (!std::all_of(out.begin(), out.end(), IsHeaderTokenChar)) return out;
  bool upper = true;
  for (char& c : out) {
    c = upper ? absl::ascii_toupper(static_cast<unsigned char>(c))
              : absl::ascii_tolower(static_cast<unsigned char>(c));
    upper = c == '-';
  }
  return out;
}

absl::Status DecodeHttpClientConfig(MapReader& r, absl::string_view base_dir,
                                    HttpClientConfig* c,
                                    bool accept_http_headers) {
  if (accept_http_headers) {
    PROMSCRAPE_RETURN_IF_ERROR(Annotate(
        DecodeHttpHeaders(r.Take("http_headers"), base_dir, &c->http_headers),
        "http_headers"));
  }
  std::string bearer_token, bearer_token_file;
  YAML::Node n = r.Take("basic_auth");
  if (!internal::IsNullNode(n)) {
    c->basic_auth.emplace();
    PROMSCRAPE_RETURN_IF_ERROR(
        Annotate(DecodeBasicAuth(n, base_dir, &*c->basic_auth), "basic_auth"));
  }
  n = r.Take("authorization");
  if (!internal::IsNullNode(n)) {
    c->authorization.emplace();
    PROMSCRAPE_RETURN_IF_ERROR(Annotate(
        DecodeAuthorization(n, base_dir, &*c->authorization), "authorization"));
  }
  n = r.Take("oauth2");
  if (!internal::IsNullNode(n)) {
    c->oauth2.emplace();
    PROMSCRAPE_RETURN_IF_ERROR(
        Annotate(DecodeOAuth2(n, base_dir, &*c->oauth2), "oauth2"));
  }
  PROMSCRAPE_RETURN_IF_ERROR(Annotate(
      DecodeString(r.Take("bearer_token"), &bearer_token), "bearer_token"));
  PROMSCRAPE_RETURN_IF_ERROR(
      Annotate(DecodeString(r.Take("bearer_token_file"), &bearer_token_file),
               "bearer_token_file"));
  bearer_token_file = ResolvePath(base_dir, bearer_token_file);
  PROMSCRAPE_RETURN_IF_ERROR(Annotate(
      DecodeTls(r.Take("tls_config"), base_dir, &c->tls_config), "tls_config"));
  PROMSCRAPE_RETURN_IF_ERROR(
      Annotate(DecodeString(r.Take("proxy_url"), &c->proxy_url), "proxy_url"));
  PROMSCRAPE_RETURN_IF_ERROR(ValidateProxyUrl(c->proxy_url));
  PROMSCRAPE_RETURN_IF_ERROR(
      Annotate(DecodeString(r.Take("no_proxy"), &c->no_proxy), "no_proxy"));
  PROMSCRAPE_RETURN_IF_ERROR(Annotate(
      DecodeBool(r.Take("proxy_from_environment"), &c->proxy_from_environment),
      "proxy_from_environment"));
  PROMSCRAPE_RETURN_IF_ERROR(
      Annotate(DecodeStringListMap(r.Take("proxy_connect_header"),
                                   &c->proxy_connect_header),
               "proxy_connect_header"));
  PROMSCRAPE_RETURN_IF_ERROR(
      Annotate(DecodeBool(r.Take("follow_redirects"), &c->follow_redirects),
               "follow_redirects"));
  PROMSCRAPE_RETURN_IF_ERROR(Annotate(
      DecodeBool(r.Take("enable_http2"), &c->enable_http2), "enable_http2"));
  return Validate(*c, bearer_token, bearer_token_file);
}

absl::StatusOr<std::string> HttpClientConfig::AuthorizationHeader() const {
  if (!authorization) return std::string();
  std::string credentials = authorization->credentials;
  if (!authorization->credentials_file.empty()) {
    PROMSCRAPE_ASSIGN_OR_RETURN(credentials,
                                ReadSecretFile(authorization->credentials_file));
  }
  if (credentials.empty()) return std::string();
  return absl::StrCat(authorization->type, " ", credentials);
}

absl::StatusOr<std::optional<std::pair<std::string, std::string>>>
HttpClientConfig::BasicAuthCredentials() const {
  if (!basic_auth) return std::nullopt;
  std::string user = basic_auth->username;
  std::string pass = basic_auth->password;
  if (!basic_auth->username_file.empty()) {
    PROMSCRAPE_ASSIGN_OR_RETURN(user, ReadSecretFile(basic_auth->username_file));
  }
  if (!basic_auth->password_file.empty()) {
    PROMSCRAPE_ASSIGN_OR_RETURN(pass, ReadSecretFile(basic_auth->password_file));
  }
  return std::make_optional(std::make_pair(user, pass));
}

std::vector<std::string> HttpClientConfig::ReferencedFiles() const {
  std::vector<std::string> files;
  auto add = [&](const std::string& f) {
    if (!f.empty()) files.push_back(f);
  };
  if (basic_auth) {
    add(basic_auth->username_file);
    add(basic_auth->password_file);
  }
  if (authorization) add(authorization->credentials_file);
  if (oauth2) add(oauth2->client_secret_file);
  add(tls_config.ca_file);
  add(tls_config.cert_file);
  add(tls_config.key_file);
  for (const auto& [name, header] : http_headers) {
    for (const std::string& f : header.files) add(f);
  }
  return files;
}

void EmitHttpClientConfig(const HttpClientConfig& c, YAML::Emitter& out) {
  const std::string secret(kSecret);
  if (c.basic_auth) {
    out << YAML::Key << "basic_auth" << YAML::Value << YAML::BeginMap;
    if (!c.basic_auth->username.empty()) {
      out << YAML::Key << "username" << YAML::Value << c.basic_auth->username;
    }
    if (!c.basic_auth->username_file.empty()) {
      out << YAML::Key << "username_file" << YAML::Value
          << c.basic_auth->username_file;
    }
    if (!c.basic_auth->password.empty()) {
      out << YAML::Key << "password" << YAML::Value << secret;
    }
    if (!c.basic_auth->password_file.empty()) {
      out << YAML::Key << "password_file" << YAML::Value
          << c.basic_auth->password_file;
    }
    out << YAML::EndMap;
  }
  if (c.authorization) {
    out << YAML::Key << "authorization" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "type" << YAML::Value << c.authorization->type;
    if (!c.authorization->credentials.empty()) {
      out << YAML::Key << "credentials" << YAML::Value << secret;
    }
    if (!c.authorization->credentials_file.empty()) {
      out << YAML::Key << "credentials_file" << YAML::Value
          << c.authorization->credentials_file;
    }
    out << YAML::EndMap;
  }
  if (c.oauth2) {
    const OAuth2Config& o = *c.oauth2;
    out << YAML::Key << "oauth2" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "client_id" << YAML::Value << o.client_id;
    if (!o.client_secret.empty()) {
      out << YAML::Key << "client_secret" << YAML::Value << secret;
    }
    if (!o.client_secret_file.empty()) {
      out << YAML::Key << "client_secret_file" << YAML::Value
          << o.client_secret_file;
    }
    if (!o.scopes.empty()) {
      out << YAML::Key << "scopes" << YAML::Value << o.scopes;
    }
    out << YAML::Key << "token_url" << YAML::Value << o.token_url;
    if (!o.endpoint_params.empty()) {
      out << YAML::Key << "endpoint_params" << YAML::Value << YAML::BeginMap;
      for (const auto& [k, v] : o.endpoint_params) {
        out << YAML::Key << k << YAML::Value << v;
      }
      out << YAML::EndMap;
    }
    out << YAML::Key << "tls_config" << YAML::Value;
    EmitTls(o.tls_config, out);
    if (!o.proxy_url.empty()) {
      out << YAML::Key << "proxy_url" << YAML::Value << o.proxy_url;
    }
    out << YAML::EndMap;
  }
  out << YAML::Key << "tls_config" << YAML::Value;
  EmitTls(c.tls_config, out);
  if (!c.proxy_url.empty()) {
    out << YAML::Key << "proxy_url" << YAML::Value << c.proxy_url;
  }
  if (!c.no_proxy.empty()) {
    out << YAML::Key << "no_proxy" << YAML::Value << c.no_proxy;
  }
  if (c.proxy_from_environment) {
    out << YAML::Key << "proxy_from_environment" << YAML::Value << true;
  }
  if (!c.proxy_connect_header.empty()) {
    // Header values are credentials more often than not.
    out << YAML::Key << "proxy_connect_header" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : c.proxy_connect_header) {
      out << YAML::Key << k << YAML::Value
          << std::vector<std::string>(v.size(), secret);
    }
    out << YAML::EndMap;
  }
  out << YAML::Key << "follow_redirects" << YAML::Value << c.follow_redirects;
  out << YAML::Key << "enable_http2" << YAML::Value << c.enable_http2;
  if (!c.http_headers.empty()) {
    out << YAML::Key << "http_headers" << YAML::Value << YAML::BeginMap;
    for (const auto& [name, h] : c.http_headers) {
      out << YAML::Key << name << YAML::Value << YAML::BeginMap;
      if (!h.values.empty()) {
        out << YAML::Key << "values" << YAML::Value << h.values;
      }
      if (!h.secrets.empty()) {
        out << YAML::Key << "secrets" << YAML::Value
            << std::vector<std::string>(h.secrets.size(), secret);
      }
      if (!h.files.empty()) {
        out << YAML::Key << "files" << YAML::Value << h.files;
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
}

}  // namespace promscrape::config
