#ifndef PLUGIN_REMOTE_WRITE_QUEUE_H_
#define PLUGIN_REMOTE_WRITE_QUEUE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "google/protobuf/arena.h"
#include "grpcpp/grpcpp.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/metrics/registry.h"
#include "proto/remote/v1/remote.grpc.pb.h"

namespace promscrape::remote {

// A label of a sample being appended; views must stay valid for the call.
struct LabelView {
  absl::string_view name;
  absl::string_view value;
};

// Ships samples to the host's RemoteWrite service over one bidirectional
// gRPC stream, in order: samples are batched into WriteRequests with
// increasing sequence numbers, each request is kept until the host acks it,
// and a broken stream is reopened with exponential backoff, resending every
// unacknowledged request. Memory is bounded by `capacity` samples; samples
// beyond it are dropped and counted (a durable queue replaces this later).
//
// Thread-safe: Append may be called from any thread. One internal thread
// sends; Stop joins it.
class WriteQueue {
 public:
  struct Options {
    std::string target;
    int64_t capacity = 100000;
    int64_t max_samples_per_send = 2000;
    absl::Duration batch_send_deadline = absl::Seconds(1);
    absl::Duration min_backoff = absl::Milliseconds(30);
    absl::Duration max_backoff = absl::Seconds(5);
  };

  // Starts the sender thread; connects lazily. `registry` and `logger` must
  // outlive the queue.
  static absl::StatusOr<std::unique_ptr<WriteQueue>> Create(
      Options options, metrics::Registry& registry, const Logger& logger);

  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Equivalent to Stop(absl::ZeroDuration()).
  ~WriteQueue();

  // Queues one float sample of the series `labels` (sorted by name,
  // including __name__) at `timestamp_ms`. Returns kResourceExhausted when
  // the queue is full (the sample is dropped and counted) and kCancelled
  // after Stop.
  absl::Status Append(absl::Span<const LabelView> labels, int64_t timestamp_ms,
                      double value) ABSL_LOCKS_EXCLUDED(mu_);

  // Queues one native histogram sample (`histogram.timestamp` is set from
  // `timestamp_ms`). Errors as Append.
  absl::Status AppendHistogram(absl::Span<const LabelView> labels,
                               int64_t timestamp_ms,
                               const v1::Histogram& histogram)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Sends what is queued now without waiting for the batch deadline.
  void Flush() ABSL_LOCKS_EXCLUDED(mu_);

  // Stops accepting samples, waits up to `flush_timeout` for every queued
  // sample to be acknowledged, then closes the stream and joins the sender.
  // Returns kDeadlineExceeded naming how many samples were left unsent.
  // Idempotent.
  absl::Status Stop(absl::Duration flush_timeout) ABSL_LOCKS_EXCLUDED(mu_);

  // Samples queued and not yet acknowledged.
  int64_t PendingSamples() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // One WriteRequest and everything in it on one arena: building a batch
  // of thousands of series costs a few arena blocks instead of a heap
  // allocation per TimeSeries, Label and Sample, and dropping it after the
  // ack frees the blocks at once.
  struct Batch {
    Batch();
    std::unique_ptr<google::protobuf::Arena> arena;
    v1::WriteRequest* request;  // Owned by `arena`.
    int64_t samples = 0;
  };

  WriteQueue(Options options, metrics::Registry& registry,
             const Logger& logger);

  void Run();
  // Sends unacknowledged batches over one stream until it breaks or the
  // queue stops; returns the stream's final status.
  absl::Status RunStream();
  // Moves the building batch onto `unacked_` when it is full, when `force`,
  // or when its deadline has passed.
  void SealLocked(bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits until a sealed batch is waiting to be sent (sealing the building
  // one when its deadline passes) or shutdown.
  void WaitForBatchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Checks capacity and adds a series to the building batch; null when the
  // queue is full or stopped (`status` says which).
  v1::TimeSeries* AddSeriesLocked(absl::Span<const LabelView> labels,
                                  absl::Status* status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CountAddedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const Logger& logger_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::RemoteWrite::Stub> stub_;

  metrics::Metric& sent_samples_;
  metrics::Metric& dropped_samples_;
  metrics::Metric& failed_streams_;
  metrics::Metric& pending_gauge_;

  mutable Mutex mu_;
  CondVar cv_;
  Batch building_ ABSL_GUARDED_BY(mu_);
  absl::Time building_since_ ABSL_GUARDED_BY(mu_);
  // Sealed batches in sequence order; the front is the oldest unacked.
  std::deque<Batch> unacked_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t pending_samples_ ABSL_GUARDED_BY(mu_) = 0;
  bool accepting_ ABSL_GUARDED_BY(mu_) = true;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_context_ ABSL_GUARDED_BY(mu_) = nullptr;

  std::thread sender_;
};

}  // namespace promscrape::remote

#endif  // PLUGIN_REMOTE_WRITE_QUEUE_H_
