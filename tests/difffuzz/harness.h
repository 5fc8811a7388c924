#ifndef TESTS_DIFFFUZZ_HARNESS_H_
#define TESTS_DIFFFUZZ_HARNESS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plugin/config/compat.h"
#include "tests/difffuzz/payload_gen.h"
#include "tests/e2e/prometheus_api.h"
#include "tests/e2e/stored_series.h"
#include "tests/testutil/subprocess.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape::difffuzz {

using ::promscrape::testing::LabelSet;

// What one scrape of one payload stored, comparable across engines.
struct Outcome {
  bool up = false;
  // scrape_samples_scraped (Prometheus: of the first scrape; both only when
  // up).
  int64_t scraped = -1;
  // Every stored series with its samples as "S=<value>" (stamped with the
  // scrape time) or "<t_ms>=<value>" (explicit timestamp); values in
  // testing::CanonicalValue's text, so NaNs compare as NaN and other values
  // bit-exactly.
  std::map<LabelSet, std::set<std::string>> samples;
  // promscrape only: the scrape error, and how many samples Prometheus'
  // TSDB would drop as out of bounds (older than the head's appendable
  // window) or out of order (not newer than the series' previous sample):
  // storage differences, not parser ones.
  std::string error;
  int64_t storage_dropped = 0;
};

// Scrapes `payload` through promscrape's append path (scrape::ScrapeAppend
// with the target labels `target` and `compat`'s parser options) at
// `scrape_ms`, and models Prometheus' TSDB acceptance (see
// Outcome::storage_dropped).
Outcome ScrapeWithPromscrape(const Payload& payload, int64_t scrape_ms,
                             const LabelSet& target,
                             config::PrometheusCompat compat);

// "" when the outcomes agree, else a one-line class ("up: prometheus=1
// promscrape=0 (error)", "series", "values", "scraped") followed by the
// details on later lines.
std::string Compare(const Outcome& prometheus, const Outcome& promscrape);

// One Prometheus 2.42 (/usr/bin/prometheus) process scraping payloads
// served on loopback: each batch becomes a file_sd target group per
// payload (one path each on one TestHttpServer, served once, 404 after),
// with scrape interval 2 s; results are read back through the HTTP API.
//
// Thread-compatible.
class PrometheusOracle {
 public:
  // Starts Prometheus with its data and config under `dir`.
  static absl::StatusOr<std::unique_ptr<PrometheusOracle>> Start(
      const std::string& dir);
  ~PrometheusOracle();

  // Scrapes every payload once and returns what Prometheus stored for each,
  // in order, with the target labels it used.
  struct Result {
    Outcome outcome;
    LabelSet target;     // job, instance, batch, payload
    int64_t scrape_ms;   // the scrape's timestamp (of its `up` sample)
  };
  absl::StatusOr<std::vector<Result>> Scrape(
      const std::vector<Payload>& payloads);

  std::string Log() const { return prometheus_->output(); }

 private:
  PrometheusOracle(std::string dir, std::unique_ptr<testing::TestHttpServer> server,
                   std::unique_ptr<testing::Subprocess> prometheus, int port);

  const std::string dir_;
  std::unique_ptr<testing::TestHttpServer> server_;
  std::unique_ptr<testing::Subprocess> prometheus_;
  testing::PrometheusApi api_;
  int batch_ = 0;
};

// Options of a differential run.
struct RunOptions {
  uint64_t seed = 1;
  int payloads = 300;
  int batch_size = 300;
  bool minimise = true;
  config::PrometheusCompat compat = config::PrometheusCompat::kV2;
  std::vector<std::string> seed_files;
};

struct Disagreement {
  Payload payload;    // as generated
  Payload minimised;  // the smallest payload that still disagrees alike
  std::string diff;   // Compare()'s text for `payload`
};

struct RunReport {
  int64_t payloads = 0;
  int64_t agreed = 0;
  int64_t prometheus_up = 0;
  // Payloads that agree once promscrape's side is put through Prometheus'
  // TSDB rules (out of bounds, out of order): storage, not parser.
  int64_t storage_explained = 0;
  // Payloads Prometheus failed in the batch but scraped when asked again
  // alone (a scrape timed out on the loaded machine).
  int64_t retried = 0;
  std::vector<Disagreement> disagreements;
  // Counts by the first line of the diff.
  std::map<std::string, int64_t> classes;
};

// Generates `options.payloads` payloads and compares Prometheus and
// promscrape on each. Progress lines go to stderr.
absl::StatusOr<RunReport> RunDifferential(PrometheusOracle& oracle,
                              const RunOptions& options);

// A readable regression case: format, Content-Type and body (C-escaped).
std::string Describe(const Payload& payload);

}  // namespace promscrape::difffuzz

#endif  // TESTS_DIFFFUZZ_HARNESS_H_
