#include "plugin/http/curl_url.h"

#include <curl/curl.h>

#include <optional>
#include <string>

namespace promscrape::http::internal {

std::optional<UrlParts> ParseUrl(const std::string& url) {
  CURLU* handle = curl_url();
  if (handle == nullptr) return std::nullopt;
  std::optional<UrlParts> parts;
  if (curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* scheme = nullptr;
    char* host = nullptr;
    char* port = nullptr;
    if (curl_url_get(handle, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(handle, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(handle, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
            CURLUE_OK) {
      parts = UrlParts{scheme, host, port};
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
  }
  curl_url_cleanup(handle);
  return parts;
}

// Replaces the host of `url` (for tls_config.server_name).
std::optional<std::string> ReplaceHost(const std::string& url,
                                       const std::string& host) {
  CURLU* handle = curl_url();
  if (handle == nullptr) return std::nullopt;
  std::optional<std::string> out;
  char* result = nullptr;
  if (curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_set(handle, CURLUPART_HOST, host.c_str(), 0) == CURLUE_OK &&
      curl_url_get(handle, CURLUPART_URL, &result, 0) == CURLUE_OK) {
    out = result;
  }
  curl_free(result);
  curl_url_cleanup(handle);
  return out;
}

}  // namespace promscrape::http::internal
