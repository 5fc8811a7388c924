#ifndef PLUGIN_HTTP_TRANSPORT_ERRORS_H_
#define PLUGIN_HTTP_TRANSPORT_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace promscrape::http::internal {

// The error texts both transports (libcurl and native HTTP/1.1) give, in
// the words of Go's net/http as Prometheus records them. Thread-safe.

// strerror(err) with a lowercase first letter, as Go's syscall errors read
// ("connection refused").
std::string ErrnoText(int err);

// Go's url.Error prefix: `Get "<url>": `.
std::string GetPrefix(absl::string_view url);

// kDeadlineExceeded `Get "<url>": context deadline exceeded`.
absl::Status ContextDeadlineError(absl::string_view url);

// kCancelled `Get "<url>": context canceled`.
absl::Status ContextCanceledError(absl::string_view url);

// kUnavailable `Get "<url>": dial tcp <address>: connect: <why>`, where
// `address` is "host:port" with an IPv6 host in brackets.
absl::Status DialError(absl::string_view url, absl::string_view address,
                       absl::string_view why);

// kUnavailable "server returned HTTP status <code> <reason>"; an empty
// `reason` is filled in from Go's StatusText.
absl::Status HttpStatusError(int code, absl::string_view reason);

}  // namespace promscrape::http::internal

#endif  // PLUGIN_HTTP_TRANSPORT_ERRORS_H_
