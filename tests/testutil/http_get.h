#ifndef TESTS_TESTUTIL_HTTP_GET_H_
#define TESTS_TESTUTIL_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace promscrape::testing {

// A blocking HTTP GET for tests that talk to real programs on loopback
// (Prometheus' HTTP API, a target farm's stats page). libcurl easy handle,
// no proxy, no redirects. Thread-safe (one handle per call).

struct HttpGetResponse {
  long status = 0;
  std::string body;
};

// GETs `url`. Transport failures are kUnavailable naming the URL; any HTTP
// status is a successful response.
absl::StatusOr<HttpGetResponse> HttpGet(const std::string& url,
                                        absl::Duration timeout);

// `s` percent-encoded for a URL query parameter.
std::string UrlEncode(absl::string_view s);

}  // namespace promscrape::testing

#endif  // TESTS_TESTUTIL_HTTP_GET_H_
