#include "plugin/service/control_handler.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/fake_engine.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::service {
namespace {

using ::promscrape::testing::FakeEngine;
using ::promscrape::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::ApplyConfigRequest Request(const std::string& yaml) {
  v1::ApplyConfigRequest request;
  request.set_config_yaml(yaml);
  return request;
}

// ApplyConfig parses with the plugin config's prometheus_compat: under "2"
// a 3.x-only key is an unknown field (as in Prometheus 2.42), under "3" it
// is read and reaches the engine's job config.
TEST(ControlHandlerTest, ApplyConfigParsesWithThePluginsCompat) {
  const std::string yaml =
      "scrape_configs:\n"
      "- job_name: j\n"
      "  metric_name_validation_scheme: legacy\n";
  {
    FakeEngine e;
    ControlHandler handler(e.manager(), e.discovery(), e.registry, e.clock,
                           config::PrometheusCompat::kV2);
    v1::ApplyConfigResponse response;
    EXPECT_THAT(handler.ApplyConfig(Request(yaml), &response),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("field metric_name_validation_scheme not "
                                   "found")));
  }
  {
    FakeEngine e;
    ControlHandler handler(e.manager(), e.discovery(), e.registry, e.clock,
                           config::PrometheusCompat::kV3);
    v1::ApplyConfigResponse response;
    PROMSCRAPE_ASSERT_OK(handler.ApplyConfig(Request(yaml), &response));
    EXPECT_THAT(response.added_jobs(), ElementsAre("j"));
    const config::PrometheusConfig applied = e.manager().Config();
    const config::ScrapeConfig* job = applied.FindJob("j");
    ASSERT_NE(job, nullptr);
    EXPECT_EQ(job->compat, config::PrometheusCompat::kV3);
    EXPECT_EQ(job->metric_name_validation_scheme,
              model::NameValidation::kLegacy);
  }
}

}  // namespace
}  // namespace promscrape::service
