#include "plugin/remote/write_queue.h"

#include <algorithm>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "plugin/common/status.h"
#include "plugin/common/thread_name.h"
#include "plugin/common/varint.h"
#include "plugin/remote/wal_payload.h"
#include "plugin/remote/wire_encoder.h"

namespace promscrape::remote {
namespace {

uint64_t RandomWriterId() {
  std::random_device device;
  std::mt19937_64 rng((uint64_t{device()} << 32) ^ device() ^
                      static_cast<uint64_t>(absl::GetCurrentTimeNanos()));
  uint64_t id = 0;
  while (id == 0) id = rng();  // 0 means "no writer id" on the wire.
  return id;
}

}  // namespace

absl::StatusOr<std::unique_ptr<WriteQueue>> WriteQueue::Create(
    Options options, metrics::Registry& registry, const Logger& logger) {
  if (options.target.empty()) {
    return absl::InvalidArgumentError("remote write target is empty");
  }
  if (options.capacity <= 0 || options.max_samples_per_send <= 0 ||
      options.max_in_flight <= 0) {
    return absl::InvalidArgumentError(
        "capacity, max_samples_per_send and max_in_flight must be positive");
  }
  if (options.ack_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("ack_timeout must be positive");
  }
  auto queue = std::unique_ptr<WriteQueue>(
      new WriteQueue(std::move(options), registry, logger));
  if (!queue->options_.wal_dir.empty()) {
    PROMSCRAPE_RETURN_IF_ERROR(queue->OpenWal(registry));
  }
  queue->lag_collector_ = registry.AddCollector(
      {{"promscrape_remote_queue_lag_seconds",
        "Age of the oldest sample the host has not acknowledged (0 when "
        "none is waiting).",
        metrics::MetricType::kGauge},
       {"promscrape_remote_memory_records",
        "Records the queue holds in memory (with a write-ahead log, the "
        "cache in front of it).",
        metrics::MetricType::kGauge}},
      [q = queue.get()](std::vector<metrics::MetricSample>* out) {
        out->push_back({"promscrape_remote_queue_lag_seconds", {},
                        absl::ToDoubleSeconds(q->Lag())});
        out->push_back({"promscrape_remote_memory_records", {},
                        static_cast<double>(q->MemorySamples())});
      });
  queue->sender_ = std::thread([q = queue.get()] {
    SetCurrentThreadName("ps-remote-write");
    q->Run();
  });
  if (queue->wal_ != nullptr) {
    queue->syncer_ = std::thread([q = queue.get()] {
      SetCurrentThreadName("ps-wal-sync");
      q->SyncWal();
    });
  }
  return queue;
}

WriteQueue::WriteQueue(Options options, metrics::Registry& registry,
                       const Logger& logger)
    : options_(std::move(options)),
      registry_(registry),
      logger_(logger),
      writer_id_(RandomWriterId()),
      channel_(grpc::CreateChannel(options_.target,
                                   grpc::InsecureChannelCredentials())),
      // NOTE: the method the generated RemoteWrite::Stub calls, with a raw
      // ByteBuffer as the request type: batches are already wire bytes.
      write_method_("/promscrape.v1.RemoteWrite/Write",
                    grpc::internal::RpcMethod::BIDI_STREAMING, channel_),
      write_v2_method_("/promscrape.v1.RemoteWrite/WriteV2",
                       grpc::internal::RpcMethod::BIDI_STREAMING, channel_),
      stream_v2_(options_.protocol != Protocol::kV1),
      send_buffers_(std::make_shared<SendBuffers>()),
      metrics_(registry) {
  metrics_.SetProtocol(stream_v2_.load());
}

WriteQueue::~WriteQueue() {
  Stop(absl::ZeroDuration()).IgnoreError();
  if (lag_collector_ != 0) registry_.RemoveCollector(lag_collector_);
  if (wal_collector_ != 0) registry_.RemoveCollector(wal_collector_);
}

absl::Status WriteQueue::OpenWal(metrics::Registry& registry) {
  Clock& clock = options_.clock != nullptr ? *options_.clock : Clock::Real();
  absl::StatusOr<std::unique_ptr<wal::WriteAheadLog>> opened =
      wal::WriteAheadLog::Open(options_.wal_dir, WalOptions(), clock,
                               logger_);
  if (!opened.ok()) {
    return Annotate(opened.status(),
                    absl::StrCat("remote_write.wal_dir \"", options_.wal_dir,
                                 "\""));
  }
  wal_ = *std::move(opened);
  wal_errors_ = &registry.Counter(
      "promscrape_remote_wal_write_errors_total",
      "Appends the write-ahead log failed (disk full, I/O error); their "
      "samples were queued in memory only, or dropped when it was full.");
  wal_lost_ = &registry.Counter(
      "promscrape_remote_wal_records_lost_total",
      "Unacknowledged write-ahead log records the sender could not read back "
      "(deleted by wal_max_bytes / wal_max_age, or corrupt).");
  const uint64_t acked = wal_->acked_position();
  const uint64_t written = wal_->written_position();
  {
    MutexLock lock(&mu_);
    wal_end_ = written;
    building_ack_to_ = written;
    if (written > acked) {
      // What the last run did not get acknowledged goes first.
      spilled_ = true;
      spill_from_ = acked;
      spilled_since_ = absl::Now();
      logger_.Info("remote write: ", written - acked,
                   " unacknowledged write-ahead log records in ",
                   options_.wal_dir, " will be sent first");
    }
  }
  reader_ = std::make_unique<wal::Reader>(*wal_, acked);
  using metrics::FamilyInfo;
  using metrics::MetricType;
  wal_collector_ = registry.AddCollector(
      {
          {"promscrape_remote_wal_bytes", "Size of the write-ahead log's segment files, recycled ones included.", MetricType::kGauge},
          {"promscrape_remote_wal_segments", "Segment files of the write-ahead log.", MetricType::kGauge},
          {"promscrape_remote_wal_unacked_records", "Write-ahead log records not yet acknowledged by the host.", MetricType::kGauge},
          {"promscrape_remote_wal_records_appended_total", "Records written to the write-ahead log.", MetricType::kCounter},
          {"promscrape_remote_wal_records_replayed_total", "Unacknowledged records found in the write-ahead log at start.", MetricType::kCounter},
          {"promscrape_remote_wal_corrupt_records_total", "Write-ahead log records skipped as unreadable (bad checksum, bad frame, bad segment header).", MetricType::kCounter},
          {"promscrape_remote_wal_torn_tails_total", "Torn write-ahead log tails (a crash mid-write) truncated at start.", MetricType::kCounter},
          {"promscrape_remote_wal_dropped_records_total", "Unacknowledged write-ahead log records deleted by a bound, by bound.", MetricType::kCounter},
          {"promscrape_remote_wal_fsyncs_total", "fsync calls on write-ahead log segments.", MetricType::kCounter},
      },
      [wal = wal_.get()](std::vector<metrics::MetricSample>* out) {
        const wal::WriteAheadLog::Stats s = wal->stats();
        auto add = [&](const char* name, double v,
                       std::vector<metrics::LabelPair> labels = {}) {
          out->push_back({name, std::move(labels), v});
        };
        add("promscrape_remote_wal_bytes",
            static_cast<double>(s.bytes_on_disk + s.recycled_bytes));
        add("promscrape_remote_wal_segments", static_cast<double>(s.segments));
        add("promscrape_remote_wal_unacked_records",
            static_cast<double>(s.next_position - std::min(s.next_position, s.acked_position)));
        add("promscrape_remote_wal_records_appended_total", static_cast<double>(s.records_appended));
        add("promscrape_remote_wal_records_replayed_total", static_cast<double>(s.records_replayed));
        add("promscrape_remote_wal_corrupt_records_total", static_cast<double>(s.corrupt_records));
        add("promscrape_remote_wal_torn_tails_total", static_cast<double>(s.torn_tails));
        add("promscrape_remote_wal_dropped_records_total", static_cast<double>(s.dropped_records_max_age), {{"bound", "max_age"}});
        add("promscrape_remote_wal_dropped_records_total", static_cast<double>(s.dropped_records_max_bytes), {{"bound", "max_bytes"}});
        add("promscrape_remote_wal_fsyncs_total", static_cast<double>(s.fsyncs));
      });
  return absl::OkStatus();
}

absl::Status WriteQueue::CheckRoomLocked(RecordKind kind) {
  if (!accepting_) return absl::CancelledError("remote write queue stopped");
  if (pending_samples_ >= options_.capacity) {
    metrics_.Dropped(RecordCounts::Of(kind, 1), DropReason::kQueueFull);
    return absl::ResourceExhaustedError(absl::StrCat(
        "remote write queue full (capacity ", options_.capacity, " samples)"));
  }
  return absl::OkStatus();
}

void WriteQueue::StartBatchLocked() {
  if (building_samples_ != 0) return;
  building_since_ = absl::Now();
  building_oldest_ = building_since_;
  if (building_.capacity() < last_batch_bytes_) {
    building_.reserve(last_batch_bytes_);
  }
  // The sender may be waiting without a deadline; give it one.
  cv_.SignalAll();
}

void WriteQueue::CountAddedLocked(const RecordCounts& added) {
  const int64_t n = added.total();
  building_samples_ += n;
  building_kinds_ += added;
  pending_samples_ += n;
  metrics_.Queued(added);
  metrics_.pending.Set(static_cast<double>(pending_samples_));
  if (building_samples_ >= options_.max_samples_per_send) {
    SealLocked(/*force=*/true);
  }
}

absl::Status WriteQueue::Append(absl::Span<const model::LabelView> labels,
                                int64_t timestamp_ms, double value) {
  if (wal_ != nullptr) {
    std::string record;
    wire::AppendSampleRecord(&record, labels, timestamp_ms, value);
    return AppendRecords(record, RecordCounts::Of(RecordKind::kSample, 1));
  }
  MutexLock lock(&mu_);
  PROMSCRAPE_RETURN_IF_ERROR(CheckRoomLocked(RecordKind::kSample));
  StartBatchLocked();
  wire::AppendSampleRecord(&building_, labels, timestamp_ms, value);
  CountAddedLocked(RecordCounts::Of(RecordKind::kSample, 1));
  return absl::OkStatus();
}

absl::Status WriteQueue::AppendHistogram(absl::Span<const model::LabelView> labels,
                                         int64_t timestamp_ms,
                                         const v1::Histogram& histogram) {
  if (wal_ != nullptr) {
    std::string record;
    wire::AppendHistogramRecord(&record, labels, timestamp_ms, histogram);
    return AppendRecords(record, RecordCounts::Of(RecordKind::kHistogram, 1));
  }
  MutexLock lock(&mu_);
  PROMSCRAPE_RETURN_IF_ERROR(CheckRoomLocked(RecordKind::kHistogram));
  StartBatchLocked();
  wire::AppendHistogramRecord(&building_, labels, timestamp_ms, histogram);
  CountAddedLocked(RecordCounts::Of(RecordKind::kHistogram, 1));
  return absl::OkStatus();
}

absl::Status WriteQueue::AppendRecords(absl::string_view records,
                                       int64_t samples, int64_t* accepted) {
  if (accepted != nullptr) *accepted = 0;
  if (samples <= 0) return absl::OkStatus();
  if (wire::RecordsPrefixSize(records, samples) !=
      static_cast<int64_t>(records.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "records do not hold exactly ", samples, " timeseries records"));
  }
  return AppendRecords(records, ClassifyRecords(records, samples), accepted);
}

absl::Status WriteQueue::AppendRecords(absl::string_view records,
                                       const RecordCounts& kinds,
                                       int64_t* accepted) {
  if (accepted != nullptr) *accepted = 0;
  const int64_t samples = kinds.total();
  if (samples <= 0) return absl::OkStatus();
  if (wire::RecordsPrefixSize(records, samples) !=
      static_cast<int64_t>(records.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "records do not hold exactly ", samples, " timeseries records"));
  }
  if (wal_ != nullptr) return AppendRecordsWal(records, kinds, accepted);
  MutexLock lock(&mu_);
  if (!accepting_) return absl::CancelledError("remote write queue stopped");
  int64_t queued = 0;
  RecordCounts left = kinds;
  while (queued < samples) {
    const int64_t room = options_.capacity - pending_samples_;
    if (room <= 0) break;
    StartBatchLocked();
    const int64_t n =
        std::min({samples - queued, room,
                  options_.max_samples_per_send - building_samples_});
    // Only a chunk that ends before the last record needs its end found.
    const int64_t bytes = queued + n == samples
                              ? static_cast<int64_t>(records.size())
                              : wire::RecordsPrefixSize(records, n);
    const RecordCounts chunk = CountRecordKinds(
        records.substr(0, static_cast<size_t>(bytes)), n, left);
    building_.append(records.data(), static_cast<size_t>(bytes));
    records.remove_prefix(static_cast<size_t>(bytes));
    queued += n;
    left -= chunk;
    CountAddedLocked(chunk);
  }
  if (accepted != nullptr) *accepted = queued;
  if (queued < samples) {
    metrics_.Dropped(left, DropReason::kQueueFull);
    return absl::ResourceExhaustedError(absl::StrCat(
        "remote write queue full (capacity ", options_.capacity, " samples)"));
  }
  return absl::OkStatus();
}

void WriteQueue::QueueInMemoryLocked(absl::string_view records,
                                     const RecordCounts& kinds,
                                     uint64_t wal_ack_to) {
  const int64_t samples = kinds.total();
  RecordCounts left = kinds;
  int64_t queued = 0;
  while (queued < samples) {
    StartBatchLocked();
    const int64_t n = std::min(samples - queued,
                               options_.max_samples_per_send - building_samples_);
    const bool last = queued + n == samples;
    const int64_t bytes = last ? static_cast<int64_t>(records.size())
                               : wire::RecordsPrefixSize(records, n);
    const RecordCounts chunk = CountRecordKinds(
        records.substr(0, static_cast<size_t>(bytes)), n, left);
    building_.append(records.data(), static_cast<size_t>(bytes));
    records.remove_prefix(static_cast<size_t>(bytes));
    queued += n;
    left -= chunk;
    // Only the batch holding a log record's last part acknowledges it.
    if (last) building_ack_to_ = wal_ack_to;
    CountAddedLocked(chunk);
  }
}

absl::Status WriteQueue::AppendRecordsWal(absl::string_view records,
                                          const RecordCounts& kinds,
                                          int64_t* accepted) {
  const int64_t samples = kinds.total();
  MutexLock append_lock(&append_mu_);
  {
    MutexLock lock(&mu_);
    if (!accepting_) return absl::CancelledError("remote write queue stopped");
  }
  // One log record per call: the record counts, then the records.
  wal_payload_.clear();
  AppendWalPayloadHeader(kinds, &wal_payload_);
  // The header and the records as one log record, without copying the
  // records next to the header first.
  const absl::string_view pieces[2] = {wal_payload_, records};
  absl::StatusOr<uint64_t> position = wal_->AppendPieces(pieces);
  if (position.ok()) {
    absl::Status flushed = wal_->Flush();
    if (!flushed.ok()) position = flushed;
  }
  if (options_.after_wal_append_for_test) {
    options_.after_wal_append_for_test();
  }
  MutexLock lock(&mu_);
  if (!position.ok()) {
    wal_errors_->Increment();
    logger_.Error("remote write: write-ahead log append failed (",
                  position.status().ToString(),
                  "); the samples are kept in memory only");
    if (spilled_ || pending_samples_ + samples > options_.capacity) {
      metrics_.Dropped(kinds, DropReason::kQueueFull);
      return absl::ResourceExhaustedError(absl::StrCat(
          "remote write queue full (capacity ", options_.capacity,
          " samples) and the write-ahead log failed: ",
          position.status().message()));
    }
    // Memory alone: the batch acknowledges no more of the log than before.
    QueueInMemoryLocked(records, kinds, building_ack_to_);
    if (accepted != nullptr) *accepted = samples;
    return absl::OkStatus();
  }
  wal_end_ = *position + 1;
  if (!spilled_ && *position < refill_read_to_) {
    // The sender's reader took this record from the log after it was
    // written and before we got here, and caught up on it: it is queued
    // already (queueing it again, or spilling from it, would send it twice).
    metrics_.Queued(kinds);
    if (accepted != nullptr) *accepted = samples;
    return absl::OkStatus();
  }
  if (!spilled_ && pending_samples_ + samples > options_.capacity) {
    // Memory is full: from here on the log is the queue until the sender
    // catches up. What is being built goes first.
    SealLocked(/*force=*/true);
    spilled_ = true;
    spill_from_ = *position;
    reseek_ = true;
    spilled_since_ = absl::Now();
  }
  if (spilled_) {
    wal_only_samples_ += samples;
    metrics_.Queued(kinds);
    metrics_.pending.Set(static_cast<double>(pending_samples_ + wal_only_samples_));
    cv_.SignalAll();
  } else {
    QueueInMemoryLocked(records, kinds, *position + 1);
  }
  if (accepted != nullptr) *accepted = samples;
  return absl::OkStatus();
}

bool WriteQueue::NeedsRefillLocked() const {
  if (!spilled_) return false;
  // Keep about a window of requests ready beyond those in flight.
  return unacked_.size() - std::min(unacked_.size(), in_flight_) <
         static_cast<size_t>(options_.max_in_flight);
}

bool WriteQueue::RefillFromWal() {
  // Read at most what fills the ready requests (those not in flight) up to
  // a window: memory holds at most a window in flight and a window ready.
  int64_t budget = 0;
  {
    MutexLock lock(&mu_);
    if (reseek_) {
      reader_->Seek(spill_from_);
      reseek_ = false;
    }
    const size_t ready = unacked_.size() - std::min(unacked_.size(), in_flight_);
    budget = options_.max_samples_per_send *
             std::max<int64_t>(1, options_.max_in_flight -
                                      static_cast<int64_t>(ready));
  }
  // Sealed batches read from the log, with their sample counts and the log
  // position each acknowledges.
  struct Read {
    std::string bytes;
    int64_t samples = 0;
    RecordCounts kinds;
    uint64_t ack_to = 0;
  };
  std::vector<Read> batches;
  Read current;
  int64_t read_samples = 0;
  wal::Reader::Record record;
  while (read_samples < budget) {
    absl::StatusOr<bool> got = reader_->Next(&record);
    if (!got.ok()) {
      logger_.Error("remote write: reading the write-ahead log: ",
                    got.status().ToString());
      break;
    }
    if (!*got) break;
    absl::string_view bytes;
    RecordCounts kinds;
    if (!ParseWalPayload(record.bytes, &kinds, &bytes)) {
      // The frame's checksum held, so this is not a torn write; a record we
      // cannot split would poison every request it went into.
      logger_.Error("remote write: write-ahead log record ", record.position,
                    " does not hold remote-write records; skipped");
      if (wal_lost_ != nullptr) wal_lost_->Increment();
      current.ack_to = record.position + 1;
      continue;
    }
    int64_t left = kinds.total();
    while (left > 0) {
      const int64_t n =
          std::min(left, options_.max_samples_per_send - current.samples);
      const int64_t size = n == left ? static_cast<int64_t>(bytes.size())
                                     : wire::RecordsPrefixSize(bytes, n);
      const RecordCounts chunk = CountRecordKinds(
          bytes.substr(0, static_cast<size_t>(size)), n, kinds);
      current.bytes.append(bytes.data(), static_cast<size_t>(size));
      bytes.remove_prefix(static_cast<size_t>(size));
      current.samples += n;
      current.kinds += chunk;
      kinds -= chunk;
      left -= n;
      if (left == 0) current.ack_to = record.position + 1;
      if (current.samples >= options_.max_samples_per_send) {
        read_samples += current.samples;
        const uint64_t ack_to = current.ack_to;
        batches.push_back(std::move(current));
        current = Read();
        current.ack_to = ack_to;
      }
    }
  }
  if (current.samples > 0) {
    read_samples += current.samples;
    batches.push_back(std::move(current));
  }
  const uint64_t lost = reader_->lost_records();
  if (lost > reader_lost_seen_) {
    if (wal_lost_ != nullptr) {
      wal_lost_->Add(static_cast<double>(lost - reader_lost_seen_));
    }
    logger_.Warning("remote write: ", lost - reader_lost_seen_,
                    " unacknowledged write-ahead log records were gone when "
                    "read back (bounds or corruption); their samples are lost");
    reader_lost_seen_ = lost;
  }
  MutexLock lock(&mu_);
  refill_read_to_ = std::max(refill_read_to_, reader_->position());
  for (Read& r : batches) {
    Batch batch;
    batch.sequence = next_sequence_++;
    batch.samples = r.samples;
    batch.kinds = r.kinds;
    batch.wal_ack_to = r.ack_to;
    batch.oldest = spilled_since_;
    wire::AppendSequence(&r.bytes, batch.sequence);
    wire::AppendWriterId(&r.bytes, writer_id_);
    batch.bytes = std::make_shared<const std::string>(std::move(r.bytes));
    pending_samples_ += batch.samples;
    wal_only_samples_ = std::max<int64_t>(0, wal_only_samples_ - batch.samples);
    unacked_.push_back(std::move(batch));
  }
  bool progress = !batches.empty();
  if (spilled_ && reader_->position() >= wal_end_ && !reseek_) {
    // Caught up: appends go to memory again (under mu_, so none is missed).
    spilled_ = false;
    wal_only_samples_ = 0;
    progress = true;
  }
  metrics_.pending.Set(static_cast<double>(pending_samples_ + wal_only_samples_));
  cv_.SignalAll();
  return progress;
}

void WriteQueue::Flush() {
  MutexLock lock(&mu_);
  SealLocked(/*force=*/true);
}

void WriteQueue::SealLocked(bool force) {
  if (building_samples_ == 0) return;
  if (!force && absl::Now() - building_since_ < options_.batch_send_deadline) {
    return;
  }
  Batch batch;
  batch.sequence = next_sequence_++;
  batch.samples = building_samples_;
  batch.kinds = building_kinds_;
  batch.wal_ack_to = building_ack_to_;
  batch.oldest = building_oldest_;
  wire::AppendSequence(&building_, batch.sequence);
  wire::AppendWriterId(&building_, writer_id_);
  last_batch_bytes_ = building_.size();
  batch.bytes = std::make_shared<const std::string>(std::move(building_));
  building_ = std::string();
  building_samples_ = 0;
  building_kinds_ = RecordCounts();
  unacked_.push_back(std::move(batch));
  cv_.SignalAll();
}

absl::Duration WriteQueue::Lag() const {
  MutexLock lock(&mu_);
  absl::Time oldest = absl::InfiniteFuture();
  if (!unacked_.empty()) oldest = unacked_.front().oldest;
  if (spilled_) oldest = std::min(oldest, spilled_since_);
  if (building_samples_ > 0) oldest = std::min(oldest, building_oldest_);
  if (oldest == absl::InfiniteFuture()) return absl::ZeroDuration();
  return std::max(absl::ZeroDuration(), absl::Now() - oldest);
}

wal::WriteAheadLog::Options WriteQueue::WalOptions() const {
  wal::WriteAheadLog::Options o = options_.wal_options;
  // SyncWal fsyncs and checkpoints: appends (a scrape's Commit) never wait
  // for the disk's flush.
  o.background_sync = true;
  return o;
}

void WriteQueue::SyncWal() {
  // Often enough for the fsync interval and the checkpoint interval, each
  // a second by default; the log decides what is due.
  const absl::Duration every = std::clamp(
      std::min(options_.wal_options.fsync_interval,
               options_.wal_options.checkpoint_interval) / 4,
      absl::Milliseconds(10), absl::Milliseconds(250));
  std::string last_error;
  MutexLock lock(&sync_mu_);
  while (!sync_stop_) {
    sync_cv_.WaitWithTimeout(&sync_mu_, every);
    if (sync_stop_) break;
    absl::Status synced = wal_->MaybeSync();
    // One line per new error, not one per tick while the disk stays bad.
    if (!synced.ok() && synced.ToString() != last_error) {
      logger_.Warning("remote write: write-ahead log sync: ", synced.ToString());
    }
    last_error = synced.ok() ? "" : synced.ToString();
  }
}

int64_t WriteQueue::MemorySamples() const {
  MutexLock lock(&mu_);
  return pending_samples_;
}

int64_t WriteQueue::PendingSamples() const {
  MutexLock lock(&mu_);
  return pending_samples_ + wal_only_samples_;
}

absl::Status WriteQueue::Stop(absl::Duration flush_timeout) {
  int64_t left = 0;
  RecordCounts left_kinds;
  {
    MutexLock lock(&mu_);
    if (stopped_) return absl::OkStatus();
    accepting_ = false;
    SealLocked(/*force=*/true);
    absl::Time deadline = absl::Now() + flush_timeout;
    while (!unacked_.empty() || spilled_) {
      absl::Duration wait = deadline - absl::Now();
      if (wait <= absl::ZeroDuration()) break;
      cv_.WaitWithTimeout(&mu_, wait);
    }
    left = pending_samples_ + wal_only_samples_;
    if (wal_ == nullptr) {
      // Without a log, what the host has not acknowledged ends here.
      for (const Batch& b : unacked_) left_kinds += b.kinds;
      left_kinds += building_kinds_;
    }
    shutdown_ = true;
    stopped_ = true;
    if (active_context_ != nullptr) active_context_->TryCancel();
    cv_.SignalAll();
  }
  if (sender_.joinable()) sender_.join();
  {
    MutexLock lock(&sync_mu_);
    sync_stop_ = true;
    sync_cv_.SignalAll();
  }
  if (syncer_.joinable()) syncer_.join();
  if (wal_ != nullptr) {
    // Appends that passed the accepting check before Stop finish first.
    MutexLock append_lock(&append_mu_);
    absl::Status closed = wal_->Close();
    if (!closed.ok()) {
      logger_.Error("remote write: closing the write-ahead log: ",
                    closed.ToString());
    }
    if (left > 0) {
      logger_.Info("remote write: ", left,
                   " samples not yet acknowledged stay in the write-ahead log ",
                   options_.wal_dir, " and are sent at the next start");
    }
    return absl::OkStatus();
  }
  if (left > 0) {
    metrics_.Dropped(left_kinds, DropReason::kStopped);
    return absl::DeadlineExceededError(
        absl::StrCat(left, " samples were not acknowledged by the host within ",
                     absl::FormatDuration(flush_timeout)));
  }
  return absl::OkStatus();
}

void WriteQueue::WaitForBatchLocked() {
  while (!shutdown_ && unacked_.empty() && !spilled_) {
    if (building_samples_ == 0) {
      cv_.Wait(&mu_);
      continue;
    }
    absl::Duration wait =
        building_since_ + options_.batch_send_deadline - absl::Now();
    if (wait <= absl::ZeroDuration()) {
      SealLocked(/*force=*/true);
      return;
    }
    cv_.WaitWithTimeout(&mu_, wait);
  }
}

}  // namespace promscrape::remote
