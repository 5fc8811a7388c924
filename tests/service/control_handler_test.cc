#include "plugin/service/control_handler.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/cluster/assignment.h"
#include "plugin/cluster/etcd_client.h"
#include "plugin/cluster/membership.h"
#include "plugin/cluster/ownership_filter.h"
#include "plugin/common/logging.h"
#include "plugin/common/scheduler.h"
#include "plugin/metrics/registry.h"
#include "tests/testutil/fake_clock.h"
#include "tests/testutil/fake_engine.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::service {
namespace {

using ::promscrape::testing::FakeEngine;
using ::promscrape::testing::StatusIs;
using ::testing::DoubleEq;
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

// GetCluster joins the membership's view (members in etcd, etcd health)
// with the ownership filter's assignment: every member the filter assigns
// to or etcd lists appears once, live only when etcd lists it; the share is
// this member's owned targets against the mean.
TEST(ControlHandlerTest, GetClusterReportsMembersLivenessShareAndEtcd) {
  FakeEngine e;
  ControlHandler handler(e.manager(), e.discovery(), e.registry, e.clock,
                         config::PrometheusCompat::kV3);
  {
    v1::GetClusterResponse response;
    EXPECT_THAT(handler.GetCluster({}, &response),
                StatusIs(absl::StatusCode::kFailedPrecondition,
                         HasSubstr("not clustered")));
  }

  metrics::Registry registry;
  Logger logger;
  // Never started: the client only has to exist (nothing listens there).
  auto client = cluster::EtcdClient::Create({.endpoints = {"127.0.0.1:1"}});
  PROMSCRAPE_ASSERT_OK(client.status());
  cluster::Membership membership(
      {.name = "c", .member_id = "b"}, *std::move(client),
      [](const cluster::Membership::MemberSet&) {}, registry, logger);
  cluster::OwnershipFilter filter(
      {.replication_factor = 1},
      [](const std::string&, const std::vector<discovery::TargetGroup>&,
         bool) {},
      registry);
  filter.SetSelf("b");
  // "c" is still in the filter's member set but its key is gone from etcd.
  filter.SetMembers({"a", "b", "c"});
  discovery::TargetGroup group;
  group.source = "0";
  for (int i = 0; i < 30; ++i) {
    group.targets.push_back(model::Labels::Of(
        {{"__address__", absl::StrCat("10.0.0.", i, ":9100")}}));
  }
  filter.Sync("node", {group});

  cluster::Membership::View view;
  view.members = {"a", "b"};
  view.owning = true;
  view.etcd_up = true;
  view.last_contact = absl::FromUnixMillis(1700000000123);
  view.etcd_endpoint = "127.0.0.1:2379";
  membership.SetViewForTest(view);
  handler.SetCluster("c", 1, &membership, &filter);

  v1::GetClusterResponse response;
  PROMSCRAPE_ASSERT_OK(handler.GetCluster({}, &response));
  EXPECT_EQ(response.name(), "c");
  EXPECT_EQ(response.member_id(), "b");
  EXPECT_EQ(response.replication_factor(), 1);
  ASSERT_EQ(response.members_size(), 3);
  int64_t sum = 0;
  for (const v1::ClusterMember& m : response.members()) {
    SCOPED_TRACE(m.id());
    EXPECT_EQ(m.live(), m.id() != "c");
    EXPECT_EQ(m.self(), m.id() == "b");
    EXPECT_GT(m.owned_targets(), 0);
    sum += m.owned_targets();
  }
  EXPECT_EQ(response.members(0).id(), "a");
  EXPECT_EQ(response.members(2).id(), "c");
  EXPECT_EQ(sum, 30);
  EXPECT_EQ(response.total_targets(), 30);
  EXPECT_EQ(response.owned_targets(), response.members(1).owned_targets());
  EXPECT_THAT(response.share_of_mean(),
              DoubleEq(response.owned_targets() * 3.0 / 30.0));
  EXPECT_TRUE(response.etcd_up());
  EXPECT_EQ(response.etcd_endpoint(), "127.0.0.1:2379");
  EXPECT_EQ(response.last_etcd_contact().seconds(), 1700000000);
  EXPECT_EQ(response.last_etcd_contact().nanos(), 123000000);
  EXPECT_TRUE(response.owning());

  // Cut off from etcd past the lease: not owning, etcd down.
  view.etcd_up = false;
  view.owning = false;
  membership.SetViewForTest(view);
  response.Clear();
  PROMSCRAPE_ASSERT_OK(handler.GetCluster({}, &response));
  EXPECT_FALSE(response.etcd_up());
  EXPECT_FALSE(response.owning());
}

// GetCluster's hand-over state: the member set in force, whether this
// member and each other one is ready for it, and the targets this member
// still scrapes for a new owner that is not ready.
TEST(ControlHandlerTest, GetClusterReportsHandOverReadiness) {
  FakeEngine e;
  ControlHandler handler(e.manager(), e.discovery(), e.registry, e.clock,
                         config::PrometheusCompat::kV3);
  metrics::Registry registry;
  Logger logger;
  auto client = cluster::EtcdClient::Create({.endpoints = {"127.0.0.1:1"}});
  PROMSCRAPE_ASSERT_OK(client.status());
  cluster::Membership membership(
      {.name = "c", .member_id = "a"}, *std::move(client),
      [](const cluster::Membership::MemberSet&) {}, registry, logger);
  ::promscrape::testing::FakeClock clock;
  std::unique_ptr<Scheduler> scheduler = Scheduler::CreateManualForTest(clock);
  cluster::OwnershipFilter filter(
      {.scrape_interval = [](const std::string&) { return absl::Seconds(10); },
       .scheduler = scheduler.get(),
       .clock = &clock},
      [](const std::string&, const std::vector<discovery::TargetGroup>&,
         bool) {},
      registry);
  filter.SetSelf("a");
  discovery::TargetGroup group;
  group.source = "0";
  for (int i = 0; i < 30; ++i) {
    group.targets.push_back(model::Labels::Of(
        {{"__address__", absl::StrCat("10.0.0.", i, ":9100")}}));
  }
  filter.Sync("node", {group});
  filter.SetMembers({"a"}, {}, cluster::MemberSetId({"a"}, 5));
  // b joins at revision 7: a hands b's share over and, having gained
  // nothing, is ready at once; b is not ready yet.
  const uint64_t joined = cluster::MemberSetId({"a", "b"}, 7);
  filter.SetMembers({"a", "b"}, {{"a", joined}}, joined);
  cluster::Membership::View view;
  view.members = {"a", "b"};
  view.owning = true;
  view.etcd_up = true;
  membership.SetViewForTest(view);
  handler.SetCluster("c", 1, &membership, &filter);

  v1::GetClusterResponse response;
  PROMSCRAPE_ASSERT_OK(handler.GetCluster({}, &response));
  EXPECT_EQ(response.member_set_id(),
            absl::StrCat(absl::Hex(joined, absl::kZeroPad16)));
  EXPECT_TRUE(response.ready());
  ASSERT_EQ(response.members_size(), 2);
  EXPECT_TRUE(response.members(0).ready());   // a
  EXPECT_FALSE(response.members(1).ready());  // b
  const int64_t moved = response.members(1).owned_targets();
  EXPECT_GT(moved, 0);
  EXPECT_EQ(response.handing_over_targets(), moved);

  // b is ready: a stops what it handed over.
  filter.SetMembers({"a", "b"}, {{"a", joined}, {"b", joined}}, joined);
  response.Clear();
  PROMSCRAPE_ASSERT_OK(handler.GetCluster({}, &response));
  EXPECT_TRUE(response.members(1).ready());
  EXPECT_EQ(response.handing_over_targets(), 0);

  // Readiness for an earlier member set with the same members does not
  // count: b's value names revision 7, the set in force revision 9.
  filter.SetMembers({"a", "b"}, {{"a", joined}, {"b", joined}},
                    cluster::MemberSetId({"a", "b"}, 9));
  response.Clear();
  PROMSCRAPE_ASSERT_OK(handler.GetCluster({}, &response));
  EXPECT_FALSE(response.members(1).ready());
  EXPECT_TRUE(response.ready());  // a gained nothing: ready for the new id
  scheduler->Stop();
}

}  // namespace
}  // namespace promscrape::service
