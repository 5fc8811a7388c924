#ifndef PLUGIN_SCRAPE_SCRAPE_LOOP_H_
#define PLUGIN_SCRAPE_SCRAPE_LOOP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "plugin/common/buffer_pool.h"
#include "plugin/common/clock.h"
#include "plugin/common/executor.h"
#include "plugin/common/mutex.h"
#include "plugin/common/scheduler.h"
#include "plugin/http/request.h"
#include "plugin/metrics/registry.h"
#include "plugin/scrape/failure_log.h"
#include "plugin/scrape/job_settings.h"
#include "plugin/model/sample_sink.h"
#include "plugin/scrape/scrape_append.h"
#include "plugin/scrape/scrape_metrics.h"
#include "plugin/scrape/scraper.h"
#include "plugin/scrape/target.h"
#include "plugin/scrape/target_event_hub.h"

namespace promscrape::scrape {

// The long-lived services a loop uses; all must outlive every loop.
//
// Tests replace `scraper` with testing::FakeScraper, `scheduler` with
// Scheduler::CreateManualForTest and `clock` with a FakeClock, and pass an
// executor that runs tasks inline: every scrape then happens on the test's
// thread when it advances the clock.
struct LoopServices {
  Scraper* scraper = nullptr;  // HttpScraper in production
  Executor* executor = nullptr;
  // Ticks run here unless the scraper offers the transport's own timers
  // (Scraper::TimersFor: the event loop of the target, in production).
  Scheduler* scheduler = nullptr;
  model::SampleSink* sink = nullptr;
  BufferPool* buffers = nullptr;  // response bodies of scrapes in flight
  const Clock* clock = nullptr;
  uint64_t offset_seed = 0;
  // Added to every loop's hashed offset before its first scrape
  // (Prometheus' InitialScrapeOffset).
  absl::Duration initial_scrape_offset;
  // Tests: no hashed offset, only initial_scrape_offset (Prometheus'
  // skipOffsetting).
  bool skip_offsetting_for_test = false;
  // Each loop scrapes once more when it is stopped, even before its first
  // scrape (Prometheus' ScrapeOnShutdown).
  bool scrape_on_shutdown = false;
  metrics::Metric* scrapes = nullptr;         // may be null
  metrics::Metric* missed_scrapes = nullptr;  // may be null
  const ScrapeMetrics* metrics = nullptr;      // may be null
  // Told of health changes (loops) and of added and removed targets
  // (pools); may be null.
  TargetEventHub* events = nullptr;
};

// Scrapes one target every interval, as a scheduled task rather than a
// thread: a timer entry fires at the target's hashed phase, the HTTP
// request runs on the event loop, and the response is parsed and appended
// on an executor thread (ScrapeAppend), followed by the report series.
// Timestamps are the tick times (aligned within Prometheus' 2 ms
// tolerance), so successive samples are exactly one interval apart.
//
// Thread-safe. Scrapes of one loop never overlap: a tick that finds the
// previous scrape still running is skipped and counted as missed.
class ScrapeLoop {
 public:
  ScrapeLoop(Target target, std::shared_ptr<const JobSettings> job,
             std::shared_ptr<const LoopServices> services);
  ScrapeLoop(Target target, std::shared_ptr<const JobSettings> job,
             LoopServices services)
      : ScrapeLoop(std::move(target), std::move(job),
                   std::make_shared<const LoopServices>(services)) {}
  ScrapeLoop(const ScrapeLoop&) = delete;
  ScrapeLoop& operator=(const ScrapeLoop&) = delete;
  ~ScrapeLoop();

  // Schedules the first scrape at the target's offset. Call once.
  void Start() ABSL_LOCKS_EXCLUDED(mu_);

  // Stops scheduling and cancels the request in flight without waiting for
  // it, so a pool can stop thousands of loops at once. With
  // scrape_on_shutdown (and a started loop) it then begins the final scrape
  // (bounded by the scrape timeout), which Stop() waits for. Idempotent.
  void RequestStop() ABSL_LOCKS_EXCLUDED(mu_);

  // Stops scraping and waits until no request or append of this loop is
  // in flight, including the final scrape of scrape_on_shutdown. Idempotent.
  // The series state stays readable (append_state) for end-of-run
  // staleness.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // Uses `job` from the next scrape on. The schedule (phase) is kept when
  // the interval is unchanged; the series cache is kept when `reuse_cache`.
  void Reconfigure(Target target, std::shared_ptr<const JobSettings> job,
                   bool reuse_cache) ABSL_LOCKS_EXCLUDED(mu_);

  // Updates the discovered labels shown for the target (same identity).
  void UpdateDiscoveredLabels(const model::Labels& discovered)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Every scrape fails with `error` without an HTTP request (target_limit);
  // OK clears it.
  void SetForcedError(absl::Status error) ABSL_LOCKS_EXCLUDED(mu_);

  // Where failed scrapes are logged (scrape_failure_log_file); null: not.
  void SetFailureLog(std::shared_ptr<const ScrapeFailureLog> log)
      ABSL_LOCKS_EXCLUDED(mu_);

  TargetState State() const ABSL_LOCKS_EXCLUDED(mu_);
  Target target() const ABSL_LOCKS_EXCLUDED(mu_);
  std::vector<MetricMetadata> Metadata() const ABSL_LOCKS_EXCLUDED(mu_);
  // Visits the metadata cache without copying it (ScrapeAppend::
  // ForEachMetadata).
  void ForEachMetadata(
      absl::FunctionRef<void(const std::string&, const MetaEntry&)> f) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // For end-of-run staleness after Stop: the series state, the time of the
  // first tick after now, and the interval.
  std::shared_ptr<ScrapeAppend> append_state() const ABSL_LOCKS_EXCLUDED(mu_);
  absl::Time NextTickAfter(absl::Time t) const ABSL_LOCKS_EXCLUDED(mu_);
  bool has_scraped() const ABSL_LOCKS_EXCLUDED(mu_);
  absl::Duration interval() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void ScheduleLocked(absl::Time when) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnTick(absl::Time tick) ABSL_LOCKS_EXCLUDED(mu_);
  // Fills `request` for a scrape now, or returns the error that fails it
  // without a request (target_limit, a bad interval label).
  absl::Status PrepareRequestLocked(http::Request* request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts the request (or hands the forced error to Complete on the
  // executor); returns the request id, 0 for a forced error.
  uint64_t Launch(http::Request request, absl::Status forced,
                  absl::Time scrape_time, absl::Time start, bool final_scrape)
      ABSL_LOCKS_EXCLUDED(mu_);
  // If the shutdown scrape is due and nothing is in flight, claims it:
  // marks it in flight, fills `request`/`forced`/`now`, returns true.
  bool ClaimFinalScrapeLocked(http::Request* request, absl::Status* forced,
                              absl::Time* now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Complete(http::Response response, absl::Time scrape_time,
                absl::Time start, bool final_scrape) ABSL_LOCKS_EXCLUDED(mu_);
  void ApplyTargetLocked(Target target, std::shared_ptr<const JobSettings> job,
                         bool reuse_cache) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  TargetState StateLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Shared by every loop of a pool (a copy per loop would be 112 bytes).
  const std::shared_ptr<const LoopServices> services_;

  mutable Mutex mu_;
  CondVar cv_;
  Target target_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const JobSettings> job_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<ScrapeAppend> append_ ABSL_GUARDED_BY(mu_);
  absl::Duration interval_ ABSL_GUARDED_BY(mu_);
  absl::Duration timeout_ ABSL_GUARDED_BY(mu_);
  absl::Status interval_error_ ABSL_GUARDED_BY(mu_);
  absl::Status forced_error_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const ScrapeFailureLog> failure_log_ ABSL_GUARDED_BY(mu_);
  // The tick grid: the next scheduled tick and the alignment base.
  absl::Time next_tick_ ABSL_GUARDED_BY(mu_);
  absl::Time aligned_ ABSL_GUARDED_BY(mu_);
  uint64_t timer_id_ ABSL_GUARDED_BY(mu_) = 0;
  // Where ticks run: fixed for the loop's life (its URL never changes).
  TaskScheduler* timers_ = nullptr;
  uint64_t request_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  // scrape_on_shutdown: the final scrape is wanted (set at stop), begun,
  // and finished.
  bool final_wanted_ ABSL_GUARDED_BY(mu_) = false;
  bool final_started_ ABSL_GUARDED_BY(mu_) = false;
  bool final_done_ ABSL_GUARDED_BY(mu_) = false;
  // The interval changed: the next tick starts a new grid.
  bool regrid_ ABSL_GUARDED_BY(mu_) = false;
  // What State() reports besides the target, the job and the timing:
  // the last scrape's outcome. (Not a whole TargetState: its label and job
  // fields would be empty copies, 100 bytes a target.)
  struct LastScrape {
    TargetHealth health = TargetHealth::kUnknown;
    std::string error;
    absl::Time time = absl::InfinitePast();
    absl::Duration duration;
    int64_t samples = 0;
  };
  LastScrape last_ ABSL_GUARDED_BY(mu_);
  std::string url_ ABSL_GUARDED_BY(mu_);  // target_.Url()
  absl::Time last_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // The start of the last scrape begun (completed or not).
  absl::Time last_tick_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // prometheus_target_interval_length_seconds for interval_; null without
  // services_.metrics.
  metrics::Summary* interval_length_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_SCRAPE_LOOP_H_
