#include "plugin/service/target_watch.h"

#include "plugin/service/proto_convert.h"

namespace promscrape::service {

TargetWatch::Next TargetWatch::TakeOrArm(v1::TargetEvent* event) {
  using HubNext = scrape::TargetEventHub::Subscription::Next;
  scrape::TargetEvent e;
  switch (sub_->TakeOrArm(&e)) {
    case HubNext::kEvent:
      break;
    case HubNext::kOverflowed:
      return Next::kOverflowed;
    case HubNext::kIdle:
    case HubNext::kClosed:
      return Next::kIdle;
  }
  event->Clear();
  switch (e.kind) {
    case scrape::TargetEvent::Kind::kAdded:
      event->set_kind(v1::TargetEvent::ADDED);
      break;
    case scrape::TargetEvent::Kind::kHealthChanged:
      event->set_kind(v1::TargetEvent::HEALTH_CHANGED);
      break;
    case scrape::TargetEvent::Kind::kRemoved:
      event->set_kind(v1::TargetEvent::REMOVED);
      break;
  }
  ToProtoTarget(e.target, event->mutable_target());
  ToProtoTimestamp(e.time, event->mutable_time());
  return Next::kEvent;
}

}  // namespace promscrape::service
