#include "plugin/cluster/ownership_filter.h"

#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/common/mutex.h"
#include "plugin/common/scheduler.h"
#include "plugin/metrics/registry.h"
#include "tests/testutil/fake_clock.h"

namespace promscrape::cluster {
namespace {

using ::testing::IsEmpty;
using ::testing::SizeIs;

std::vector<discovery::TargetGroup> Groups(int n) {
  discovery::TargetGroup g;
  g.source = "0";
  g.labels = model::Labels::Of({{"env", "test"}});
  for (int i = 0; i < n; ++i) {
    g.targets.push_back(model::Labels::Of(
        {{"__address__", absl::StrCat("10.0.0.", i, ":9100")}}));
  }
  return {g};
}

// What the engine was handed last, per job.
struct Recorder {
  Mutex mu;
  std::map<std::string, std::vector<discovery::TargetGroup>> last
      ABSL_GUARDED_BY(mu);
  int calls ABSL_GUARDED_BY(mu) = 0;
  bool last_stale ABSL_GUARDED_BY(mu) = true;

  OwnershipFilter::SyncFn Fn() {
    return [this](const std::string& job,
                  const std::vector<discovery::TargetGroup>& groups,
                  bool stale_vanished) {
      MutexLock lock(&mu);
      last[job] = groups;
      last_stale = stale_vanished;
      ++calls;
    };
  }
  std::set<std::string> Addresses(const std::string& job) {
    MutexLock lock(&mu);
    std::set<std::string> out;
    for (const auto& g : last[job]) {
      for (const auto& t : g.targets) {
        out.insert(std::string(t.Get("__address__")));
      }
    }
    return out;
  }
};

TEST(OwnershipFilterTest, OwnsNothingBeforeTheFirstMemberSet) {
  metrics::Registry registry;
  Recorder engine;
  OwnershipFilter filter({}, engine.Fn(), registry);
  filter.SetSelf("a");
  filter.Sync("node", Groups(10));
  EXPECT_THAT(engine.Addresses("node"), IsEmpty());
  EXPECT_EQ(filter.share().total_targets, 10);
  EXPECT_EQ(filter.share().owned_targets, 0);
}

TEST(OwnershipFilterTest, MembersSplitTheTargetsWithoutOverlap) {
  metrics::Registry registry;
  std::vector<std::string> members = {"a", "b", "c"};
  std::set<std::string> all;
  size_t total = 0;
  for (const std::string& self : members) {
    Recorder engine;
    OwnershipFilter filter({}, engine.Fn(), registry);
    filter.SetSelf(self);
    filter.Sync("node", Groups(30));
    filter.SetMembers(members);
    std::set<std::string> mine = engine.Addresses("node");
    total += mine.size();
    all.insert(mine.begin(), mine.end());
    // Group labels and source survive filtering.
    MutexLock lock(&engine.mu);
    ASSERT_THAT(engine.last["node"], SizeIs(1));
    EXPECT_EQ(engine.last["node"][0].labels.Get("env"), "test");
  }
  EXPECT_EQ(total, 30u);
  EXPECT_THAT(all, SizeIs(30));
}

TEST(OwnershipFilterTest, UnchangedOwnershipIsNotHandedOnAgain) {
  metrics::Registry registry;
  Recorder engine;
  OwnershipFilter filter({}, engine.Fn(), registry);
  filter.SetSelf("a");
  filter.Sync("node", Groups(1));
  filter.SetMembers({"a"});
  int calls;
  {
    MutexLock lock(&engine.mu);
    calls = engine.calls;
  }
  // The same member set again changes nothing, so the engine is not called.
  filter.SetMembers({"a"});
  MutexLock lock(&engine.mu);
  EXPECT_EQ(engine.calls, calls);
}

TEST(OwnershipFilterTest, ReplicasCarryTheReplicaLabel) {
  metrics::Registry registry;
  Recorder engine;
  OwnershipFilter filter({.replication_factor = 2, .replica_label = "rep"},
                         engine.Fn(), registry);
  filter.SetSelf("a");
  filter.Sync("node", Groups(20));
  filter.SetMembers({"a", "b"});
  MutexLock lock(&engine.mu);
  std::set<std::string> ranks;
  int targets = 0;
  for (const auto& g : engine.last["node"]) {
    for (const auto& t : g.targets) {
      ranks.insert(std::string(t.Get("rep")));
      ++targets;
    }
  }
  EXPECT_EQ(targets, 20);  // two members, two replicas: a owns all
  EXPECT_EQ(ranks, (std::set<std::string>{"0", "1"}));
}

TEST(OwnershipFilterTest, MovedTargetsStayOneDelayAndLeaveWithoutStaleness) {
  metrics::Registry registry;
  testing::FakeClock clock;
  std::unique_ptr<Scheduler> scheduler = Scheduler::CreateManualForTest(clock);
  Recorder engine;
  OwnershipFilter filter(
      {.handover_delay = [](const std::string&) { return absl::Seconds(10); },
       .scheduler = scheduler.get(),
       .clock = &clock},
      engine.Fn(), registry);
  filter.SetSelf("a");
  filter.Sync("node", Groups(30));
  filter.SetMembers({"a"});
  ASSERT_THAT(engine.Addresses("node"), SizeIs(30));

  filter.SetMembers({"a", "b"});  // b takes about half
  EXPECT_THAT(engine.Addresses("node"), SizeIs(30));  // still scraped here
  const int64_t owned = filter.share().owned_targets;
  EXPECT_LT(owned, 30);

  clock.Advance(absl::Seconds(9));
  scheduler->RunDueForTest();
  EXPECT_THAT(engine.Addresses("node"), SizeIs(30));
  clock.Advance(absl::Seconds(1));
  scheduler->RunDueForTest();
  EXPECT_THAT(engine.Addresses("node"), SizeIs(owned));
  {
    MutexLock lock(&engine.mu);
    EXPECT_FALSE(engine.last_stale);  // b carries the series on
  }

  // A target gone from discovery stops at once, with staleness.
  filter.Sync("node", Groups(1));
  MutexLock lock(&engine.mu);
  EXPECT_TRUE(engine.last_stale);
}

TEST(OwnershipFilterTest, ConcurrentSyncAndMemberChanges) {
  metrics::Registry registry;
  Recorder engine;
  OwnershipFilter filter({}, engine.Fn(), registry);
  filter.SetSelf("a");
  std::thread discovery([&] {
    for (int i = 0; i < 200; ++i) filter.Sync("node", Groups(i % 20 + 1));
  });
  std::thread membership([&] {
    for (int i = 0; i < 200; ++i) {
      filter.SetMembers(i % 2 == 0 ? std::vector<std::string>{"a", "b"}
                                   : std::vector<std::string>{"a"});
    }
  });
  std::thread reader([&] {
    for (int i = 0; i < 200; ++i) filter.share();
  });
  discovery.join();
  membership.join();
  reader.join();
  filter.SetMembers({"a"});
  EXPECT_THAT(engine.Addresses("node"), SizeIs(20));
}

}  // namespace
}  // namespace promscrape::cluster
