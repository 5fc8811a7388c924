// TargetEventHub: snapshot then live events, per-job filtering, duplicate
// suppression against the snapshot, overflow, unsubscribe, and wakes only
// for an armed (idle) subscriber.

#include "plugin/scrape/target_event_hub.h"

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace promscrape::scrape {
namespace {

using Next = TargetEventHub::Subscription::Next;
using ::testing::ElementsAre;

TargetState State(const std::string& job, const std::string& url,
                  TargetHealth health = TargetHealth::kUnknown) {
  TargetState t;
  t.job = job;
  t.url = url;
  t.health = health;
  return t;
}

TargetEvent Event(TargetEvent::Kind kind, TargetState t) {
  TargetEvent e;
  e.kind = kind;
  e.target = std::move(t);
  return e;
}

std::string Describe(const TargetEvent& e) {
  const char* kind = e.kind == TargetEvent::Kind::kAdded     ? "ADDED"
                     : e.kind == TargetEvent::Kind::kRemoved ? "REMOVED"
                                                             : "HEALTH";
  const char* health = e.target.health == TargetHealth::kUp     ? "up"
                       : e.target.health == TargetHealth::kDown ? "down"
                                                                : "unknown";
  return std::string(kind) + " " + e.target.job + " " + e.target.url + " " +
         health;
}

// Drains `sub` until it is idle; returns what it took and the final state.
std::vector<std::string> Drain(TargetEventHub::Subscription& sub,
                               Next* last = nullptr) {
  std::vector<std::string> out;
  TargetEvent e;
  Next n;
  while ((n = sub.TakeOrArm(&e)) == Next::kEvent) out.push_back(Describe(e));
  if (last != nullptr) *last = n;
  return out;
}

auto NoSnapshot() {
  return [] { return std::vector<TargetState>(); };
}

TEST(TargetEventHubTest, SnapshotThenLiveEventsInOrder) {
  TargetEventHub hub;
  EXPECT_FALSE(hub.has_subscribers());
  auto sub = hub.Subscribe("", 16, [] {}, [] {
    return std::vector<TargetState>{State("a", "http://x/metrics")};
  });
  EXPECT_TRUE(hub.has_subscribers());
  hub.Publish(Event(TargetEvent::Kind::kHealthChanged,
                    State("a", "http://x/metrics", TargetHealth::kUp)));
  hub.Publish(Event(TargetEvent::Kind::kAdded, State("b", "http://y/metrics")));
  hub.Publish(Event(TargetEvent::Kind::kRemoved,
                    State("a", "http://x/metrics", TargetHealth::kUp)));
  Next last;
  EXPECT_THAT(Drain(*sub, &last),
              ElementsAre("ADDED a http://x/metrics unknown",
                          "HEALTH a http://x/metrics up",
                          "ADDED b http://y/metrics unknown",
                          "REMOVED a http://x/metrics up"));
  EXPECT_EQ(last, Next::kIdle);
}

TEST(TargetEventHubTest, JobFilterAndRepeatsSuppressed) {
  TargetEventHub hub;
  auto sub = hub.Subscribe("a", 16, [] {}, [] {
    return std::vector<TargetState>{State("a", "u1", TargetHealth::kUp)};
  });
  // Another job: not seen.
  hub.Publish(Event(TargetEvent::Kind::kAdded, State("b", "u2")));
  // Already in the snapshot (a racing publisher): not repeated.
  hub.Publish(Event(TargetEvent::Kind::kAdded, State("a", "u1")));
  // Same health as known: not repeated.
  hub.Publish(Event(TargetEvent::Kind::kHealthChanged,
                    State("a", "u1", TargetHealth::kUp)));
  // A target the subscriber never saw added: no change or removal for it.
  hub.Publish(Event(TargetEvent::Kind::kHealthChanged,
                    State("a", "u3", TargetHealth::kDown)));
  hub.Publish(Event(TargetEvent::Kind::kRemoved, State("a", "u3")));
  hub.Publish(Event(TargetEvent::Kind::kHealthChanged,
                    State("a", "u1", TargetHealth::kDown)));
  EXPECT_THAT(Drain(*sub), ElementsAre("ADDED a u1 up", "HEALTH a u1 down"));
}

TEST(TargetEventHubTest, WakeOnlyWhenArmed) {
  TargetEventHub hub;
  int wakes = 0;
  auto sub = hub.Subscribe("", 16, [&] { ++wakes; }, NoSnapshot());
  // Not armed yet (never found its queue empty): queued, no wake.
  hub.Publish(Event(TargetEvent::Kind::kAdded, State("a", "u1")));
  EXPECT_EQ(wakes, 0);
  EXPECT_THAT(Drain(*sub), ElementsAre("ADDED a u1 unknown"));  // arms
  hub.Publish(Event(TargetEvent::Kind::kAdded, State("a", "u2")));
  hub.Publish(Event(TargetEvent::Kind::kAdded, State("a", "u3")));
  EXPECT_EQ(wakes, 1);  // one wake per idle period
  EXPECT_EQ(Drain(*sub).size(), 2u);
  hub.Publish(Event(TargetEvent::Kind::kAdded, State("a", "u4")));
  EXPECT_EQ(wakes, 2);
}

TEST(TargetEventHubTest, OverflowEndsTheSubscriptionNotSilently) {
  TargetEventHub hub;
  auto sub = hub.Subscribe("", 2, [] {}, [] {
    return std::vector<TargetState>{State("a", "s1"), State("a", "s2")};
  });
  // Capacity is the snapshot plus two.
  hub.Publish(Event(TargetEvent::Kind::kAdded, State("a", "u1")));
  hub.Publish(Event(TargetEvent::Kind::kAdded, State("a", "u2")));
  hub.Publish(Event(TargetEvent::Kind::kAdded, State("a", "u3")));
  TargetEvent e;
  EXPECT_EQ(sub->TakeOrArm(&e), Next::kOverflowed);
  // Another subscriber is unaffected.
  auto other = hub.Subscribe("", 8, [] {}, NoSnapshot());
  hub.Publish(Event(TargetEvent::Kind::kAdded, State("a", "u4")));
  EXPECT_THAT(Drain(*other), ElementsAre("ADDED a u4 unknown"));
  EXPECT_EQ(sub->TakeOrArm(&e), Next::kOverflowed);
}

TEST(TargetEventHubTest, UnsubscribeClosesAndStopsWakes) {
  TargetEventHub hub;
  int wakes = 0;
  auto sub = hub.Subscribe("", 8, [&] { ++wakes; }, NoSnapshot());
  TargetEvent e;
  EXPECT_EQ(sub->TakeOrArm(&e), Next::kIdle);
  hub.Unsubscribe(sub);
  hub.Unsubscribe(sub);  // idempotent
  EXPECT_FALSE(hub.has_subscribers());
  hub.Publish(Event(TargetEvent::Kind::kAdded, State("a", "u1")));
  EXPECT_EQ(wakes, 0);
  EXPECT_EQ(sub->TakeOrArm(&e), Next::kClosed);
}

// Publishers on several threads and a subscriber draining concurrently:
// every event arrives once, ADDED before REMOVED for each target (run
// under TSAN in CI).
TEST(TargetEventHubTest, ConcurrentPublishersAndDrainer) {
  TargetEventHub hub;
  std::atomic<int> wakes{0};
  auto sub = hub.Subscribe("", 100000, [&] { wakes.fetch_add(1); },
                           NoSnapshot());
  constexpr int kThreads = 4;
  constexpr int kTargets = 500;
  std::vector<std::thread> publishers;
  for (int t = 0; t < kThreads; ++t) {
    publishers.emplace_back([&hub, t] {
      for (int i = 0; i < kTargets; ++i) {
        const std::string url = std::to_string(t) + "/" + std::to_string(i);
        hub.Publish(Event(TargetEvent::Kind::kAdded, State("a", url)));
        hub.Publish(Event(TargetEvent::Kind::kRemoved, State("a", url)));
      }
    });
  }
  std::vector<std::string> seen;
  std::atomic<bool> done{false};
  std::thread drainer([&] {
    TargetEvent e;
    while (true) {
      const bool finished = done.load();
      Next n;
      while ((n = sub->TakeOrArm(&e)) == Next::kEvent) {
        seen.push_back(Describe(e));
      }
      ASSERT_EQ(n, Next::kIdle);
      if (finished) return;
      std::this_thread::yield();
    }
  });
  for (auto& p : publishers) p.join();
  done.store(true);
  drainer.join();
  ASSERT_EQ(seen.size(), 2u * kThreads * kTargets);
  std::map<std::string, int> state;  // url -> 1 added, 2 removed
  for (const std::string& s : seen) {
    const bool added = s.rfind("ADDED", 0) == 0;
    const std::string url = s.substr(s.find(" a ") + 3);
    int& st = state[url];
    EXPECT_EQ(st, added ? 0 : 1) << s;
    st = added ? 1 : 2;
  }
  EXPECT_EQ(state.size(), static_cast<size_t>(kThreads * kTargets));
}

}  // namespace
}  // namespace promscrape::scrape
