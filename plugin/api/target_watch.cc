#include "plugin/api/target_watch.h"
#include "plugin/common/thread_name.h"

#include <set>

#include "absl/time/clock.h"

namespace promscrape::api {
void ToProtoTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t ns = absl::ToUnixNanos(t);
  out->set_seconds(ns / 1000000000);
  out->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

void ToProtoDuration(absl::Duration d, google::protobuf::Duration* out) {
  const int64_t ns = absl::ToInt64Nanoseconds(d);
  out->set_seconds(ns / 1000000000);
  out->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

void ToProtoTarget(const scrape::TargetState& s, v1::Target* out) {
  out->set_job(s.job);
  out->set_scrape_url(s.url);
  for (const labels::Label& l : s.labels) (*out->mutable_labels())[l.name] = l.value;
  for (const labels::Label& l : s.discovered_labels) {
    (*out->mutable_discovered_labels())[l.name] = l.value;
  }
  switch (s.health) {
    case scrape::TargetHealth::kUp:
      out->set_health(v1::HEALTH_UP);
      break;
    case scrape::TargetHealth::kDown:
      out->set_health(v1::HEALTH_DOWN);
      break;
    default:
      out->set_health(v1::HEALTH_UNKNOWN);
  }
  out->set_last_error(s.last_error);
  if (s.last_scrape != absl::InfinitePast() && s.last_scrape != absl::Time()) {
    ToProtoTimestamp(s.last_scrape, out->mutable_last_scrape());
  }
  ToProtoDuration(s.last_duration, out->mutable_last_scrape_duration());
  ToProtoDuration(s.interval, out->mutable_scrape_interval());
  ToProtoDuration(s.timeout, out->mutable_scrape_timeout());
  out->set_last_samples(s.last_samples);
}

TargetWatch::TargetWatch(const scrape::Manager& manager, std::string job,
                         std::function<void(const v1::TargetEvent&)> on_event,
                         absl::Duration period)
    : manager_(manager),
      job_(std::move(job)),
      on_event_(std::move(on_event)),
      period_(period) {
  thread_ = std::thread([this] {
    SetCurrentThreadName("ps-target-watch");
    Run();
  });
}

TargetWatch::~TargetWatch() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  thread_.join();
}

void TargetWatch::Run() {
  while (true) {
    Poll();
    MutexLock lock(&mu_);
    if (stopping_) return;
    cv_.WaitWithTimeout(&mu_, period_);
    if (stopping_) return;
  }
}

void TargetWatch::Poll() {
  std::set<std::string> now_seen;
  const absl::Time now = absl::Now();
  for (const auto& pool : manager_.AllPools()) {
    for (const scrape::TargetState& s : pool->ActiveTargets()) {
      if (!job_.empty() && s.job != job_) continue;
      const std::string key = s.job + "\n" + s.url;
      now_seen.insert(key);
      auto it = seen_.find(key);
      v1::TargetEvent event;
      if (it == seen_.end()) {
        event.set_kind(v1::TargetEvent::ADDED);
      } else if (it->second != s.health) {
        event.set_kind(v1::TargetEvent::HEALTH_CHANGED);
      } else {
        continue;
      }
      seen_[key] = s.health;
      ToProtoTarget(s, event.mutable_target());
      ToProtoTimestamp(now, event.mutable_time());
      on_event_(event);
    }
  }
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (now_seen.contains(it->first)) {
      ++it;
      continue;
    }
    v1::TargetEvent event;
    event.set_kind(v1::TargetEvent::REMOVED);
    size_t nl = it->first.find('\n');
    event.mutable_target()->set_job(it->first.substr(0, nl));
    event.mutable_target()->set_scrape_url(it->first.substr(nl + 1));
    ToProtoTimestamp(now, event.mutable_time());
    on_event_(event);
    it = seen_.erase(it);
  }
}

}  // namespace promscrape::api
