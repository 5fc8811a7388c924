#include "plugin/remote/metadata_sender.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>

#include "absl/time/clock.h"
#include "plugin/common/thread_name.h"
#include "plugin/remote/record_kinds.h"
#include "plugin/remote/wire_encoder.h"

namespace promscrape::remote {

MetadataSender::MetadataSender(absl::Duration interval, Source source,
                               WriteQueue& queue, metrics::Registry& registry,
                               const Logger& logger)
    : interval_(interval),
      source_(std::move(source)),
      queue_(queue),
      logger_(logger),
      sent_(registry.Counter(
          "promscrape_remote_metadata_queued_total",
          "Metric metadata records handed to the remote-write queue.")) {}

MetadataSender::~MetadataSender() { Stop(); }

void MetadataSender::Start() {
  thread_ = std::thread([this] {
    SetCurrentThreadName("ps-rw-metadata");
    MutexLock lock(&mu_);
    while (true) {
      const absl::Time until = absl::Now() + interval_;
      while (!stopping_) {
        const absl::Duration left = until - absl::Now();
        if (left <= absl::ZeroDuration()) break;
        cv_.WaitWithTimeout(&mu_, left);
      }
      if (stopping_) return;
      mu_.Unlock();
      SendOnce();
      mu_.Lock();
    }
  });
}

void MetadataSender::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void MetadataSender::SendOnce() {
  std::vector<model::MetricMetadata> all = source_();
  auto key = [](const model::MetricMetadata& m) {
    return std::tie(m.metric, m.type, m.help, m.unit);
  };
  std::sort(all.begin(), all.end(),
            [&](const auto& a, const auto& b) { return key(a) < key(b); });
  all.erase(std::unique(all.begin(), all.end(),
                        [&](const auto& a, const auto& b) {
                          return key(a) == key(b);
                        }),
            all.end());
  if (all.empty()) return;
  records_.clear();
  for (const model::MetricMetadata& m : all) {
    wire::AppendMetadataRecord(&records_, m);
  }
  int64_t accepted = 0;
  absl::Status status = queue_.AppendRecords(
      records_,
      RecordCounts::Of(RecordKind::kMetadata, static_cast<int64_t>(all.size())),
      &accepted);
  sent_.Add(static_cast<double>(accepted));
  if (!status.ok()) {
    logger_.Warning("remote write queue refused ", all.size() - accepted,
                    " metadata records: ", status.message());
  }
}

}  // namespace promscrape::remote
