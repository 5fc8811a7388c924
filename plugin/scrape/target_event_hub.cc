#include "plugin/scrape/target_event_hub.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace promscrape::scrape {
namespace {

std::string KeyOf(const TargetState& t) {
  return absl::StrCat(t.job, "\n", t.url);
}

}  // namespace

TargetEventHub::Subscription::Next TargetEventHub::Subscription::TakeOrArm(
    TargetEvent* event) {
  MutexLock lock(&mu_);
  if (closed_) return Next::kClosed;
  if (overflowed_) return Next::kOverflowed;
  if (queue_.empty()) {
    armed_ = true;
    return Next::kIdle;
  }
  *event = std::move(queue_.front());
  queue_.pop_front();
  return Next::kEvent;
}

bool TargetEventHub::Subscription::Offer(const TargetEvent& event) {
  if (!job_.empty() && event.target.job != job_) return false;
  MutexLock lock(&mu_);
  if (closed_ || overflowed_) return false;
  // The snapshot may already show what a racing publisher is about to
  // announce (it reads the engine's state, which changes before Publish):
  // keep the subscriber's view a consistent ADDED, changes, REMOVED.
  std::string key = KeyOf(event.target);
  auto it = known_.find(key);
  switch (event.kind) {
    case TargetEvent::Kind::kAdded:
      if (it != known_.end()) return false;
      known_.emplace(std::move(key), event.target.health);
      break;
    case TargetEvent::Kind::kHealthChanged:
      if (it == known_.end() || it->second == event.target.health) {
        return false;
      }
      it->second = event.target.health;
      break;
    case TargetEvent::Kind::kRemoved:
      if (it == known_.end()) return false;
      known_.erase(it);
      break;
  }
  if (queue_.size() >= capacity_) {
    overflowed_ = true;
    queue_.clear();
    known_.clear();
  } else {
    queue_.push_back(event);
  }
  if (!armed_) return false;
  armed_ = false;
  return true;
}

std::shared_ptr<TargetEventHub::Subscription> TargetEventHub::Subscribe(
    std::string job, size_t capacity, std::function<void()> wake,
    const std::function<std::vector<TargetState>()>& snapshot) {
  MutexLock lock(&mu_);
  std::vector<TargetState> current = snapshot();
  auto sub = std::make_shared<Subscription>(
      std::move(job), current.size() + std::max<size_t>(capacity, 1),
      std::move(wake));
  for (TargetState& t : current) {
    TargetEvent event;
    event.kind = TargetEvent::Kind::kAdded;
    event.target = std::move(t);
    sub->Offer(event);  // Not armed yet: no wake.
  }
  subs_.push_back(sub);
  subscribers_.fetch_add(1, std::memory_order_relaxed);
  return sub;
}

void TargetEventHub::Unsubscribe(
    const std::shared_ptr<Subscription>& subscription) {
  {
    MutexLock lock(&mu_);
    auto it = std::find(subs_.begin(), subs_.end(), subscription);
    if (it != subs_.end()) {
      subs_.erase(it);
      subscribers_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  MutexLock lock(&subscription->mu_);
  subscription->closed_ = true;
  subscription->queue_.clear();
  subscription->known_.clear();
}

void TargetEventHub::Publish(const TargetEvent& event) {
  if (!has_subscribers()) return;
  std::vector<std::shared_ptr<Subscription>> to_wake;
  {
    // Under mu_ so every subscriber sees one order of events.
    MutexLock lock(&mu_);
    for (const auto& sub : subs_) {
      if (sub->Offer(event)) to_wake.push_back(sub);
    }
  }
  for (const auto& sub : to_wake) sub->wake_();
}

}  // namespace promscrape::scrape
