#ifndef PLUGIN_HTTP_STATUS_TEXT_H_
#define PLUGIN_HTTP_STATUS_TEXT_H_

#include "absl/strings/string_view.h"

namespace promscrape::http {

// Returns the reason phrase Go's net/http.StatusText gives `code` ("Not
// Found" for 404), or "" for a code Go does not know. Used to build
// Prometheus' "server returned HTTP status 404 Not Found" when the server
// sent no reason phrase (always so over HTTP/2). Thread-safe.
absl::string_view StatusText(int code);

}  // namespace promscrape::http

#endif  // PLUGIN_HTTP_STATUS_TEXT_H_
