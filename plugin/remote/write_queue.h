#ifndef PLUGIN_REMOTE_WRITE_QUEUE_H_
#define PLUGIN_REMOTE_WRITE_QUEUE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
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
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/rpc_method.h"
#include "grpcpp/support/slice.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/metrics/registry.h"
#include "plugin/model/labels.h"
#include "plugin/remote/queue_metrics.h"
#include "plugin/remote/record_kinds.h"
#include "plugin/remote/v2_transcoder.h"
#include "plugin/remote/wal/reader.h"
#include "plugin/remote/wal/wal.h"
#include "proto/remote/v1/remote.pb.h"

namespace promscrape::remote {
namespace internal {

// Spare buffers for transcoded requests: a buffer belongs to gRPC's slice
// while it is written and comes back here when gRPC lets go of it (possibly
// after the stream, hence shared). Thread-safe.
struct SendBuffers {
  Mutex mu;
  std::vector<std::string> free ABSL_GUARDED_BY(mu);
};

}  // namespace internal

// Ships samples to the host's RemoteWrite service over one bidirectional
// gRPC stream, in order: samples are batched into WriteRequests with
// increasing sequence numbers and written with up to `max_in_flight`
// requests awaiting their ack (a window, so the host's storage latency does
// not cap throughput). Each request is kept until the host acks it. A broken
// stream, an ack that does not come within `ack_timeout`, or an ack with a
// retryable code (IsRetryable) reopens the stream after a jittered
// exponential backoff (reset once a stream gets an ack) and resends every
// unacknowledged request from the oldest; a request the host rejects for
// good is dropped and counted by the ack's code. A batch is kept as the request's protobuf wire
// bytes (see wire_encoder.h), appended to as samples arrive and sent as is,
// so nothing builds or serializes messages on the way.
//
// Protocol (`protocol`): the stream is RemoteWrite/WriteV2 (requests in
// remote write 2.0's shape, WriteRequestV2) or RemoteWrite/Write (1.0's,
// WriteRequest). Batches and the log always hold 1.0 records; on a WriteV2
// stream each request is transcoded as it is written (v2_transcoder.h), so
// sequences, the window, acks and resends are the same for both. kAuto
// opens WriteV2 and, when the host answers UNIMPLEMENTED, uses Write for
// the rest of the queue's life (logged once; not a failed stream).
//
// With a write-ahead log (`wal_dir`), every AppendRecords call (one scrape's
// records) is first written to the log (wal/wal.h: written to the file
// before the call returns; fsynced every `fsync_interval` by a sync thread of
// the queue, so no append waits for the disk's flush), and the in-memory
// batches are only a cache in front of it: when `capacity` samples are
// waiting, later records stay in the log alone and the sender reads them
// back from there, in order, once the memory queue drains. Acked requests
// acknowledge their records in the log. On start, whatever the log holds
// unacknowledged is sent first. Without a log, memory is bounded by
// `capacity` samples and samples beyond it are dropped and counted.
//
// Thread-safe: Append may be called from any thread. One internal thread
// sends (with an ack reader while a stream is open), one syncs the log; Stop
// joins them.
class WriteQueue {
 public:
  // Which RemoteWrite rpc the stream uses.
  enum class Protocol {
    kAuto,  // WriteV2, falling back to Write if the host lacks it.
    kV1,    // Write only.
    kV2,    // WriteV2 only: UNIMPLEMENTED is a failed stream, retried.
  };

  struct Options {
    std::string target;
    Protocol protocol = Protocol::kAuto;
    int64_t capacity = 100000;
    int64_t max_samples_per_send = 2000;
    absl::Duration batch_send_deadline = absl::Seconds(1);
    absl::Duration min_backoff = absl::Milliseconds(30);
    absl::Duration max_backoff = absl::Seconds(5);
    // Requests written and not yet acknowledged, per stream.
    int max_in_flight = 8;
    // An unacknowledged request older than this breaks the stream (the host
    // or the network hangs); everything unacked is resent on a new one.
    absl::Duration ack_timeout = absl::Seconds(30);
    // The write-ahead log's directory; empty keeps the queue in memory only
    // (lossy when the host is away longer than `capacity` lasts, and on a
    // crash).
    std::string wal_dir;
    wal::WriteAheadLog::Options wal_options;
    // Time for the log (ages, fsync intervals); null means the real clock.
    Clock* clock = nullptr;
    // Tests only: runs on the appending thread after a record reached the
    // log and before the queue decides whether memory gets it too, to widen
    // that window against the sender's reader. Empty in production.
    std::function<void()> after_wal_append_for_test;
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
  absl::Status Append(absl::Span<const model::LabelView> labels, int64_t timestamp_ms,
                      double value) ABSL_LOCKS_EXCLUDED(mu_);

  // Queues one native histogram sample (`histogram.timestamp` is set from
  // `timestamp_ms`). Errors as Append.
  absl::Status AppendHistogram(absl::Span<const model::LabelView> labels,
                               int64_t timestamp_ms,
                               const v1::Histogram& histogram)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Queues `samples` samples already encoded as WriteRequest `timeseries`
  // records (wire::AppendSampleRecord / AppendHistogramRecord), one sample
  // per record, in order, under one lock. Records are never split across
  // requests. When the queue has room for only some, the leading records are
  // queued and the rest dropped and counted, and kResourceExhausted is
  // returned; after Stop nothing is queued and kCancelled is returned.
  // `*accepted` (if not null) is set to the number of leading records queued.
  // kInvalidArgument (nothing queued) when `records` does not hold `samples`
  // well-formed records.
  absl::Status AppendRecords(absl::string_view records, int64_t samples,
                             int64_t* accepted = nullptr)
      ABSL_LOCKS_EXCLUDED(mu_);
  // As above, for callers that know what kinds of records they encoded
  // (`kinds.total()` records): the queue then counts them by kind without
  // reading them.
  absl::Status AppendRecords(absl::string_view records,
                             const RecordCounts& kinds,
                             int64_t* accepted = nullptr)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Sends what is queued now without waiting for the batch deadline.
  void Flush() ABSL_LOCKS_EXCLUDED(mu_);

  // Stops accepting samples, waits up to `flush_timeout` for every queued
  // sample to be acknowledged, then closes the stream and joins the sender.
  // Returns kDeadlineExceeded naming how many samples were left unsent.
  // Idempotent.
  absl::Status Stop(absl::Duration flush_timeout) ABSL_LOCKS_EXCLUDED(mu_);

  // Samples queued and not yet acknowledged (in memory, plus those only in
  // the log that this process appended).
  int64_t PendingSamples() const ABSL_LOCKS_EXCLUDED(mu_);

  // Records held in memory (sealed, in flight and building): with a log,
  // the cache in front of it: at most about the larger of `capacity` and
  // two windows (`max_in_flight` requests in flight and as many ready, read
  // back from the log), plus one log record.
  int64_t MemorySamples() const ABSL_LOCKS_EXCLUDED(mu_);

  // Age of the oldest record not yet acknowledged; zero when none waits.
  absl::Duration Lag() const ABSL_LOCKS_EXCLUDED(mu_);

  // The random non-zero id every request of this queue carries
  // (WriteRequest.writer_id): with `sequence` it names a request, so the
  // host stores a resent one only once.
  uint64_t writer_id() const { return writer_id_; }

  // Whether the stream speaks WriteV2 now (for kAuto: until the host
  // answered UNIMPLEMENTED). Also the promscrape_remote_write_protocol gauge.
  bool stream_v2() const { return stream_v2_.load(); }

  // The write-ahead log, or null without one (tests, stats).
  const wal::WriteAheadLog* wal() const { return wal_.get(); }

 private:
  // One WriteRequest as wire bytes: `timeseries` records while building;
  // sealing appends the `sequence` field, after which the bytes never change
  // (shared with gRPC's send buffer until it lets go).
  struct Batch {
    std::shared_ptr<const std::string> bytes;  // Set when sealed.
    uint64_t sequence = 0;
    int64_t samples = 0;
    RecordCounts kinds;  // `samples` by kind.
    bool resent = false;  // Written on a stream that broke before its ack.
    bool sent = false;    // Written at least once (counted as sent).
    // With a log: every log record below this is wholly in this batch or
    // an earlier one, so acking the batch acks the log up to here (0: none).
    uint64_t wal_ack_to = 0;
    // When its oldest record was queued (for the queue lag).
    absl::Time oldest;
  };

  using SendBuffers = internal::SendBuffers;

  WriteQueue(Options options, metrics::Registry& registry,
             const Logger& logger);

  void Run();
  // The slice to write for `batch` on the current stream: its bytes as
  // they are, or transcoded to WriteRequestV2 (`may_hold_metadata`: the
  // batch's kinds count metadata records). Sender thread only.
  grpc::Slice RequestSlice(const std::shared_ptr<const std::string>& bytes,
                           uint64_t sequence, bool may_hold_metadata);
  // Sends unacknowledged batches over one stream until it breaks or the
  // queue stops; returns the stream's final status. `*acked` tells whether
  // the host acknowledged anything on it (which resets the backoff).
  absl::Status RunStream(bool* acked);
  // The stream's ack reader (its own thread while the stream lives): pops
  // acknowledged batches and ends the stream on a retryable error ack.
  void ReadAcks(grpc::ClientReaderWriter<grpc::ByteBuffer, v1::WriteAck>*
                    stream,
                bool* acked) ABSL_LOCKS_EXCLUDED(mu_);
  // Handles one ack; returns the error that ends the stream, if any.
  absl::Status HandleAckLocked(const v1::WriteAck& ack)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the building batch onto `unacked_` when it is full, when `force`,
  // or when its deadline has passed.
  void SealLocked(bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits until a sealed batch is waiting to be sent (sealing the building
  // one when its deadline passes) or shutdown.
  void WaitForBatchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // AppendRecords with a log: the records go to the log, then to memory
  // unless the queue has spilled over into the log.
  absl::Status AppendRecordsWal(absl::string_view records,
                                const RecordCounts& kinds, int64_t* accepted)
      ABSL_LOCKS_EXCLUDED(append_mu_, mu_);
  // Queues `records` into the building batch, splitting at
  // max_samples_per_send; every log record below `wal_ack_to` is then in
  // memory. Returns the number queued (all without `capacity` check).
  void QueueInMemoryLocked(absl::string_view records,
                           const RecordCounts& kinds, uint64_t wal_ack_to)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sender thread: reads records that are only in the log into sealed
  // batches (up to a window's worth), and leaves spill mode once the reader
  // has caught up with the log. Takes mu_ itself; I/O runs without it.
  // Returns whether anything changed (batches queued or spill mode left).
  bool RefillFromWal() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status OpenWal(metrics::Registry& registry);
  // The log's options: the caller's, with background_sync (SyncWal).
  wal::WriteAheadLog::Options WalOptions() const;
  // The sync thread: calls the log's MaybeSync until Stop.
  void SyncWal() ABSL_LOCKS_EXCLUDED(sync_mu_);
  // Whether the sender should read from the log now.
  bool NeedsRefillLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Checks that the queue accepts one more sample; counts a drop when full.
  absl::Status CheckRoomLocked(RecordKind kind)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts the building batch's deadline when it is empty.
  void StartBatchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Accounts `added` records just encoded into the building batch and seals
  // it when full.
  void CountAddedLocked(const RecordCounts& added)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  metrics::Registry& registry_;
  const Logger& logger_;
  // NOTE: per instance, not persisted: sequences restart at 1 with a new
  // queue, so a reused id would make the host drop new requests as resends.
  const uint64_t writer_id_;
  std::shared_ptr<grpc::Channel> channel_;
  const grpc::internal::RpcMethod write_method_;
  const grpc::internal::RpcMethod write_v2_method_;
  // Written by the sender thread only.
  std::atomic<bool> stream_v2_;
  V2Transcoder transcoder_;  // Sender thread only.
  std::shared_ptr<SendBuffers> send_buffers_;

  QueueMetrics metrics_;

  std::unique_ptr<wal::WriteAheadLog> wal_;
  // Sender thread only: reads back what only the log holds.
  std::unique_ptr<wal::Reader> reader_;
  uint64_t reader_lost_seen_ = 0;  // Sender thread only.
  metrics::Metric* wal_errors_ = nullptr;
  metrics::Metric* wal_lost_ = nullptr;
  uint64_t wal_collector_ = 0;

  // Serializes appends with a log: log order and memory order agree. Held
  // across the log's I/O, never by the sender.
  Mutex append_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  // The header of the log record being appended (its records follow it in
  // the log without being copied here).
  std::string wal_payload_ ABSL_GUARDED_BY(append_mu_);

  mutable Mutex mu_;
  CondVar cv_;
  // With a log: records from `spill_from_` on are in the log only (the
  // memory queue was full, or they were there at start), until the sender's
  // reader reaches `wal_end_`, one past the last record appended.
  bool spilled_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t spill_from_ ABSL_GUARDED_BY(mu_) = 0;
  bool reseek_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t wal_end_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t wal_only_samples_ ABSL_GUARDED_BY(mu_) = 0;
  // How far the sender's reader has read the log. An append writes its
  // record before it takes mu_, so the reader can take a record (and catch
  // up, ending the spill) before its appender decides where it goes.
  uint64_t refill_read_to_ ABSL_GUARDED_BY(mu_) = 0;
  // When the building batch's first record, and the oldest record only in
  // the log, were queued.
  absl::Time building_oldest_ ABSL_GUARDED_BY(mu_);
  absl::Time spilled_since_ ABSL_GUARDED_BY(mu_);
  uint64_t lag_collector_ = 0;
  // The log position the building batch's content acknowledges.
  uint64_t building_ack_to_ ABSL_GUARDED_BY(mu_) = 0;
  // The building batch's records and sample count.
  std::string building_ ABSL_GUARDED_BY(mu_);
  int64_t building_samples_ ABSL_GUARDED_BY(mu_) = 0;
  RecordCounts building_kinds_ ABSL_GUARDED_BY(mu_);
  // Size of the last sealed batch, to reserve the next one at once.
  size_t last_batch_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time building_since_ ABSL_GUARDED_BY(mu_);
  // Sealed batches in sequence order; the front is the oldest unacked.
  std::deque<Batch> unacked_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t pending_samples_ ABSL_GUARDED_BY(mu_) = 0;
  bool accepting_ ABSL_GUARDED_BY(mu_) = true;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_context_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Leading batches of `unacked_` written on the active stream, and when
  // each was written (parallel deque; the front is the oldest).
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<absl::Time> sent_at_ ABSL_GUARDED_BY(mu_);
  // Why the active stream must end (set by the ack reader or the timeout).
  absl::Status stream_error_ ABSL_GUARDED_BY(mu_);
  // The ack reader saw the end of the stream (the host's status is in).
  bool stream_closed_by_host_ ABSL_GUARDED_BY(mu_) = false;

  std::thread sender_;

  // With a log: its fsyncs and checkpoints, off the appending threads.
  Mutex sync_mu_;
  CondVar sync_cv_;
  bool sync_stop_ ABSL_GUARDED_BY(sync_mu_) = false;
  std::thread syncer_;
};

}  // namespace promscrape::remote

#endif  // PLUGIN_REMOTE_WRITE_QUEUE_H_
