#ifndef PLUGIN_REMOTE_QUEUE_METRICS_H_
#define PLUGIN_REMOTE_QUEUE_METRICS_H_

#include <array>

#include "absl/status/status.h"
#include "plugin/metrics/registry.h"
#include "plugin/remote/record_kinds.h"

namespace promscrape::remote {

// Why records left the queue without reaching the host's storage.
enum class DropReason : int {
  kQueueFull = 0,  // No log and the memory queue was full.
  kRejected = 1,   // The host refused them for good (a permanent ack code).
  kStopped = 2,    // No log and Stop's flush timeout passed before the ack.
};
inline constexpr int kDropReasons = 3;

// The remote-write queue's own metrics: what was queued, written, resent,
// acknowledged and dropped, by record kind (sample, histogram, exemplar,
// metadata), next to the stream's health. The `promscrape_remote_samples_*`
// families predate the kinds and count records of every kind.
//
// Thread-safe (metrics are atomic); the registry must outlive it.
class QueueMetrics {
 public:
  explicit QueueMetrics(metrics::Registry& registry);

  QueueMetrics(const QueueMetrics&) = delete;
  QueueMetrics& operator=(const QueueMetrics&) = delete;

  void Queued(const RecordCounts& c) { Add(queued_, c); }
  // A request written to a stream for the first time.
  void Sent(const RecordCounts& c) { Add(sent_, c); }
  // A request written again on a new stream after the last one broke.
  void Retried(const RecordCounts& c);
  // A request the host acknowledged as stored.
  void Acked(const RecordCounts& c);
  void Dropped(const RecordCounts& c, DropReason reason);
  // A request the host refused for good with `code`: also a drop.
  void Rejected(const RecordCounts& c, absl::StatusCode code);

  // Which RemoteWrite rpc the stream uses: the gauge
  // promscrape_remote_write_protocol{protocol="v1"|"v2"} is 1 for it and 0
  // for the other.
  void SetProtocol(bool v2);

  metrics::Metric& failed_streams;
  // Request bytes written to the stream (resends included), in the shape of
  // the protocol in use, before gRPC's framing.
  metrics::Metric& sent_bytes;
  metrics::Metric& pending;
  metrics::Metric& in_flight;
  metrics::Metric& ack_timeouts;

 private:
  using PerKind = std::array<metrics::Metric*, kRecordKinds>;
  static void Add(const PerKind& metric, const RecordCounts& c);

  metrics::Registry& registry_;
  metrics::Metric& acked_records_;
  metrics::Metric& dropped_records_;
  metrics::Metric& retried_requests_;
  metrics::Metric& protocol_v1_;
  metrics::Metric& protocol_v2_;
  PerKind queued_{};
  PerKind sent_{};
  PerKind retried_{};
  PerKind acked_{};
  std::array<PerKind, kDropReasons> dropped_{};
};

}  // namespace promscrape::remote

#endif  // PLUGIN_REMOTE_QUEUE_METRICS_H_
