#include "plugin/checker/config_checker.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::checker {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ConfigCheckerTest, ReportsEveryUnknownKeyOfEveryJob) {
  const CheckResult result = CheckConfigText(R"(
scrape_configs:
- job_name: a
  scrape_intervall: 5s
  metric_path: /m
- job_name: good
- job_name: b
  honor_label: true
)",
                                             "");
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_THAT(result.errors[0],
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("field scrape_intervall not found"),
                             HasSubstr("field metric_path not found"))));
  EXPECT_THAT(result.errors[1],
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("field honor_label not found")));
}

TEST(ConfigCheckerTest, ReportsEveryBadJobAtOnce) {
  const CheckResult result = CheckConfigText(R"(
scrape_configs:
- job_name: a
  scrape_interval: 5s
  scrape_timeout: 10s
- job_name: good
  static_configs: [{targets: ['x:1']}]
- job_name: b
  relabel_configs: [{regex: '('}]
- job_name: good
- job_name: c
  static_configs: [{targets: ['http://x:1']}]
)",
                                             "");
  EXPECT_THAT(
      result.errors,
      ElementsAre(
          StatusIs(absl::StatusCode::kInvalidArgument,
                   HasSubstr("scrape_configs[0] job \"a\": scrape_timeout 10s")),
          StatusIs(absl::StatusCode::kInvalidArgument,
                   HasSubstr("scrape_configs[2] job \"b\"")),
          StatusIs(absl::StatusCode::kInvalidArgument,
                   HasSubstr("found multiple scrape configs with job name "
                             "\"good\"")),
          StatusIs(absl::StatusCode::kInvalidArgument,
                   HasSubstr("scrape_configs[4] job \"c\""))));
}

TEST(ConfigCheckerTest, ValidJobsAreCheckedBesideBadOnes) {
  const CheckResult result = CheckConfigText(R"(
scrape_configs:
- job_name: a
  bogus: 1
- job_name: b
  authorization: {credentials_file: /nonexistent/token}
)",
                                             "");
  EXPECT_THAT(result.errors,
              ElementsAre(StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("field bogus not found")),
                          StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("/nonexistent/token"))));
}

TEST(ConfigCheckerTest, ErrorOutsideScrapeConfigsIsTheOnlyOne) {
  const CheckResult result = CheckConfigText(R"(
global: {scrape_interval: nope}
scrape_configs:
- job_name: a
  bogus: 1
)",
                                             "");
  EXPECT_THAT(result.errors,
              ElementsAre(StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("global"))));
}

}  // namespace
}  // namespace promscrape::checker
