#include "plugin/scrape/scrape_pool.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace promscrape::scrape {

ScrapePool::ScrapePool(std::shared_ptr<const JobSettings> job,
                       LoopServices services)
    : services_(std::make_shared<const LoopServices>(services)),
      job_(std::move(job)) {}

ScrapePool::~ScrapePool() { Stop(); }

std::vector<absl::Status> ScrapePool::Sync(
    const std::vector<TargetGroup>& groups, bool stale_vanished) {
  MutexLock sync_lock(&sync_mu_);
  std::shared_ptr<const JobSettings> job;
  {
    MutexLock lock(&mu_);
    if (stopped_) return {};
    job = job_;
  }
  std::vector<absl::Status> failures;
  std::vector<Target> active;
  std::vector<DroppedTarget> dropped;
  int64_t dropped_total = 0;
  absl::flat_hash_set<uint64_t> seen;
  const uint64_t keep_dropped = job->config.limits.keep_dropped_targets;
  for (const TargetGroup& group : groups) {
    GroupTargets built = TargetsFromGroup(group, job->config);
    for (absl::Status& f : built.failures) failures.push_back(std::move(f));
    for (Target& t : built.targets) {
      if (t.dropped()) {
        ++dropped_total;
        if (keep_dropped == 0 || dropped.size() < keep_dropped) {
          dropped.push_back({t.discovered_labels()});
        }
        continue;
      }
      if (seen.insert(t.Hash()).second) active.push_back(std::move(t));
    }
  }

  std::vector<std::pair<uint64_t, std::unique_ptr<ScrapeLoop>>> removed;
  std::vector<ScrapeLoop*> started;
  {
    MutexLock lock(&mu_);
    absl::flat_hash_set<uint64_t> keep;
    for (Target& t : active) {
      uint64_t hash = t.Hash();
      keep.insert(hash);
      auto it = loops_.find(hash);
      if (it != loops_.end()) {
        it->second->UpdateDiscoveredLabels(t.discovered_labels());
        continue;
      }
      auto pending = pending_stale_.find(hash);
      if (pending != pending_stale_.end()) {
        pending->second->store(true);
        pending_stale_.erase(pending);
      }
      auto loop = std::make_unique<ScrapeLoop>(std::move(t), job, services_);
      if (failure_log_ != nullptr) loop->SetFailureLog(failure_log_);
      started.push_back(loop.get());
      loops_.emplace(hash, std::move(loop));
    }
    for (auto it = loops_.begin(); it != loops_.end();) {
      if (keep.contains(it->first)) {
        ++it;
        continue;
      }
      removed.emplace_back(it->first, std::move(it->second));
      loops_.erase(it++);
    }
    const uint64_t limit = job->config.limits.target_limit;
    absl::Status forced;
    if (limit > 0 && loops_.size() > limit) {
      forced = absl::FailedPreconditionError(
          absl::StrCat("target_limit exceeded (number of targets: ",
                       loops_.size(), ", limit: ", limit, ")"));
    }
    error_ = forced.ok() ? "" : std::string(forced.message());
    for (auto& [hash, loop] : loops_) loop->SetForcedError(forced);
    dropped_ = std::move(dropped);
    dropped_total_ = dropped_total;
  }
  for (ScrapeLoop* loop : started) {
    // Before Start: the target's first health change follows its ADDED.
    Announce(TargetEvent::Kind::kAdded, *loop);
    loop->Start();
  }
  for (auto& [hash, loop] : removed) loop->RequestStop();
  for (auto& [hash, loop] : removed) {
    loop->Stop();
    Announce(TargetEvent::Kind::kRemoved, *loop);
    if (stale_vanished) ScheduleEndOfRunStaleness(hash, *loop);
  }
  return failures;
}

void ScrapePool::SetFailureLog(std::shared_ptr<const ScrapeFailureLog> log) {
  MutexLock lock(&mu_);
  failure_log_ = log;
  for (auto& [hash, loop] : loops_) loop->SetFailureLog(log);
}

void ScrapePool::ScheduleEndOfRunStaleness(uint64_t hash, ScrapeLoop& loop) {
  if (!loop.has_scraped()) return;
  // markers carry the time of the next tick and are written one more
  // tick (plus a tenth) later, so a target that comes back in between
  // keeps its series without a gap.
  const absl::Time now = services_->clock->Now();
  const absl::Duration interval = loop.interval();
  const absl::Time stale_time = loop.NextTickAfter(now);
  const absl::Time fire = stale_time + interval + interval / 10;
  auto disabled = std::make_shared<std::atomic<bool>>(false);
  {
    MutexLock lock(&mu_);
    pending_stale_[hash] = disabled;
  }
  std::shared_ptr<ScrapeAppend> state = loop.append_state();
  const int64_t ts = absl::ToUnixMillis(stale_time);
  model::SampleSink* sink = services_->sink;
  Executor* executor = services_->executor;
  services_->scheduler->RunAt(fire, [=] {
    executor->Submit([=] {
      if (disabled->load()) return;
      std::unique_ptr<model::Appender> app = sink->NewAppender();
      state->AppendStaleMarkersOnStop(ts, *app);
      app->Commit().IgnoreError();
    });
  });
}

void ScrapePool::Reload(std::shared_ptr<const JobSettings> job) {
  MutexLock sync_lock(&sync_mu_);
  MutexLock lock(&mu_);
  if (stopped_) return;
  const bool reuse = CacheReusable(job_->config, job->config);
  job_ = job;
  for (auto& [hash, loop] : loops_) loop->Reconfigure(loop->target(), job, reuse);
}

void ScrapePool::Announce(TargetEvent::Kind kind, const ScrapeLoop& loop) {
  TargetEventHub* events = services_->events;
  if (events == nullptr || !events->has_subscribers()) return;
  TargetEvent event;
  event.kind = kind;
  event.target = loop.State();
  event.time = services_->clock->Now();
  events->Publish(event);
}

void ScrapePool::RequestStop() {
  MutexLock sync_lock(&sync_mu_);
  RequestStopLocked();
}

void ScrapePool::RequestStopLocked() {
  absl::flat_hash_map<uint64_t, std::unique_ptr<ScrapeLoop>> loops;
  {
    MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    loops = std::move(loops_);
    loops_.clear();
    for (auto& [hash, flag] : pending_stale_) flag->store(true);
    pending_stale_.clear();
  }
  // Cancel everything (and begin every shutdown scrape) first, then wait:
  // stopping ten thousand loops costs one round of cancellations and
  // concurrent final scrapes, not ten thousand sequential waits.
  stopping_loops_.reserve(stopping_loops_.size() + loops.size());
  for (auto& [hash, loop] : loops) {
    loop->RequestStop();
    stopping_loops_.push_back(std::move(loop));
  }
}

void ScrapePool::Stop() {
  MutexLock sync_lock(&sync_mu_);
  RequestStopLocked();
  for (auto& loop : stopping_loops_) {
    loop->Stop();
    Announce(TargetEvent::Kind::kRemoved, *loop);
  }
  stopping_loops_.clear();
}

PoolInfo ScrapePool::Info() const {
  MutexLock lock(&mu_);
  PoolInfo info;
  info.job = job_->config.job_name;
  info.scrape_interval = job_->config.scrape_interval;
  info.scrape_timeout = job_->config.scrape_timeout;
  info.active_targets = static_cast<int64_t>(loops_.size());
  info.dropped_targets = dropped_total_;
  info.target_limit = static_cast<int64_t>(job_->config.limits.target_limit);
  info.error = error_;
  for (const auto& [hash, loop] : loops_) {
    TargetHealth h = loop->State().health;
    if (h == TargetHealth::kUp) ++info.healthy_targets;
    if (h == TargetHealth::kDown) ++info.unhealthy_targets;
  }
  return info;
}

absl::Duration ScrapePool::scrape_interval() const {
  MutexLock lock(&mu_);
  return job_->config.scrape_interval;
}

int64_t ScrapePool::UnscrapedTargets() const {
  MutexLock lock(&mu_);
  int64_t n = 0;
  for (const auto& [hash, loop] : loops_) n += loop->has_scraped() ? 0 : 1;
  return n;
}

std::vector<TargetState> ScrapePool::ActiveTargets() const {
  MutexLock lock(&mu_);
  std::vector<TargetState> out;
  out.reserve(loops_.size());
  for (const auto& [hash, loop] : loops_) out.push_back(loop->State());
  std::sort(out.begin(), out.end(), [](const TargetState& a, const TargetState& b) {
    return a.url < b.url;
  });
  return out;
}

std::vector<DroppedTarget> ScrapePool::DroppedTargets() const {
  MutexLock lock(&mu_);
  return dropped_;
}

int64_t ScrapePool::dropped_total() const {
  MutexLock lock(&mu_);
  return dropped_total_;
}

std::vector<std::pair<TargetState, std::vector<MetricMetadata>>>
ScrapePool::Metadata() const {
  MutexLock lock(&mu_);
  std::vector<std::pair<TargetState, std::vector<MetricMetadata>>> out;
  for (const auto& [hash, loop] : loops_) {
    out.emplace_back(loop->State(), loop->Metadata());
  }
  return out;
}

void ScrapePool::ForEachMetadata(
    absl::FunctionRef<void(const std::string&, const MetaEntry&)> f) const {
  MutexLock lock(&mu_);
  for (const auto& [hash, loop] : loops_) loop->ForEachMetadata(f);
}

}  // namespace promscrape::scrape
