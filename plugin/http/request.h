#ifndef PLUGIN_HTTP_REQUEST_H_
#define PLUGIN_HTTP_REQUEST_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "plugin/http/client_settings.h"

namespace promscrape::http {

// One scrape: a GET of `url` (or, for an OAuth2 token, a POST of `body`).
// Plain data, moved into `HttpClient::Start`.
struct Request {
  std::string url;
  // "GET" when empty; "POST" sends `body` (always through libcurl).
  std::string method;
  std::string body;
  // Sent as given, after the job's `settings->headers`. Use
  // `ScrapeHeaders()` for Prometheus' Accept / User-Agent / timeout set.
  Headers headers;
  // The deadline of the whole exchange (connect, TLS, headers, body), like
  // Prometheus' scrape context. Zero or negative means none.
  absl::Duration timeout = absl::ZeroDuration();
  // Maximum decompressed body size in bytes; <= 0 means unlimited. A body
  // that reaches the limit fails with "body size limit exceeded" (a body of
  // exactly the limit fails too, as in Prometheus).
  int64_t body_size_limit = 0;
  // The job's client settings; null means defaults. Shared, never mutated.
  std::shared_ptr<const ClientSettings> settings;
  // The body buffer to fill. Hand back `Response::body` of the previous
  // scrape of the same target here: it is cleared but keeps its capacity,
  // so steady-state scrapes allocate nothing for the body.
  std::string buffer;
};

// The outcome of one request, passed by value to the completion callback.
struct Response {
  // The id `HttpClient::Start` returned for this request.
  uint64_t id = 0;
  // OK only for a complete HTTP 200 response within the limits. Otherwise
  // the error Prometheus would record as the target's last error:
  //   kUnavailable       "server returned HTTP status 404 Not Found",
  //                      `Get "<url>": dial tcp <addr>: connect: connection
  //                      refused`, `Get "<url>": x509: ...`
  //   kDeadlineExceeded  `Get "<url>": context deadline exceeded`
  //   kResourceExhausted "body size limit exceeded"
  //   kInvalidArgument   gzip errors, unreadable secret files, bad URLs
  //   kCancelled         `Get "<url>": context canceled` (Cancel or Stop)
  absl::Status status;
  // The last HTTP status code received, or 0 when none arrived.
  int status_code = 0;
  // The raw Content-Type header of the response ("" when absent).
  std::string content_type;
  // The decompressed body (the request's `buffer`). On a body size limit
  // error it holds exactly `body_size_limit` bytes; on other errors its
  // contents are unspecified. Hand it back in the next `Request::buffer`.
  std::string body;
  // True when the failure is the body size limit (Prometheus counts these in
  // prometheus_target_scrapes_exceeded_body_size_limit_total and reports
  // scrape_body_size_bytes -1).
  bool body_size_limit_exceeded = false;
  // From `Start` to completion, queueing on the event loop included.
  absl::Duration elapsed = absl::ZeroDuration();
};

}  // namespace promscrape::http

#endif  // PLUGIN_HTTP_REQUEST_H_
