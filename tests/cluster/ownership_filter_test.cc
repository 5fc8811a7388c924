#include "plugin/cluster/ownership_filter.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/cluster/assignment.h"
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

// A hand-over test rig: a member with a manual scheduler, a fake clock, a
// 10s scrape interval, a 5s grace, and a switch for "every target of the
// job has had its first scrape".
struct Rig {
  metrics::Registry registry;
  testing::FakeClock clock;
  std::unique_ptr<Scheduler> scheduler = Scheduler::CreateManualForTest(clock);
  Recorder engine;
  Mutex mu;
  bool scraped ABSL_GUARDED_BY(mu) = true;
  std::vector<uint64_t> ready ABSL_GUARDED_BY(mu);  // every on_ready value
  std::unique_ptr<OwnershipFilter> filter;

  explicit Rig(const std::string& self, int replication_factor = 1,
               absl::Duration handover_timeout = absl::ZeroDuration()) {
    filter = std::make_unique<OwnershipFilter>(
        OwnershipFilter::Options{
            .replication_factor = replication_factor,
            .all_scraped =
                [this](const std::string&) {
                  MutexLock lock(&mu);
                  return scraped;
                },
            .scrape_interval =
                [](const std::string&) { return absl::Seconds(10); },
            .on_ready =
                [this](uint64_t set) {
                  MutexLock lock(&mu);
                  ready.push_back(set);
                },
            .handover_grace = absl::Seconds(5),
            .handover_timeout = handover_timeout,
            .scheduler = scheduler.get(),
            .clock = &clock},
        engine.Fn(), registry);
    filter->SetSelf(self);
  }
  ~Rig() { scheduler->Stop(); }
  void SetScraped(bool v) {
    MutexLock lock(&mu);
    scraped = v;
  }
  uint64_t LastReady() {
    MutexLock lock(&mu);
    return ready.empty() ? 0 : ready.back();
  }
  void Advance(absl::Duration d) {
    clock.Advance(d);
    scheduler->RunDueForTest();
  }
  double Metric(const std::string& name, const std::string& outcome = "") {
    std::vector<metrics::LabelPair> labels;
    if (!outcome.empty()) labels.push_back({"outcome", outcome});
    return registry.Counter(name, "", labels).Value();
  }
};

// The addresses member `self` owns under `members` (computed by a filter of
// its own).
std::set<std::string> OwnedBy(const std::string& self,
                              const std::vector<std::string>& members,
                              int targets) {
  metrics::Registry registry;
  Recorder engine;
  OwnershipFilter filter({}, engine.Fn(), registry);
  filter.SetSelf(self);
  filter.Sync("node", Groups(targets));
  filter.SetMembers(members);
  return engine.Addresses("node");
}

TEST(OwnershipFilterTest, OldOwnerKeepsMovedTargetsUntilTheNewOwnerIsReady) {
  Rig a("a");
  a.filter->Sync("node", Groups(30));
  a.filter->SetMembers({"a"});
  ASSERT_THAT(a.engine.Addresses("node"), SizeIs(30));
  const std::set<std::string> kept = OwnedBy("a", {"a", "b"}, 30);
  ASSERT_LT(kept.size(), 30u);

  // b joins: a keeps scraping what b gained.
  a.filter->SetMembers({"a", "b"});
  EXPECT_THAT(a.engine.Addresses("node"), SizeIs(30));
  EXPECT_EQ(a.filter->share().handing_over,
            static_cast<int64_t>(30 - kept.size()));
  // b's readiness for another member set (the one before it joined) does
  // not count, nor does another member's readiness (the engine is not
  // even called), nor time within the bound.
  int calls;
  {
    MutexLock lock(&a.engine.mu);
    calls = a.engine.calls;
  }
  a.filter->SetMembers({"a", "b"}, {{"b", MemberSetHash({"b"})}});
  a.filter->SetMembers({"a", "b"}, {{"a", MemberSetHash({"a", "b"})},
                                    {"b", MemberSetHash({"b"})}});
  {
    MutexLock lock(&a.engine.mu);
    EXPECT_EQ(a.engine.calls, calls);
  }
  a.Advance(absl::Seconds(24));
  EXPECT_THAT(a.engine.Addresses("node"), SizeIs(30));

  // b is ready for {a, b}: a stops the moved targets, without staleness.
  a.filter->SetMembers({"a", "b"}, {{"b", MemberSetHash({"a", "b"})}});
  EXPECT_EQ(a.engine.Addresses("node"), kept);
  {
    MutexLock lock(&a.engine.mu);
    EXPECT_FALSE(a.engine.last_stale);
  }
  EXPECT_EQ(a.filter->share().handing_over, 0);
  EXPECT_EQ(a.Metric("promscrape_cluster_handovers_total", "ready"),
            30 - kept.size());
  EXPECT_EQ(a.Metric("promscrape_cluster_handovers_total", "timeout"), 0);

  // A target gone from discovery stops at once, with staleness.
  a.filter->Sync("node", Groups(1));
  MutexLock lock(&a.engine.mu);
  EXPECT_TRUE(a.engine.last_stale);
}

TEST(OwnershipFilterTest, NewOwnerIsReadyOnceItsGainedTargetsWereScraped) {
  Rig b("b");
  b.filter->Sync("node", Groups(30));
  b.filter->SetMembers({"a"});  // not a member yet: owns nothing
  EXPECT_THAT(b.engine.Addresses("node"), IsEmpty());
  EXPECT_EQ(b.LastReady(), 0u);

  b.SetScraped(false);
  b.filter->SetMembers({"a", "b"});
  EXPECT_THAT(b.engine.Addresses("node"),
              ::testing::Not(IsEmpty()));  // starts at once
  EXPECT_EQ(b.LastReady(), 0u);
  b.Advance(absl::Seconds(1));  // polls: not scraped yet
  EXPECT_EQ(b.LastReady(), 0u);
  b.SetScraped(true);
  b.Advance(absl::Seconds(1));
  EXPECT_EQ(b.LastReady(), MemberSetHash({"a", "b"}));
  EXPECT_EQ(b.filter->share().ready_for, MemberSetHash({"a", "b"}));

  // A member set under which b gains nothing: ready for it at once.
  b.filter->SetMembers({"a", "b", "c"});
  const std::set<std::string> before = OwnedBy("b", {"a", "b"}, 30);
  const std::set<std::string> after = OwnedBy("b", {"a", "b", "c"}, 30);
  if (std::includes(before.begin(), before.end(), after.begin(),
                    after.end())) {
    EXPECT_EQ(b.LastReady(), MemberSetHash({"a", "b", "c"}));
  }
  // Out of the member set: readiness withdrawn, nothing owned.
  b.filter->SetMembers({});
  EXPECT_EQ(b.LastReady(), 0u);
  EXPECT_THAT(b.engine.Addresses("node"), IsEmpty());
}

TEST(OwnershipFilterTest, MemberWhoseTargetsArriveAfterItJoinedWaitsForThem) {
  Rig b("b");
  b.SetScraped(false);
  b.filter->SetMembers({"a", "b"});
  EXPECT_EQ(b.LastReady(), 0u);  // no targets from discovery yet
  b.filter->Sync("node", Groups(30));
  EXPECT_THAT(b.engine.Addresses("node"), ::testing::Not(IsEmpty()));
  b.Advance(absl::Seconds(1));
  EXPECT_EQ(b.LastReady(), 0u);
  b.SetScraped(true);
  b.Advance(absl::Seconds(1));
  EXPECT_EQ(b.LastReady(), MemberSetHash({"a", "b"}));
  // Targets discovery adds later were nobody's: readiness stays.
  b.SetScraped(false);
  b.filter->Sync("node", Groups(60));
  EXPECT_EQ(b.LastReady(), MemberSetHash({"a", "b"}));
}

TEST(OwnershipFilterTest, NewOwnerIsReadyAfterTwoIntervalsAtTheLatest) {
  Rig b("b");
  b.filter->Sync("node", Groups(30));
  b.SetScraped(false);  // e.g. a target whose scrape never ends
  b.filter->SetMembers({"a", "b"});
  b.Advance(absl::Seconds(19));
  EXPECT_EQ(b.LastReady(), 0u);
  b.Advance(absl::Seconds(1));
  EXPECT_EQ(b.LastReady(), MemberSetHash({"a", "b"}));
}

TEST(OwnershipFilterTest, HandOverEndsAfterTwoIntervalsAndGraceWithoutReady) {
  Rig a("a");
  a.filter->Sync("node", Groups(30));
  a.filter->SetMembers({"a"});
  a.filter->SetMembers({"a", "b"});
  const std::set<std::string> kept = OwnedBy("a", {"a", "b"}, 30);
  a.Advance(absl::Seconds(24));
  EXPECT_THAT(a.engine.Addresses("node"), SizeIs(30));
  a.Advance(absl::Seconds(1));  // 2 x 10s + 5s
  EXPECT_EQ(a.engine.Addresses("node"), kept);
  {
    MutexLock lock(&a.engine.mu);
    EXPECT_FALSE(a.engine.last_stale);
  }
  EXPECT_EQ(a.Metric("promscrape_cluster_handovers_total", "timeout"),
            30 - kept.size());
}

TEST(OwnershipFilterTest, HandOverTimeoutReplacesTwoIntervalsAndGrace) {
  Rig a("a", /*replication_factor=*/1, /*handover_timeout=*/absl::Seconds(7));
  a.filter->Sync("node", Groups(30));
  a.filter->SetMembers({"a"});
  a.filter->SetMembers({"a", "b"});
  const std::set<std::string> kept = OwnedBy("a", {"a", "b"}, 30);
  a.Advance(absl::Seconds(6));
  EXPECT_THAT(a.engine.Addresses("node"), SizeIs(30));
  a.Advance(absl::Seconds(1));  // cluster.handover_timeout, not 2 x 10s + 5s
  EXPECT_EQ(a.engine.Addresses("node"), kept);
  EXPECT_EQ(a.Metric("promscrape_cluster_handovers_total", "timeout"),
            30 - kept.size());
}

// The same members again under a new member set id (A, B, A: a member left
// and came back, or joined and left) is a new member set: readiness a member
// published for the first one does not end hand-overs under the second.
// Keyed by MemberSetHash alone, b's stale readiness would stop a's moved
// targets at once, before b's first scrapes of them.
TEST(OwnershipFilterTest, ReadinessForAnEarlierIdOfTheSameMembersDoesNotCount) {
  Rig a("a");
  a.filter->Sync("node", Groups(30));
  const uint64_t first = MemberSetId({"a", "b"}, 4);
  a.filter->SetMembers({"a", "b"}, {{"b", first}}, first);
  const std::set<std::string> kept = OwnedBy("a", {"a", "b"}, 30);
  ASSERT_EQ(a.engine.Addresses("node"), kept);
  // b gone: a takes b's share.
  a.filter->SetMembers({"a"}, {}, MemberSetId({"a"}, 6));
  ASSERT_THAT(a.engine.Addresses("node"), SizeIs(30));

  // b back, its value still naming the first {a, b}: a keeps b's share.
  const uint64_t second = MemberSetId({"a", "b"}, 8);
  a.filter->SetMembers({"a", "b"}, {{"b", first}}, second);
  EXPECT_THAT(a.engine.Addresses("node"), SizeIs(30));
  EXPECT_EQ(a.filter->share().handing_over,
            static_cast<int64_t>(30 - kept.size()));
  EXPECT_EQ(a.filter->share().member_set, second);
  EXPECT_THAT(a.filter->share().ready_members, IsEmpty());
  // Ready for the second: the hand-over ends.
  a.filter->SetMembers({"a", "b"}, {{"b", second}}, second);
  EXPECT_EQ(a.engine.Addresses("node"), kept);
  EXPECT_EQ(a.filter->share().ready_members, std::set<std::string>{"b"});
}

// Readiness names the member set id SetMembers was given; the same members
// under a new id are a new member set.
TEST(OwnershipFilterTest, ReadinessNamesTheMemberSetId) {
  Rig b("b");
  b.filter->Sync("node", Groups(30));
  b.filter->SetMembers({"a", "b"}, {}, MemberSetId({"a", "b"}, 4));
  EXPECT_EQ(b.LastReady(), MemberSetId({"a", "b"}, 4));
  b.filter->SetMembers({"a", "b"}, {}, MemberSetId({"a", "b"}, 9));
  EXPECT_EQ(b.LastReady(), MemberSetId({"a", "b"}, 9));
}

// The owned share of `self` under members {a, b} with `load_bound`.
size_t OwnedCount(const std::string& self, int targets, double load_bound) {
  metrics::Registry registry;
  Recorder engine;
  OwnershipFilter filter({.load_bound = load_bound}, engine.Fn(), registry);
  filter.SetSelf(self);
  filter.Sync("node", Groups(targets));
  filter.SetMembers({"a", "b"});
  return engine.Addresses("node").size();
}

TEST(OwnershipFilterTest, LoadBoundCapsEachMembersShare) {
  constexpr int kTargets = 40;
  // The default bound (1.05) lets one member own more than half...
  ASSERT_GT(std::max(OwnedCount("a", kTargets, 1.05),
                     OwnedCount("b", kTargets, 1.05)),
            kTargets / 2u);
  // ...cluster.load_bound 1.0 does not.
  EXPECT_EQ(OwnedCount("a", kTargets, 1.0), kTargets / 2u);
  EXPECT_EQ(OwnedCount("b", kTargets, 1.0), kTargets / 2u);
}

TEST(OwnershipFilterTest, NewOwnerGoneTargetsComeBackOrWaitForTheNext) {
  Rig a("a");
  a.filter->Sync("node", Groups(60));
  a.filter->SetMembers({"a"});
  a.filter->SetMembers({"a", "b", "c"});
  ASSERT_THAT(a.engine.Addresses("node"), SizeIs(60));
  int calls;
  {
    MutexLock lock(&a.engine.mu);
    calls = a.engine.calls;
  }
  // b dies before it is ready: what it had gained goes to a (still
  // scraping it) or c; c's gains wait for c, and b's old readiness for
  // {a, b, c} counts for nothing.
  a.filter->SetMembers({"a", "c"}, {{"b", MemberSetHash({"a", "b", "c"})}});
  EXPECT_THAT(a.engine.Addresses("node"), SizeIs(60));
  {
    MutexLock lock(&a.engine.mu);
    EXPECT_EQ(a.engine.calls, calls);  // nothing stopped, nothing started
  }
  a.filter->SetMembers({"a", "c"}, {{"c", MemberSetHash({"a", "c"})}});
  EXPECT_EQ(a.engine.Addresses("node"), OwnedBy("a", {"a", "c"}, 60));
  MutexLock lock(&a.engine.mu);
  EXPECT_FALSE(a.engine.last_stale);
}

TEST(OwnershipFilterTest, VanishedTargetsGetStalenessHandedOverOnesDoNot) {
  Rig a("a");
  // Every call, with its staleness flag.
  struct Call {
    std::set<std::string> addresses;
    bool stale;
  };
  std::vector<Call> calls;
  Mutex calls_mu;
  metrics::Registry registry;
  OwnershipFilter filter(
      {.scrape_interval = [](const std::string&) { return absl::Seconds(10); },
       .handover_grace = absl::Seconds(5),
       .scheduler = a.scheduler.get(),
       .clock = &a.clock},
      [&](const std::string&, const std::vector<discovery::TargetGroup>& groups,
          bool stale) {
        Call c{{}, stale};
        for (const auto& g : groups) {
          for (const auto& t : g.targets) {
            c.addresses.insert(std::string(t.Get("__address__")));
          }
        }
        MutexLock lock(&calls_mu);
        calls.push_back(std::move(c));
      },
      registry);
  filter.SetSelf("a");
  filter.Sync("node", Groups(30));
  filter.SetMembers({"a"});
  filter.SetMembers({"a", "b"});
  const std::set<std::string> kept = OwnedBy("a", {"a", "b"}, 30);
  // The hand-over times out and discovery drops targets in the same pass
  // (the timer has not run yet): the vanished ones go first, with
  // staleness, then the handed-over ones, without.
  a.clock.Advance(absl::Seconds(30));
  std::vector<discovery::TargetGroup> fewer = Groups(30);
  std::set<std::string> vanished;
  std::string moved_address;
  for (auto it = fewer[0].targets.begin(); it != fewer[0].targets.end();) {
    const std::string address(it->Get("__address__"));
    if (kept.count(address) > 0 && vanished.empty()) {
      vanished.insert(address);
      it = fewer[0].targets.erase(it);
      continue;
    }
    ++it;
  }
  ASSERT_THAT(vanished, SizeIs(1));
  {
    MutexLock lock(&calls_mu);
    calls.clear();
  }
  filter.Sync("node", fewer);
  MutexLock lock(&calls_mu);
  ASSERT_THAT(calls, SizeIs(2));
  EXPECT_TRUE(calls[0].stale);
  EXPECT_THAT(calls[0].addresses, SizeIs(29));  // the moved ones still in
  EXPECT_FALSE(calls[1].stale);
  std::set<std::string> expected = kept;
  expected.erase(*vanished.begin());
  EXPECT_EQ(calls[1].addresses, expected);
}

TEST(OwnershipFilterTest, ReplicaRanksAreHandedOverLikeTargets) {
  Rig a("a", /*replication_factor=*/2);
  a.filter->Sync("node", Groups(20));
  a.filter->SetMembers({"a", "b"});  // a owns every target at one rank
  a.filter->SetMembers({"a", "b"}, {{"b", MemberSetHash({"a", "b"})}});
  ASSERT_THAT(a.engine.Addresses("node"), SizeIs(20));
  a.filter->SetMembers({"a", "b", "c"},
                       {{"b", MemberSetHash({"a", "b"})}});
  const int64_t owned = a.filter->share().owned_targets;
  EXPECT_LT(owned, 20);
  EXPECT_GT(a.filter->share().handing_over, 0);
  a.filter->SetMembers({"a", "b", "c"},
                       {{"b", MemberSetHash({"a", "b", "c"})},
                        {"c", MemberSetHash({"a", "b", "c"})}});
  EXPECT_EQ(a.filter->share().handing_over, 0);
  EXPECT_THAT(a.engine.Addresses("node"), SizeIs(owned));
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

// Hand-overs under way while discovery, membership (with readiness) and
// the timer thread race (for TSAN): the end state is the plain assignment.
TEST(OwnershipFilterTest, ConcurrentHandOversWithTheTimerThread) {
  metrics::Registry registry;
  Scheduler scheduler(Clock::Real());
  Recorder engine;
  std::atomic<int> polls{0};
  OwnershipFilter filter(
      {.all_scraped =
           [&](const std::string&) { return polls.fetch_add(1) % 3 == 2; },
       .scrape_interval =
           [](const std::string&) { return absl::Milliseconds(20); },
       .on_ready = [](uint64_t) {},
       .handover_grace = absl::Milliseconds(10),
       .scheduler = &scheduler},
      engine.Fn(), registry);
  filter.SetSelf("a");
  std::thread discovery([&] {
    for (int i = 0; i < 100; ++i) filter.Sync("node", Groups(i % 20 + 1));
  });
  std::thread membership([&] {
    for (int i = 0; i < 100; ++i) {
      if (i % 2 == 0) {
        filter.SetMembers({"a", "b"});
      } else {
        filter.SetMembers({"a", "b"}, {{"b", MemberSetHash({"a", "b"})}});
      }
      if (i % 10 == 9) filter.SetMembers({"a"});
    }
  });
  std::thread reader([&] {
    for (int i = 0; i < 100; ++i) filter.share();
  });
  discovery.join();
  membership.join();
  reader.join();
  filter.SetMembers({"a"});
  scheduler.Stop();
  EXPECT_THAT(engine.Addresses("node"), SizeIs(20));
  EXPECT_EQ(filter.share().handing_over, 0);
}

}  // namespace
}  // namespace promscrape::cluster
