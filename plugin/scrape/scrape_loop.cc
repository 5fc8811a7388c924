#include "plugin/scrape/scrape_loop.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "plugin/http/scrape_headers.h"

namespace promscrape::scrape {
namespace {

// Prometheus' --scrape.timestamp-tolerance default.
constexpr absl::Duration kTimestampTolerance = absl::Milliseconds(2);

// A ScrapeAppend and the job settings its options point into, kept alive
// together (end-of-run staleness may outlive the loop and its config).
struct AppendBundle {
  AppendBundle(std::shared_ptr<const JobSettings> j, AppendOptions options)
      : job(std::move(j)), append(std::move(options)) {}
  std::shared_ptr<const JobSettings> job;
  ScrapeAppend append;
};

AppendOptions MakeAppendOptions(const Target& target, const JobSettings& job) {
  const config::ScrapeConfig& c = job.config;
  AppendOptions o;
  o.target_labels = target.PublicLabels();
  o.honor_labels = c.honor_labels;
  o.honor_timestamps = c.honor_timestamps;
  o.track_timestamps_staleness = c.track_timestamps_staleness;
  o.sample_limit = c.limits.sample_limit;
  o.label_limit = c.limits.label_limit;
  o.label_name_length_limit = c.limits.label_name_length_limit;
  o.label_value_length_limit = c.limits.label_value_length_limit;
  o.native_histogram_bucket_limit = c.native_histogram_bucket_limit;
  o.native_histogram_min_bucket_factor = c.native_histogram_min_bucket_factor;
  o.scrape_classic_histograms = c.always_scrape_classic_histograms;
  o.scrape_native_histograms = c.scrape_native_histograms;
  o.metric_relabel_rules = &c.metric_relabel_rules;
  o.extra_scrape_metrics = c.extra_scrape_metrics;
  o.scrape_timeout = c.scrape_timeout;
  // The target's own timeout (__scrape_timeout__) is what it is scraped
  // with, and what Prometheus reports.
  if (auto it = target.IntervalAndTimeout(); it.ok()) {
    o.scrape_timeout = it->second;
  }
  if (c.compat == config::PrometheusCompat::kV3) {
    // scrape.newScrapeLoop: the target's labels override the job's switches
    // (an unparsable value never gets here: PopulateLabels refuses it).
    o.scrape_native_histograms = target.BoolLabel(
        kScrapeNativeHistogramsLabel, c.scrape_native_histograms);
    o.scrape_classic_histograms =
        target.BoolLabel(kAlwaysScrapeClassicHistogramsLabel,
                         c.always_scrape_classic_histograms);
    o.convert_classic_histograms_to_nhcb =
        target.BoolLabel(kConvertClassicHistogramsToNhcbLabel,
                         c.convert_classic_histograms_to_nhcb);
    o.name_validation = c.metric_name_validation_scheme;
    o.utf8_names = true;
    o.prometheus3_rules = true;
    o.strict_content_type = true;
    o.fallback_protocol = job.fallback_protocol;
  }
  o.start_timestamps = job.start_timestamps;
  return o;
}

std::shared_ptr<ScrapeAppend> NewAppendState(
    const Target& target, std::shared_ptr<const JobSettings> job) {
  AppendOptions options = MakeAppendOptions(target, *job);
  auto bundle = std::make_shared<AppendBundle>(std::move(job),
                                               std::move(options));
  return std::shared_ptr<ScrapeAppend>(bundle, &bundle->append);
}

}  // namespace

ScrapeLoop::ScrapeLoop(Target target, std::shared_ptr<const JobSettings> job,
                       std::shared_ptr<const LoopServices> services)
    : services_(std::move(services)), target_(target) {
  MutexLock lock(&mu_);
  ApplyTargetLocked(std::move(target), std::move(job), /*reuse_cache=*/false);
  if (services_->scraper != nullptr) {
    timers_ = services_->scraper->TimersFor(url_);
  }
  if (timers_ == nullptr) timers_ = services_->scheduler;
}

ScrapeLoop::~ScrapeLoop() { Stop(); }

void ScrapeLoop::ApplyTargetLocked(Target target,
                                   std::shared_ptr<const JobSettings> job,
                                   bool reuse_cache) {
  const config::ScrapeConfig& c = job->config;
  const absl::Duration previous_interval = interval_;
  absl::StatusOr<std::pair<absl::Duration, absl::Duration>> it =
      target.IntervalAndTimeout();
  if (it.ok()) {
    interval_ = it->first;
    timeout_ = it->second;
    interval_error_ = absl::OkStatus();
  } else {
    interval_ = c.scrape_interval;
    timeout_ = c.scrape_timeout;
    interval_error_ = it.status();
  }
  if (!reuse_cache || append_ == nullptr) append_ = NewAppendState(target, job);
  if (services_->metrics != nullptr &&
      (interval_length_ == nullptr || interval_ != previous_interval)) {
    interval_length_ = &services_->metrics->IntervalLength(interval_);
  }
  url_ = target.Url();
  target_ = std::move(target);
  job_ = std::move(job);
}

void ScrapeLoop::Start() {
  MutexLock lock(&mu_);
  if (started_ || stopping_) return;
  started_ = true;
  absl::Time now = services_->clock->Now();
  next_tick_ = now + services_->initial_scrape_offset;
  if (!services_->skip_offsetting_for_test) {
    next_tick_ += target_.Offset(interval_, services_->offset_seed, now);
  }
  aligned_ = next_tick_;
  ScheduleLocked(next_tick_);
}

void ScrapeLoop::ScheduleLocked(absl::Time when) {
  next_tick_ = when;
  timer_id_ = timers_->RunAt(when, [this, when] { OnTick(when); });
}

void ScrapeLoop::OnTick(absl::Time tick) {
  http::Request request;
  absl::Status forced;
  absl::Time scrape_time;
  absl::Time start;
  {
    MutexLock lock(&mu_);
    timer_id_ = 0;
    if (stopping_) return;
    absl::Time now = services_->clock->Now();
    // Keep the grid: the next tick is a whole number of intervals on.
    absl::Time next = tick + interval_;
    if (regrid_) {
      regrid_ = false;
      next = now + target_.Offset(interval_, services_->offset_seed, now);
      aligned_ = next;
    }
    while (next <= now) {
      next += interval_;
      if (services_->missed_scrapes != nullptr) {
        services_->missed_scrapes->Increment();
      }
    }
    ScheduleLocked(next);
    if (in_flight_) {
      // The previous scrape is still being processed.
      if (services_->missed_scrapes != nullptr) {
        services_->missed_scrapes->Increment();
      }
      return;
    }
    // Prometheus' timestamp alignment: within the tolerance of the grid the
    // sample is stamped with the grid time.
    // A tick run a little early (timers share wake-ups) scrapes for its
    // own grid time.
    scrape_time = std::max(now, tick);
    while (scrape_time - aligned_ >= interval_) aligned_ += interval_;
    absl::Duration tolerance = std::min(interval_ / 100, kTimestampTolerance);
    if (scrape_time - aligned_ <= tolerance) scrape_time = aligned_;
    start = now;
    // Prometheus observes the time between scrape starts, from the second
    // scrape on.
    if (interval_length_ != nullptr && last_tick_start_ != absl::InfinitePast()) {
      interval_length_->Observe(absl::ToDoubleSeconds(now - last_tick_start_));
    }
    last_tick_start_ = now;
    in_flight_ = true;
    forced = PrepareRequestLocked(&request);
  }
  uint64_t id = Launch(std::move(request), std::move(forced), scrape_time,
                       start, /*final_scrape=*/false);
  if (id == 0) return;
  MutexLock lock(&mu_);
  request_id_ = id;
}

absl::Status ScrapeLoop::PrepareRequestLocked(http::Request* request) {
  absl::Status forced = !interval_error_.ok() ? interval_error_ : forced_error_;
  if (!forced.ok()) return forced;
  const config::ScrapeConfig& c = job_->config;
  request->url = url_;
  request->headers = http::ScrapeHeaders(job_->accept_header, timeout_,
                                         c.enable_compression);
  request->timeout = timeout_;
  request->body_size_limit = c.limits.body_size_limit;
  request->settings = job_->client;
  request->buffer = services_->buffers->Acquire();
  return absl::OkStatus();
}

uint64_t ScrapeLoop::Launch(http::Request request, absl::Status forced,
                            absl::Time scrape_time, absl::Time start,
                            bool final_scrape) {
  if (!forced.ok()) {
    http::Response response;
    response.status = std::move(forced);
    services_->executor->Submit([this, response = std::move(response),
                                scrape_time, start, final_scrape]() mutable {
      Complete(std::move(response), scrape_time, start, final_scrape);
    });
    return 0;
  }
  return services_->scraper->Start(
      std::move(request),
      [this, scrape_time, start, final_scrape](http::Response response) {
        Complete(std::move(response), scrape_time, start, final_scrape);
      });
}

bool ScrapeLoop::ClaimFinalScrapeLocked(http::Request* request,
                                        absl::Status* forced,
                                        absl::Time* now) {
  if (!final_wanted_ || final_started_ || in_flight_) return false;
  final_started_ = true;
  in_flight_ = true;
  // Prometheus stamps the shutdown scrape with the time it runs, off the
  // grid (scrapeAndReport(last, time.Now())).
  *now = services_->clock->Now();
  *forced = PrepareRequestLocked(request);
  return true;
}

void ScrapeLoop::Complete(http::Response response, absl::Time scrape_time,
                          absl::Time start, bool final_scrape) {
  std::shared_ptr<ScrapeAppend> append;
  std::shared_ptr<const ScrapeFailureLog> failure_log;
  std::string failure_job, failure_target;
  {
    http::Request final_request;
    absl::Status final_forced;
    absl::Time final_time;
    bool run_final = false;
    {
      MutexLock lock(&mu_);
      if (stopping_ && !final_scrape) {
        // A scrape cancelled by the stop: its result is dropped. The
        // shutdown scrape (if wanted) takes its place, without a window in
        // which Stop() could see the loop idle.
        services_->buffers->Release(std::move(response.body));
        in_flight_ = false;
        run_final = ClaimFinalScrapeLocked(&final_request, &final_forced,
                                           &final_time);
        cv_.SignalAll();
      } else {
        append = append_;
        if (!response.status.ok() && failure_log_ != nullptr) [[unlikely]] {
          failure_log = failure_log_;
          failure_job = job_->config.job_name;
          failure_target = target_.Url();
        }
      }
    }
    if (append == nullptr) {
      if (run_final) {
        Launch(std::move(final_request), std::move(final_forced), final_time,
               final_time, /*final_scrape=*/true);
      }
      return;
    }
  }
  const int64_t ts = absl::ToUnixMillis(scrape_time);
  absl::Status scrape_error = response.status;
  std::string_view body;
  if (scrape_error.ok()) body = response.body;
  std::unique_ptr<model::Appender> app = services_->sink->NewAppender();
  AppendResult result =
      append->Append(body, response.content_type, ts, *app);
  const ScrapeMetrics* metrics = services_->metrics;
  if (metrics != nullptr) {
    metrics->RecordAppend(result);
    if (response.body_size_limit_exceeded) {
      metrics->exceeded_body_size_limit_total.Increment();
    }
  }
  if (!result.error.ok()) {
    // drop what the failed append wrote, then mark every series
    // of the last good scrape stale on a fresh appender.
    app->Rollback();
    app = services_->sink->NewAppender();
    AppendResult stale = append->Append("", "", ts, *app);
    if (metrics != nullptr) metrics->RecordAppend(stale);
  }
  absl::Status error = scrape_error.ok() ? result.error : scrape_error;
  // scrape.go scrapeAndReport: only the scrape's own error (not a body that
  // fails to append) goes to the scrape failure log.
  if (failure_log != nullptr) {
    failure_log->Write(services_->clock->Now(), failure_job, failure_target,
                       scrape_error.message());
  }
  result.body_bytes = scrape_error.ok() ? static_cast<int64_t>(body.size())
                      : response.body_size_limit_exceeded ? -1
                                                          : 0;
  absl::Duration duration = services_->clock->Now() - start;
  append->AppendReport(ts, duration, result, error.ok(), *app);
  app->Commit().IgnoreError();  // The sink counts what it loses.
  services_->buffers->Release(std::move(response.body));
  if (services_->scrapes != nullptr) services_->scrapes->Increment();

  http::Request final_request;
  absl::Status final_forced;
  absl::Time final_time;
  TargetEventHub* const events = services_->events;
  std::optional<TargetEvent> health_event;
  bool launch_final = false;
  {
    MutexLock lock(&mu_);
    const TargetHealth health =
        error.ok() ? TargetHealth::kUp : TargetHealth::kDown;
    const bool health_changed = last_.health != health;
    last_.health = health;
    if (error.ok()) {
      last_.error.clear();
    } else {
      last_.error.assign(error.message().data(), error.message().size());
    }
    last_.time = scrape_time;
    last_.duration = duration;
    last_.samples = result.total;
    last_start_ = start;
    // Only a change is announced, and only an event someone reads is built.
    if (health_changed && events != nullptr && events->has_subscribers()) {
      health_event.emplace();
      health_event->kind = TargetEvent::Kind::kHealthChanged;
      health_event->target = StateLocked();
      health_event->time = services_->clock->Now();
    }
    in_flight_ = false;
    if (final_scrape) final_done_ = true;
    cv_.SignalAll();
    // A stop that arrived while this scrape was appending.
    launch_final =
        ClaimFinalScrapeLocked(&final_request, &final_forced, &final_time);
  }
  // NOTE: without launch_final the loop may be destroyed once mu_ is
  // released (Stop saw in_flight_ false): only locals from here on. A
  // REMOVED that overtakes this event is dropped by the subscriber's view.
  if (health_event.has_value()) events->Publish(*health_event);
  if (!launch_final) return;
  Launch(std::move(final_request), std::move(final_forced), final_time,
         final_time, /*final_scrape=*/true);
}

void ScrapeLoop::RequestStop() {
  uint64_t timer = 0;
  uint64_t request = 0;
  {
    MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    final_wanted_ = services_->scrape_on_shutdown && started_;
    timer = timer_id_;
    if (in_flight_) request = request_id_;
  }
  // Outside mu_: Cancel waits for a running OnTick, which takes mu_.
  if (timer != 0) timers_->Cancel(timer);
  if (request != 0) services_->scraper->Cancel(request);
  http::Request final_request;
  absl::Status final_forced;
  absl::Time final_time;
  {
    MutexLock lock(&mu_);
    // With a scrape in flight, its completion starts the final one.
    if (!ClaimFinalScrapeLocked(&final_request, &final_forced, &final_time)) {
      return;
    }
  }
  Launch(std::move(final_request), std::move(final_forced), final_time,
         final_time, /*final_scrape=*/true);
}

void ScrapeLoop::Stop() {
  RequestStop();
  uint64_t timer = 0;
  {
    MutexLock lock(&mu_);
    // OnTick may have scheduled again before it saw stopping_.
    timer = timer_id_;
    timer_id_ = 0;
  }
  if (timer != 0) timers_->Cancel(timer);
  MutexLock lock(&mu_);
  // The final scrape is never cancelled (its own timeout bounds it), and
  // its id is not request_id_.
  while (in_flight_ || (final_wanted_ && !final_done_)) {
    if (cv_.WaitWithTimeout(&mu_, absl::Milliseconds(100)) &&
        !final_started_ && request_id_ != 0) {
      // The request was started after the first Cancel; cancel it again.
      uint64_t id = request_id_;
      mu_.Unlock();
      services_->scraper->Cancel(id);
      mu_.Lock();
    }
  }
}

void ScrapeLoop::Reconfigure(Target target,
                             std::shared_ptr<const JobSettings> job,
                             bool reuse_cache) {
  MutexLock lock(&mu_);
  const absl::Duration old_interval = interval_;
  ApplyTargetLocked(std::move(target), std::move(job), reuse_cache);
  // A new interval means a new grid, phased by the target hash as for a new
  // loop; the tick already scheduled moves onto it (OnTick).
  if (interval_ != old_interval) regrid_ = true;
}

void ScrapeLoop::UpdateDiscoveredLabels(const model::Labels& discovered) {
  MutexLock lock(&mu_);
  target_.set_discovered_labels(discovered);
}

void ScrapeLoop::SetForcedError(absl::Status error) {
  MutexLock lock(&mu_);
  forced_error_ = std::move(error);
}

void ScrapeLoop::SetFailureLog(std::shared_ptr<const ScrapeFailureLog> log) {
  MutexLock lock(&mu_);
  failure_log_ = std::move(log);
}

TargetState ScrapeLoop::State() const {
  MutexLock lock(&mu_);
  TargetState s = StateLocked();
  if (!interval_error_.ok() && s.last_error.empty()) {
    s.last_error = std::string(interval_error_.message());
  }
  return s;
}

TargetState ScrapeLoop::StateLocked() const {
  TargetState s;
  s.job = job_->config.job_name;
  s.url = url_;
  s.labels = target_.PublicLabels();
  s.discovered_labels = target_.discovered_labels();
  s.health = last_.health;
  s.last_error = last_.error;
  s.last_scrape = last_.time;
  s.last_duration = last_.duration;
  s.last_samples = last_.samples;
  s.interval = interval_;
  s.timeout = timeout_;
  return s;
}

Target ScrapeLoop::target() const {
  MutexLock lock(&mu_);
  return target_;
}

std::vector<MetricMetadata> ScrapeLoop::Metadata() const {
  std::shared_ptr<ScrapeAppend> append = append_state();
  return append->Metadata();
}

void ScrapeLoop::ForEachMetadata(
    absl::FunctionRef<void(const std::string&, const MetaEntry&)> f) const {
  std::shared_ptr<ScrapeAppend> append = append_state();
  append->ForEachMetadata(f);
}

std::shared_ptr<ScrapeAppend> ScrapeLoop::append_state() const {
  MutexLock lock(&mu_);
  return append_;
}

absl::Time ScrapeLoop::NextTickAfter(absl::Time t) const {
  MutexLock lock(&mu_);
  absl::Time next = next_tick_;
  if (interval_ <= absl::ZeroDuration()) return t;
  while (next <= t) next += interval_;
  return next;
}

bool ScrapeLoop::has_scraped() const {
  MutexLock lock(&mu_);
  return last_start_ != absl::InfinitePast();
}

absl::Duration ScrapeLoop::interval() const {
  MutexLock lock(&mu_);
  return interval_;
}

}  // namespace promscrape::scrape
