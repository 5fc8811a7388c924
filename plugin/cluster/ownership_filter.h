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
// Hand-over: a target that moves to another member is kept here for
// `handover_delay(job)` more (the api uses half a scrape interval: the new
// owner, which starts at the same hashed offset, has scraped it by then) and
// then dropped without end-of-run staleness, since the new owner carries its
// series on. Targets that vanish from discovery stop at once, with
// staleness.
//
// Thread-safe. `Sync` (discovery's thread), `SetMembers` (membership's) and
// hand-over timers (the scheduler's) are serialized, and so are the
// downstream calls.
class OwnershipFilter {
 public:
  struct Options {
    int replication_factor = 1;
    std::string replica_label = "promscrape_replica";
    // How long a target that moved away is still scraped here; zero (or no
    // function): it stops at once.
    std::function<absl::Duration(const std::string& job)> handover_delay;
    // Runs the hand-over timers; required with handover_delay.
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

  // The member set in force (empty: own nothing).
  void SetMembers(std::vector<std::string> members)
      ABSL_LOCKS_EXCLUDED(mu_, stats_mu_);

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
    std::vector<TargetOwner> targets;
  };
  // The current assignment of every job's targets.
  Share share() const ABSL_LOCKS_EXCLUDED(stats_mu_);

 private:
  struct Job {
    std::vector<discovery::TargetGroup> groups;
    // What was handed on last, and the keys (target key hash mixed with the
    // replica rank) of its targets.
    std::vector<discovery::TargetGroup> owned;
    std::set<uint64_t> owned_keys;
    // Targets moved away, still handed on until their time.
    std::map<uint64_t, absl::Time> leaving;
    uint64_t timer = 0;
  };
  // Recomputes `job`'s owned part; hands it on if it changed (or `force`).
  void FilterLocked(const std::string& job, Job& state, bool force)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnHandoverTimer(const std::string& job) ABSL_LOCKS_EXCLUDED(mu_);
  void UpdateStatsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_)
      ABSL_LOCKS_EXCLUDED(stats_mu_);

  const Options options_;
  const Clock& clock_;
  const SyncFn downstream_;
  metrics::Metric& owned_gauge_;
  metrics::Metric& total_gauge_;
  metrics::Metric& changes_;

  Mutex mu_;
  std::string self_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> members_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Job> jobs_ ABSL_GUARDED_BY(mu_);
  // job -> owners of each target, for share().
  std::map<std::string, std::vector<TargetOwner>> owners_ ABSL_GUARDED_BY(mu_);

  // Taken while holding mu_, never the other way round.
  mutable Mutex stats_mu_ ABSL_ACQUIRED_AFTER(mu_);
  Share share_ ABSL_GUARDED_BY(stats_mu_);
};

}  // namespace promscrape::cluster

#endif  // PLUGIN_CLUSTER_OWNERSHIP_FILTER_H_
