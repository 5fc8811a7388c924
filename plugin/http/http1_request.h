#ifndef PLUGIN_HTTP_HTTP1_REQUEST_H_
#define PLUGIN_HTTP_HTTP1_REQUEST_H_

#include <sys/socket.h>

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace promscrape::http::internal {

// Where a native HTTP/1.1 request goes and what its request line and Host
// header say. Plain data.
struct Http1Target {
  sockaddr_storage address{};
  socklen_t address_size = 0;
  // "127.0.0.1:9100" or "[::1]:9100": the connection pool's key and the
  // address in dial errors.
  std::string address_text;
  // The Host header value: the URL's host, with the port unless it is 80
  // (as curl sends it, so both transports send the same bytes).
  std::string host;
  // The request target: path and query, "/" when the URL has none.
  std::string path;
};

// Returns the target of `url` when the native transport can request it
// exactly as the libcurl one would: scheme http, no user info, a host that
// is an IP literal (any name, "localhost" too, needs a resolver that tries
// every address, so goes to curl), and a path of plain printable bytes
// without dot segments (curl would rewrite those). nullopt means: use curl.
// Thread-safe.
std::optional<Http1Target> ParseHttp1Target(absl::string_view url);

// Appends the start of a GET of `target` to `*out`: the request line and,
// with `send_host`, the Host header. The caller then appends its headers
// with `AppendHttp1Header` and ends the head with "\r\n".
void AppendHttp1RequestStart(const Http1Target& target, bool send_host,
                             std::string* out);

// Appends "name: value\r\n" to `*out` ("name:\r\n" for an empty value, as
// curl sends it). Returns false, appending nothing, when the header cannot
// be sent as is (an empty name, a name with separators or control bytes, a
// value with CR, LF or NUL).
bool AppendHttp1Header(absl::string_view name, absl::string_view value,
                       std::string* out);

}  // namespace promscrape::http::internal

#endif  // PLUGIN_HTTP_HTTP1_REQUEST_H_
