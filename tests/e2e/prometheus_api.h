#ifndef TESTS_E2E_PROMETHEUS_API_H_
#define TESTS_E2E_PROMETHEUS_API_H_

#include <cstdint>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/e2e/stored_series.h"

namespace promscrape::testing {

// Prometheus' HTTP API on 127.0.0.1:`port`, for the tests that compare with
// a real Prometheus (tests/e2e/prometheus_compare_test, tests/difffuzz).
// Thread-safe (every call is one blocking HTTP GET).
class PrometheusApi {
 public:
  explicit PrometheusApi(int port);

  // /-/ready answers 200.
  bool Ready() const;

  // The raw samples of `selector` over the `window` (a PromQL duration such
  // as "5m") before `t_ms`.
  absl::StatusOr<SeriesMap> Range(const std::string& selector, int64_t t_ms,
                                  const std::string& window = "5m") const;

  // /api/v1/series: the series `selector` matches in [start_ms, end_ms].
  absl::StatusOr<std::set<LabelSet>> Series(const std::string& selector,
                                            int64_t start_ms,
                                            int64_t end_ms) const;

  // The series `selector` selects at `t_ms` (stale ones excluded).
  absl::StatusOr<SeriesMap> Instant(const std::string& selector,
                                    int64_t t_ms) const;

 private:
  absl::StatusOr<std::string> Query(const std::string& expr,
                                    int64_t t_ms) const;
  absl::StatusOr<std::string> Get(const std::string& path_and_query) const;

  std::string base_;
};

}  // namespace promscrape::testing

#endif  // TESTS_E2E_PROMETHEUS_API_H_
