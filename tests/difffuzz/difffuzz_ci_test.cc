// The CI mode of the differential harness: a fixed-seed batch of generated
// and mutated payloads (all three formats) scraped by Debian's Prometheus
// 2.42 and by promscrape with prometheus_compat "2"; every payload must
// agree (up, series, values, timestamps, scrape_samples_scraped), storage
// differences (out of bounds, out of order) aside. About 20 s.

#include <string>

#include "gtest/gtest.h"
#include "tests/difffuzz/harness.h"
#include "tests/testutil/test_files.h"

namespace promscrape::difffuzz {
namespace {

TEST(DiffFuzzTest, FixedSeedBatchAgreesWithPrometheus242) {
  auto oracle = PrometheusOracle::Start(testing::TmpDir());
  ASSERT_TRUE(oracle.ok()) << oracle.status();
  RunOptions options;
  options.seed = 20240816;
  options.payloads = 400;
  options.batch_size = 400;
  // A disagreement is reported as found; minimising is for the long mode.
  options.minimise = false;
  options.seed_files = {
      "tests/textparse/testdata/sample.prom.txt",
      "tests/textparse/testdata/sample.om.txt",
      "tests/fuzz/corpus/openmetrics/exemplar.txt",
      "tests/fuzz/corpus/openmetrics/unit.txt",
      "tests/fuzz/corpus/prom/escapes_nul.txt",
      "tests/fuzz/corpus/prom/spacing.txt",
  };
  auto report = RunDifferential(**oracle, options);
  ASSERT_TRUE(report.ok()) << report.status() << "\n" << (*oracle)->Log();
  EXPECT_EQ(report->payloads, 400);
  // The batch exercises both verdicts.
  EXPECT_GT(report->prometheus_up, 50);
  EXPECT_LT(report->prometheus_up, 380);
  for (const Disagreement& d : report->disagreements) {
    ADD_FAILURE() << d.diff << "\n  payload: " << Describe(d.payload);
  }
}

}  // namespace
}  // namespace promscrape::difffuzz
