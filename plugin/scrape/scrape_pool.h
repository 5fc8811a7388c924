#ifndef PLUGIN_SCRAPE_SCRAPE_POOL_H_
#define PLUGIN_SCRAPE_SCRAPE_POOL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "plugin/common/mutex.h"
#include "plugin/scrape/failure_log.h"
#include "plugin/scrape/job_settings.h"
#include "plugin/scrape/scrape_loop.h"
#include "plugin/scrape/target.h"

namespace promscrape::scrape {

// A pool's state for the control service.
struct PoolInfo {
  std::string job;
  absl::Duration scrape_interval;
  absl::Duration scrape_timeout;
  int64_t active_targets = 0;
  int64_t dropped_targets = 0;
  int64_t target_limit = 0;
  std::string error;  // target_limit exceeded, else empty
  int64_t healthy_targets = 0;
  int64_t unhealthy_targets = 0;
};

// A target that relabeling dropped, as shown to operators.
struct DroppedTarget {
  model::Labels discovered_labels;
};

// Runs the scrape loops of one job (Prometheus' scrapePool): turns target
// groups into targets, deduplicates them by identity hash, starts loops for
// new targets, stops those that vanished (with end-of-run staleness
// markers), applies target_limit to the whole pool and keeps at most
// keep_dropped_targets dropped targets for display.
//
// Better than Prometheus: Sync and Reload keep unchanged targets' loops
// running, so they never miss a scrape or shift phase.
//
// Thread-safe; Sync, Reload and Stop are serialized.
class ScrapePool {
 public:
  // `services` must outlive the pool.
  ScrapePool(std::shared_ptr<const JobSettings> job, LoopServices services);
  ScrapePool(const ScrapePool&) = delete;
  ScrapePool& operator=(const ScrapePool&) = delete;
  ~ScrapePool();

  // Makes the targets of `groups` the pool's targets. Per-target errors
  // (bad address, bad interval label) are returned; the other targets run.
  // With `stale_vanished` false, targets that vanish stop without
  // end-of-run staleness: another scraper (a cluster member) carries their
  // series on.
  std::vector<absl::Status> Sync(const std::vector<TargetGroup>& groups,
                                 bool stale_vanished = true)
      ABSL_LOCKS_EXCLUDED(sync_mu_, mu_);

  // Switches to `job`; loops keep running and their series caches when only
  // interval, timeout, sample_limit or the HTTP client changed. Targets are
  // relabeled with the new config at the next Sync.
  void Reload(std::shared_ptr<const JobSettings> job)
      ABSL_LOCKS_EXCLUDED(sync_mu_, mu_);

  // The job's scrape failure log (null: none), for its loops now and the
  // loops Sync starts later. The manager sets it at every config apply.
  void SetFailureLog(std::shared_ptr<const ScrapeFailureLog> log)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Stops every loop and waits (for the final scrapes too, with
  // scrape_on_shutdown); no end-of-run staleness (as Prometheus on pool
  // stop). Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(sync_mu_, mu_);
  // The first half of Stop(): cancels every loop and begins the final
  // scrapes without waiting, so the manager can stop all pools at once and
  // then wait for each. Idempotent; Stop() completes it.
  void RequestStop() ABSL_LOCKS_EXCLUDED(sync_mu_, mu_);

  PoolInfo Info() const ABSL_LOCKS_EXCLUDED(mu_);
  // The job's scrape interval (cheap, unlike Info()).
  absl::Duration scrape_interval() const ABSL_LOCKS_EXCLUDED(mu_);
  // Active targets whose first scrape has not completed yet; a cluster member
  // waits for none before it says it is ready to take over (one flag per
  // loop, no copies).
  int64_t UnscrapedTargets() const ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<TargetState> ActiveTargets() const ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<DroppedTarget> DroppedTargets() const ABSL_LOCKS_EXCLUDED(mu_);
  int64_t dropped_total() const ABSL_LOCKS_EXCLUDED(mu_);
  // Metadata per active target.
  std::vector<std::pair<TargetState, std::vector<MetricMetadata>>> Metadata()
      const ABSL_LOCKS_EXCLUDED(mu_);
  // Every active target's metadata entries, visited in place: no per-target
  // copies (at 10,000 targets the copies of Metadata() were tens of MB at
  // once). `f` runs with the pool's and the target's locks held: it must
  // not call back into the pool.
  void ForEachMetadata(
      absl::FunctionRef<void(const std::string&, const MetaEntry&)> f) const
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void ScheduleEndOfRunStaleness(uint64_t hash, ScrapeLoop& loop)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Publishes `kind` for `loop`'s target to services_.events (if anyone
  // watches). Called with sync_mu_ held and mu_ not held.
  void Announce(TargetEvent::Kind kind, const ScrapeLoop& loop)
      ABSL_LOCKS_EXCLUDED(mu_);
  void RequestStopLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Shared with the pool's loops.
  const std::shared_ptr<const LoopServices> services_;
  // Serializes Sync/Reload/Stop; taken before mu_.
  Mutex sync_mu_;
  // Loops being stopped (RequestStop) and not yet waited for.
  std::vector<std::unique_ptr<ScrapeLoop>> stopping_loops_
      ABSL_GUARDED_BY(sync_mu_);
  mutable Mutex mu_ ABSL_ACQUIRED_AFTER(sync_mu_);
  std::shared_ptr<const JobSettings> job_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const ScrapeFailureLog> failure_log_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, std::unique_ptr<ScrapeLoop>> loops_
      ABSL_GUARDED_BY(mu_);
  std::vector<DroppedTarget> dropped_ ABSL_GUARDED_BY(mu_);
  int64_t dropped_total_ ABSL_GUARDED_BY(mu_) = 0;
  std::string error_ ABSL_GUARDED_BY(mu_);
  // End-of-run staleness not yet written, by target hash; set to true when
  // the target comes back (its markers would be out of order).
  absl::flat_hash_map<uint64_t, std::shared_ptr<std::atomic<bool>>>
      pending_stale_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_SCRAPE_POOL_H_
