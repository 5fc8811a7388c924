#ifndef PLUGIN_SCRAPE_TARGET_EVENT_HUB_H_
#define PLUGIN_SCRAPE_TARGET_EVENT_HUB_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "plugin/common/mutex.h"
#include "plugin/model/labels.h"

namespace promscrape::scrape {

enum class TargetHealth { kUnknown, kUp, kDown };

// What the control service shows of a target.
struct TargetState {
  std::string job;
  std::string url;
  model::Labels labels;             // Target::PublicLabels()
  model::Labels discovered_labels;  // before relabeling
  TargetHealth health = TargetHealth::kUnknown;
  std::string last_error;
  absl::Time last_scrape;  // InfinitePast() before the first scrape
  absl::Duration last_duration;
  int64_t last_samples = 0;
  absl::Duration interval;
  absl::Duration timeout;
};

// A change of the engine's target set or of a target's health.
struct TargetEvent {
  enum class Kind { kAdded, kHealthChanged, kRemoved };
  Kind kind = Kind::kAdded;
  TargetState target;
  absl::Time time;
};

// Where the engine announces target changes (WatchTargets' source): pools
// publish a target's addition and removal, loops a health change after a
// scrape. Nothing is published per scrape otherwise, and with no subscriber
// Publish returns after one relaxed atomic load.
//
// Each subscriber has its own bounded queue, filled by Publish on the
// engine's threads and drained by the subscriber; Publish never blocks on
// a subscriber. A queue that overflows is cleared and marked overflowed
// (its subscriber must end, not miss events silently).
//
// Lock order: the hub's mutex is taken before the engine's (the snapshot
// at Subscribe reads pools and loops), so the engine publishes with none of
// its own locks held.
//
// Thread-safe. Must outlive its publishers (the manager owns it).
class TargetEventHub {
 public:
  // One subscriber's queue. Thread-safe.
  class Subscription {
   public:
    enum class Next { kEvent, kIdle, kOverflowed, kClosed };

    // Pops the next event into `event` (kEvent). With an empty queue,
    // arms the wake callback for the next event and returns kIdle.
    // kOverflowed once the queue overflowed; kClosed after Unsubscribe.
    Next TakeOrArm(TargetEvent* event) ABSL_LOCKS_EXCLUDED(mu_);

    Subscription(std::string job, size_t capacity, std::function<void()> wake)
        : job_(std::move(job)), capacity_(capacity), wake_(std::move(wake)) {}

   private:
    friend class TargetEventHub;
    // Queues `event` unless it repeats what the subscriber already knows
    // (an ADDED seen in the snapshot, a health it has, a target it never
    // saw). Returns true if the wake callback must run.
    bool Offer(const TargetEvent& event) ABSL_LOCKS_EXCLUDED(mu_);

    const std::string job_;  // empty: every job
    const size_t capacity_;
    const std::function<void()> wake_;
    Mutex mu_;
    std::deque<TargetEvent> queue_ ABSL_GUARDED_BY(mu_);
    // job + "\n" + url -> health the subscriber will have seen.
    std::map<std::string, TargetHealth> known_ ABSL_GUARDED_BY(mu_);
    bool armed_ ABSL_GUARDED_BY(mu_) = false;
    bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
    bool closed_ ABSL_GUARDED_BY(mu_) = false;
  };

  TargetEventHub() = default;
  TargetEventHub(const TargetEventHub&) = delete;
  TargetEventHub& operator=(const TargetEventHub&) = delete;

  // Subscribes to the events of `job` (empty: all jobs). The queue starts
  // with `snapshot()` as ADDED events (called with the hub's mutex held, so
  // no event is lost between snapshot and subscription) and holds at most
  // `capacity` events more. `wake` runs on a publisher's thread, with no
  // lock held, when an event arrives for an armed (idle) subscriber; it
  // must not block. NOTE: a wake already begun may still be running when
  // Unsubscribe returns, so `wake` must keep alive what it touches.
  std::shared_ptr<Subscription> Subscribe(
      std::string job, size_t capacity, std::function<void()> wake,
      const std::function<std::vector<TargetState>()>& snapshot)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Ends `subscription`: no event is queued and no wake starts afterwards.
  // Idempotent.
  void Unsubscribe(const std::shared_ptr<Subscription>& subscription)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Cheap check for publishers: build an event only when this is true.
  bool has_subscribers() const {
    return subscribers_.load(std::memory_order_relaxed) > 0;
  }

  // Delivers `event` to every subscriber of its job, in publication order.
  // Call with no engine lock held.
  void Publish(const TargetEvent& event) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable Mutex mu_;
  std::vector<std::shared_ptr<Subscription>> subs_ ABSL_GUARDED_BY(mu_);
  std::atomic<int> subscribers_{0};
};

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_TARGET_EVENT_HUB_H_
