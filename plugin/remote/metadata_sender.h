#ifndef PLUGIN_REMOTE_METADATA_SENDER_H_
#define PLUGIN_REMOTE_METADATA_SENDER_H_

#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/metrics/registry.h"
#include "plugin/model/metadata.h"
#include "plugin/remote/write_queue.h"

namespace promscrape::remote {

// Sends the scraped targets' metric metadata (TYPE, HELP, UNIT) to the host
// every `interval`, as Prometheus' remote write does (its metadata watcher,
// `metadata_config.send_interval`, 1m by default): all families of all
// targets, exact duplicates removed, as `WriteRequest.metadata` records in
// the same ordered queue as the samples.
//
// Thread-safe. One thread, started by Start and joined by Stop. `source`
// is called on that thread; `queue` must outlive the sender.
class MetadataSender {
 public:
  using Source = std::function<std::vector<model::MetricMetadata>()>;

  MetadataSender(absl::Duration interval, Source source, WriteQueue& queue,
                 metrics::Registry& registry, const Logger& logger);
  MetadataSender(const MetadataSender&) = delete;
  MetadataSender& operator=(const MetadataSender&) = delete;
  ~MetadataSender();

  void Start() ABSL_LOCKS_EXCLUDED(mu_);
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);
  // One round now, on the caller's thread (tests).
  void SendOnce();

 private:
  const absl::Duration interval_;
  const Source source_;
  WriteQueue& queue_;
  const Logger& logger_;
  metrics::Metric& sent_;
  std::string records_;  // Reused between rounds (only the sender's thread).
  Mutex mu_;
  CondVar cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace promscrape::remote

#endif  // PLUGIN_REMOTE_METADATA_SENDER_H_
