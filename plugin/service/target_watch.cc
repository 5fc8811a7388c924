#include "plugin/service/target_watch.h"

#include <set>

#include "absl/time/clock.h"
#include "plugin/common/thread_name.h"
#include "plugin/service/proto_convert.h"

namespace promscrape::service {

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

}  // namespace promscrape::service
