#ifndef PLUGIN_HTTP_CURL_URL_H_
#define PLUGIN_HTTP_CURL_URL_H_

#include <optional>
#include <string>

namespace promscrape::http::internal {

// The parts of a URL as libcurl's URL parser (which the curl transport
// dials by) reads them.
struct UrlParts {
  std::string scheme;
  std::string host;  // IPv6 in brackets
  std::string port;  // the scheme's default when absent
};

// Splits `url` with curl_url(); nullopt if curl rejects it. Thread-safe.
std::optional<UrlParts> ParseUrl(const std::string& url);

// `url` with its host replaced by `host` (for tls_config.server_name);
// nullopt if curl rejects either. Thread-safe.
std::optional<std::string> ReplaceHost(const std::string& url,
                                       const std::string& host);

}  // namespace promscrape::http::internal

#endif  // PLUGIN_HTTP_CURL_URL_H_
