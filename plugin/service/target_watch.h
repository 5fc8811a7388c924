#ifndef PLUGIN_SERVICE_TARGET_WATCH_H_
#define PLUGIN_SERVICE_TARGET_WATCH_H_

#include <memory>

#include "plugin/scrape/manager.h"
#include "plugin/scrape/target_event_hub.h"
#include "plugin/service/control_backend.h"
#include "proto/scrape/v1/scrape.pb.h"

namespace promscrape::service {

// One WatchTargets subscription over the engine's TargetEventHub: pops the
// engine's events as protos. No thread of its own; destroying it
// unsubscribes.
//
// Thread-safe. `manager` must outlive the watch.
class TargetWatch final : public ControlBackend::Subscription {
 public:
  TargetWatch(scrape::Manager& manager,
              std::shared_ptr<scrape::TargetEventHub::Subscription> sub)
      : manager_(manager), sub_(std::move(sub)) {}
  ~TargetWatch() override { manager_.Unwatch(sub_); }

  Next TakeOrArm(v1::TargetEvent* event) override;

 private:
  scrape::Manager& manager_;
  const std::shared_ptr<scrape::TargetEventHub::Subscription> sub_;
};

}  // namespace promscrape::service

#endif  // PLUGIN_SERVICE_TARGET_WATCH_H_
