#ifndef TESTS_E2E_STORED_SERIES_H_
#define TESTS_E2E_STORED_SERIES_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace promscrape::testing {

// What one engine stored, in a form that compares across engines: the
// reference host's storage.file on one side and Prometheus' HTTP API on the
// other. Used by tests/e2e/prometheus_compare_test.

// A full label set including __name__, sorted by name.
using LabelSet = std::map<std::string, std::string>;

// One stored sample. `value` is canonical text: "NaN", "+Inf", "-Inf",
// "StaleNaN" (the staleness marker; only the sample file carries it), or the
// shortest "%.17g" rendering of the double, so equal doubles compare equal
// whichever engine produced them.
struct StoredSample {
  int64_t t_ms = 0;
  std::string value;
};

// Every series with its samples in storage order.
using SeriesMap = std::map<LabelSet, std::vector<StoredSample>>;

// The canonical text of `v` (see StoredSample::value); never "StaleNaN".
std::string CanonicalValue(double v);

// `{__name__="x", a="b"}` with Go-style escapes, for diffs.
std::string FormatLabels(const LabelSet& labels);

// Reads scrape_host's storage.file (one JSON object a line:
// {"labels":{...},"t":ms,"v":number|"NaN"|"+Inf"|"-Inf"|"StaleNaN"}).
// Samples with t > `max_t_ms` are skipped; native histogram lines ("h") are
// skipped. kInvalidArgument names the first malformed line.
absl::StatusOr<SeriesMap> ReadSampleFile(const std::string& path,
                                         int64_t max_t_ms);

// Parses the body of a Prometheus /api/v1/query answer whose resultType is
// "matrix" (a range selector): every series with its raw samples. Prometheus
// never returns staleness markers here.
absl::StatusOr<SeriesMap> ParsePrometheusMatrix(absl::string_view json);

// Parses an /api/v1/query answer whose resultType is "vector": each series
// with its one sample.
absl::StatusOr<SeriesMap> ParsePrometheusVector(absl::string_view json);

// Parses the body of a Prometheus /api/v1/series answer: the label sets.
absl::StatusOr<std::set<LabelSet>> ParsePrometheusSeries(
    absl::string_view json);

// Parses the body of a VictoriaMetrics /api/v1/export answer: one JSON
// object a line, {"metric":{...},"values":[...],"timestamps":[...]}. A
// value that is not a number (VictoriaMetrics' staleness markers) reads as
// "NaN".
absl::StatusOr<SeriesMap> ParseVictoriaMetricsExport(absl::string_view body);

}  // namespace promscrape::testing

#endif  // TESTS_E2E_STORED_SERIES_H_
