#ifndef PLUGIN_SERVICE_TARGET_WATCH_H_
#define PLUGIN_SERVICE_TARGET_WATCH_H_

#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "plugin/common/mutex.h"
#include "plugin/scrape/manager.h"
#include "plugin/service/control_backend.h"
#include "proto/scrape/v1/scrape.pb.h"

namespace promscrape::service {

// One WatchTargets subscription: a thread that compares the manager's
// targets every `period` and reports what changed (first all targets as
// ADDED). Destroying it stops and joins the thread; the callback is not
// called after the destructor returns.
//
// Thread-safe. `manager` must outlive the watch.
class TargetWatch final : public ControlBackend::Subscription {
 public:
  TargetWatch(const scrape::Manager& manager, std::string job,
              std::function<void(const v1::TargetEvent&)> on_event,
              absl::Duration period = absl::Seconds(1));
  ~TargetWatch() override;

 private:
  void Run();
  void Poll();

  const scrape::Manager& manager_;
  const std::string job_;
  const std::function<void(const v1::TargetEvent&)> on_event_;
  const absl::Duration period_;
  // url + job -> health seen last time.
  std::map<std::string, scrape::TargetHealth> seen_;
  Mutex mu_;
  CondVar cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace promscrape::service

#endif  // PLUGIN_SERVICE_TARGET_WATCH_H_
