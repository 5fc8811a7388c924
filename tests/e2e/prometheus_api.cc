#include "tests/e2e/prometheus_api.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/testutil/http_get.h"

namespace promscrape::testing {
namespace {

std::string Seconds(int64_t t_ms) {
  return absl::StrFormat("%.3f", static_cast<double>(t_ms) / 1000);
}

}  // namespace

PrometheusApi::PrometheusApi(int port)
    : base_(absl::StrCat("http://127.0.0.1:", port)) {}

bool PrometheusApi::Ready() const {
  auto r = HttpGet(base_ + "/-/ready", absl::Seconds(2));
  return r.ok() && r->status == 200;
}

absl::StatusOr<SeriesMap> PrometheusApi::Range(const std::string& selector,
                                               int64_t t_ms,
                                               const std::string& window) const {
  absl::StatusOr<std::string> body =
      Query(absl::StrCat(selector, "[", window, "]"), t_ms);
  if (!body.ok()) return body.status();
  return ParsePrometheusMatrix(*body);
}

absl::StatusOr<std::set<LabelSet>> PrometheusApi::Series(
    const std::string& selector, int64_t start_ms, int64_t end_ms) const {
  absl::StatusOr<std::string> body = Get(absl::StrCat(
      "/api/v1/series?match[]=", UrlEncode(selector), "&start=",
      Seconds(start_ms), "&end=", Seconds(end_ms)));
  if (!body.ok()) return body.status();
  return ParsePrometheusSeries(*body);
}

absl::StatusOr<SeriesMap> PrometheusApi::Instant(const std::string& selector,
                                                 int64_t t_ms) const {
  absl::StatusOr<std::string> body = Query(selector, t_ms);
  if (!body.ok()) return body.status();
  return ParsePrometheusVector(*body);
}

absl::StatusOr<std::string> PrometheusApi::Query(const std::string& expr,
                                                 int64_t t_ms) const {
  return Get(absl::StrCat("/api/v1/query?query=", UrlEncode(expr),
                          "&time=", Seconds(t_ms)));
}

absl::StatusOr<std::string> PrometheusApi::Get(
    const std::string& path_and_query) const {
  const std::string url = base_ + path_and_query;
  absl::StatusOr<HttpGetResponse> r = HttpGet(url, absl::Seconds(30));
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("GET \"", url, "\": status ", r->status, ": ", r->body));
  }
  return r->body;
}

}  // namespace promscrape::testing
