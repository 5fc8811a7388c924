#ifndef PLUGIN_CLUSTER_OWNERSHIP_FILTER_H_
#define PLUGIN_CLUSTER_OWNERSHIP_FILTER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "plugin/cluster/assignment.h"
#include "plugin/common/clock.h"
#include "plugin/common/task_scheduler.h"
#include "plugin/common/mutex.h"
#include "plugin/discovery/target_group.h"
#include "plugin/metrics/registry.h"
#include "plugin/model/labels.h"

namespace promscrape::cluster {

// Sits between discovery and the scrape engine: receives each job's complete
// target set, keeps the targets this member owns under the current member
// set (Assignment, keyed by TargetKeyHash of job, __scheme__, __address__
// and __metrics_path__ as discovered) and hands those on. A new member set
// re-filters every job and hands on the jobs whose owned part changed;
// targets that stay with this member keep their loops (the engine keeps
// unchanged targets running).
//
// With replication_factor > 1 every owned target gets `replica_label` set
// to its replica rank ("0" for the primary owner).
//
// Hand-over without a gap (issue 14). Members share the hashed scrape
// offsets, so a new owner's loop scrapes on the old owner's grid.
// - New owner: a target it gains under a member set S starts at once. Once
//   every target of each job that gained targets under S has had its first
//   scrape attempt (`all_scraped`), or two scrape intervals after the gain
//   at the latest, it publishes readiness for S (`on_ready` with S's id,
//   MemberSetId: a set that comes back later gets a new id, so readiness
//   for the first one never counts; membership writes it into the member
//   key's value, so
//   this costs one etcd put per member per member-set change, never one per
//   target). A new member set withdraws readiness (0) until its own gains
//   are scraped; so do a job's first targets (a member that joined before
//   its config's targets arrived), and there is no readiness before the
//   first Sync.
// - Old owner: a target it scraped and no longer owns under S stays handed
//   on until the target's new owner M is ready for S (SetMembers' `ready`),
//   or a newer member set moves it again (a dead M leaves the set), or at
//   most `handover_timeout` (default: two intervals plus `handover_grace`)
//   when M never says it is ready.
//   Then it stops without end-of-run staleness markers: M writes the same
//   series now, and Prometheus' markers at target removal would mark live
//   series stale in the shared database. The old owner keeps only
//   per-target state for the targets it is handing over.
// - Targets that vanish from discovery stop at once, with staleness; a
//   member that owns nothing any more (not in the member set, lease lost)
//   stops everything at once.
//
// Thread-safe. `Sync` (discovery's thread), `SetMembers` (membership's) and
// the readiness and hand-over timer (the scheduler's) are serialized, and
// so are the downstream, `all_scraped` and `on_ready` calls (made with the
// filter's lock held: they must not call back into the filter).
class OwnershipFilter {
 public:
  struct Options {
    int replication_factor = 1;
    std::string replica_label = "promscrape_replica";
    // Assignment's bounded-load factor (AssignmentOptions::load_bound).
    double load_bound = 1.05;
    // Whether every target the engine runs for `job` has had its first
    // scrape attempt. Null: always.
    std::function<bool(const std::string& job)> all_scraped;
    // The job's scrape interval, which scales the waits above; null or
    // zero: no wait (moved targets stop at once).
    std::function<absl::Duration(const std::string& job)> scrape_interval;
    // Publishes this member's readiness for a member set (its id as
    // SetMembers got it; 0 withdraws it).
    std::function<void(uint64_t member_set)> on_ready;
    // How much longer than two intervals a moved target is kept when its
    // new owner does not become ready (the api uses the lease TTL).
    absl::Duration handover_grace = absl::Seconds(10);
    // When positive, replaces "two intervals plus handover_grace" as the
    // longest a moved target is kept (cluster.handover_timeout).
    absl::Duration handover_timeout = absl::ZeroDuration();
    // Runs the readiness polls and hand-over deadlines; without it moved
    // targets stop at once and readiness is published at once.
    TaskScheduler* scheduler = nullptr;
    const Clock* clock = nullptr;  // default Clock::Real()
  };
  // `stale_vanished`: whether targets missing from `groups` get end-of-run
  // staleness (false when they were handed over).
  using SyncFn =
      std::function<void(const std::string& job,
                         const std::vector<discovery::TargetGroup>& groups,
                         bool stale_vanished)>;

  // Owns nothing until the first SetMembers. `registry`, the scheduler and
  // the clock must outlive it; stop the scheduler before destroying it.
  OwnershipFilter(Options options, SyncFn downstream,
                  metrics::Registry& registry);

  // Discovery's callback: `groups` is `job`'s complete target set.
  void Sync(const std::string& job,
            const std::vector<discovery::TargetGroup>& groups)
      ABSL_LOCKS_EXCLUDED(mu_, stats_mu_);

  // This member's id; set before the first SetMembers.
  void SetSelf(std::string self) ABSL_LOCKS_EXCLUDED(mu_, stats_mu_);

  // The member set in force (empty: own nothing), its id (`member_set`,
  // MemberSetId; 0: MemberSetHash(members), for callers without etcd
  // revisions) and each member's published readiness (the id of the set it
  // is ready for; absent or 0: none). The same members under a new id are a
  // new member set: readiness starts over.
  void SetMembers(std::vector<std::string> members,
                  std::map<std::string, uint64_t> ready = {},
                  uint64_t member_set = 0) ABSL_LOCKS_EXCLUDED(mu_, stats_mu_);

  struct TargetOwner {
    std::string job;
    std::string address;
    std::vector<std::string> owners;  // rank order
  };
  struct Share {
    std::string self;
    std::vector<std::string> members;
    int64_t total_targets = 0;  // over all jobs
    int64_t owned_targets = 0;  // by this member, any rank
    // Targets still scraped here until their new owner is ready.
    int64_t handing_over = 0;
    // The id of the member set in force (0: none), and of the one this
    // member said it is ready for (0: none).
    uint64_t member_set = 0;
    uint64_t ready_for = 0;
    // The members that said they are ready for the member set in force.
    std::set<std::string> ready_members;
    std::vector<TargetOwner> targets;
  };
  // The current assignment of every job's targets.
  Share share() const ABSL_LOCKS_EXCLUDED(stats_mu_);

 private:
  struct Leaving {
    std::string to;  // the new owner
    absl::Time deadline;
  };
  struct Job {
    std::vector<discovery::TargetGroup> groups;
    // TargetKeyHash of each target of `groups`, in order, and their
    // assignment under members_.
    std::vector<uint64_t> hashes;
    Assignment assignment;
    // What was handed on last, and the keys (target key hash mixed with the
    // replica rank) of its targets, owned and leaving.
    std::vector<discovery::TargetGroup> owned;
    std::set<uint64_t> owned_keys;
    // Targets moved away, still handed on until their new owner is ready.
    std::map<uint64_t, Leaving> leaving;
    absl::Time next_deadline = absl::InfiniteFuture();
    // Gained targets' first scrapes are awaited until then (InfinitePast:
    // nothing awaited).
    absl::Time pending_until = absl::InfinitePast();
  };
  absl::Duration IntervalLocked(const std::string& job) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The longest a moved target of `job` is kept for a new owner that does
  // not say it is ready.
  absl::Duration HandOverTimeoutLocked(const std::string& job) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Hashes `state`'s targets and assigns them under members_.
  void AssignLocked(const std::string& job, Job& state)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Decides which targets stay handed on and hands them on if that changed
  // (or `force`). Returns whether this member gained targets.
  bool HandOnLocked(const std::string& job, Job& state, bool force)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The targets of `state.groups` whose replica keys are in `keys`.
  std::vector<discovery::TargetGroup> BuildLocked(
      const Job& state, const std::set<uint64_t>& keys) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends awaited first scrapes, publishes readiness, arms the timer.
  void ReadinessLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ScheduleLocked(absl::Time when) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnTimer(uint64_t seq) ABSL_LOCKS_EXCLUDED(mu_);
  // Publishes share() and the gauges; `targets`: also the per-target
  // owners (O(targets), after an assignment or discovery change).
  void UpdateStatsLocked(bool targets) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_)
      ABSL_LOCKS_EXCLUDED(stats_mu_);

  const Options options_;
  const Clock& clock_;
  const SyncFn downstream_;
  metrics::Metric& owned_gauge_;
  metrics::Metric& total_gauge_;
  metrics::Metric& changes_;
  metrics::Metric& handover_ready_;
  metrics::Metric& handover_timeout_;
  metrics::Metric& handing_over_gauge_;
  metrics::Metric& ready_gauge_;

  Mutex mu_;
  std::string self_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> members_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> ready_ ABSL_GUARDED_BY(mu_);
  uint64_t member_set_ ABSL_GUARDED_BY(mu_) = 0;  // the id of members_
  uint64_t published_ready_ ABSL_GUARDED_BY(mu_) = 0;
  bool synced_ ABSL_GUARDED_BY(mu_) = false;  // any Sync yet
  std::map<std::string, Job> jobs_ ABSL_GUARDED_BY(mu_);
  // job -> owners of each target, for share().
  std::map<std::string, std::vector<TargetOwner>> owners_ ABSL_GUARDED_BY(mu_);
  // The earliest armed timer and its sequence number (older timers only
  // re-evaluate).
  absl::Time timer_at_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  uint64_t timer_seq_ ABSL_GUARDED_BY(mu_) = 0;

  // Taken while holding mu_, never the other way round.
  mutable Mutex stats_mu_ ABSL_ACQUIRED_AFTER(mu_);
  Share share_ ABSL_GUARDED_BY(stats_mu_);
};

}  // namespace promscrape::cluster

#endif  // PLUGIN_CLUSTER_OWNERSHIP_FILTER_H_
