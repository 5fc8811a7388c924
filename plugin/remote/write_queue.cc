#include "plugin/remote/write_queue.h"

#include <algorithm>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "grpcpp/support/sync_stream.h"
#include "plugin/common/status.h"
#include "plugin/common/thread_name.h"
#include "plugin/remote/retryable.h"
#include "plugin/remote/wire_encoder.h"

namespace promscrape::remote {
namespace {

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
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
  queue->sender_ = std::thread([q = queue.get()] {
    SetCurrentThreadName("ps-remote-write");
    q->Run();
  });
  return queue;
}

WriteQueue::WriteQueue(Options options, metrics::Registry& registry,
                       const Logger& logger)
    : options_(std::move(options)),
      registry_(registry),
      logger_(logger),
      channel_(grpc::CreateChannel(options_.target,
                                   grpc::InsecureChannelCredentials())),
      // NOTE: the method the generated RemoteWrite::Stub calls, with a raw
      // ByteBuffer as the request type: batches are already wire bytes.
      write_method_("/promscrape.v1.RemoteWrite/Write",
                    grpc::internal::RpcMethod::BIDI_STREAMING, channel_),
      sent_samples_(registry.Counter(
          "promscrape_remote_samples_sent_total",
          "Samples acknowledged by the host's RemoteWrite service.")),
      dropped_samples_(registry.Counter(
          "promscrape_remote_samples_dropped_total",
          "Samples dropped because the remote-write queue was full or the "
          "host rejected them.")),
      failed_streams_(registry.Counter(
          "promscrape_remote_stream_failures_total",
          "RemoteWrite streams that broke and were retried.")),
      pending_gauge_(registry.Gauge(
          "promscrape_remote_samples_pending",
          "Samples queued and not yet acknowledged by the host.")),
      in_flight_gauge_(registry.Gauge(
          "promscrape_remote_requests_in_flight",
          "Requests written to the RemoteWrite stream and not yet "
          "acknowledged.")),
      ack_timeouts_(registry.Counter(
          "promscrape_remote_ack_timeouts_total",
          "Streams ended because an acknowledgement did not come within "
          "ack_timeout.")),
      retried_requests_(registry.Counter(
          "promscrape_remote_requests_retried_total",
          "Requests sent again on a new stream after the previous one "
          "broke before acknowledging them.")) {}

WriteQueue::~WriteQueue() { Stop(absl::ZeroDuration()).IgnoreError(); }

absl::Status WriteQueue::CheckRoomLocked() {
  if (!accepting_) return absl::CancelledError("remote write queue stopped");
  if (pending_samples_ >= options_.capacity) {
    dropped_samples_.Increment();
    return absl::ResourceExhaustedError(absl::StrCat(
        "remote write queue full (capacity ", options_.capacity, " samples)"));
  }
  return absl::OkStatus();
}

void WriteQueue::StartBatchLocked() {
  if (building_samples_ != 0) return;
  building_since_ = absl::Now();
  if (building_.capacity() < last_batch_bytes_) {
    building_.reserve(last_batch_bytes_);
  }
  // The sender may be waiting without a deadline; give it one.
  cv_.SignalAll();
}

void WriteQueue::CountAddedLocked(int64_t n) {
  building_samples_ += n;
  pending_samples_ += n;
  pending_gauge_.Set(static_cast<double>(pending_samples_));
  if (building_samples_ >= options_.max_samples_per_send) {
    SealLocked(/*force=*/true);
  }
}

absl::Status WriteQueue::Append(absl::Span<const model::LabelView> labels,
                                int64_t timestamp_ms, double value) {
  MutexLock lock(&mu_);
  PROMSCRAPE_RETURN_IF_ERROR(CheckRoomLocked());
  StartBatchLocked();
  wire::AppendSampleRecord(&building_, labels, timestamp_ms, value);
  CountAddedLocked(1);
  return absl::OkStatus();
}

absl::Status WriteQueue::AppendHistogram(absl::Span<const model::LabelView> labels,
                                         int64_t timestamp_ms,
                                         const v1::Histogram& histogram) {
  MutexLock lock(&mu_);
  PROMSCRAPE_RETURN_IF_ERROR(CheckRoomLocked());
  StartBatchLocked();
  wire::AppendHistogramRecord(&building_, labels, timestamp_ms, histogram);
  CountAddedLocked(1);
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
  MutexLock lock(&mu_);
  if (!accepting_) return absl::CancelledError("remote write queue stopped");
  int64_t queued = 0;
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
    building_.append(records.data(), static_cast<size_t>(bytes));
    records.remove_prefix(static_cast<size_t>(bytes));
    queued += n;
    CountAddedLocked(n);
  }
  if (accepted != nullptr) *accepted = queued;
  if (queued < samples) {
    dropped_samples_.Add(static_cast<double>(samples - queued));
    return absl::ResourceExhaustedError(absl::StrCat(
        "remote write queue full (capacity ", options_.capacity, " samples)"));
  }
  return absl::OkStatus();
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
  wire::AppendSequence(&building_, batch.sequence);
  last_batch_bytes_ = building_.size();
  batch.bytes = std::make_shared<const std::string>(std::move(building_));
  building_ = std::string();
  building_samples_ = 0;
  unacked_.push_back(std::move(batch));
  cv_.SignalAll();
}

int64_t WriteQueue::PendingSamples() const {
  MutexLock lock(&mu_);
  return pending_samples_;
}

absl::Status WriteQueue::Stop(absl::Duration flush_timeout) {
  int64_t left = 0;
  {
    MutexLock lock(&mu_);
    if (stopped_) return absl::OkStatus();
    accepting_ = false;
    SealLocked(/*force=*/true);
    absl::Time deadline = absl::Now() + flush_timeout;
    while (!unacked_.empty()) {
      absl::Duration wait = deadline - absl::Now();
      if (wait <= absl::ZeroDuration()) break;
      cv_.WaitWithTimeout(&mu_, wait);
    }
    left = pending_samples_;
    shutdown_ = true;
    stopped_ = true;
    if (active_context_ != nullptr) active_context_->TryCancel();
    cv_.SignalAll();
  }
  if (sender_.joinable()) sender_.join();
  if (left > 0) {
    dropped_samples_.Add(static_cast<double>(left));
    return absl::DeadlineExceededError(
        absl::StrCat(left, " samples were not acknowledged by the host within ",
                     absl::FormatDuration(flush_timeout)));
  }
  return absl::OkStatus();
}

void WriteQueue::WaitForBatchLocked() {
  while (!shutdown_ && unacked_.empty()) {
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

void WriteQueue::Run() {
  // Full jitter on the upper half: each wait is uniform in
  // [backoff/2, backoff], so replicas that lost the host together do not
  // reconnect in lockstep.
  std::minstd_rand rng(std::random_device{}());
  absl::Duration backoff = options_.min_backoff;
  while (true) {
    {
      MutexLock lock(&mu_);
      WaitForBatchLocked();
      if (shutdown_) return;
    }
    bool acked = false;
    absl::Status status = RunStream(&acked);
    MutexLock lock(&mu_);
    if (shutdown_) return;
    // A stream that delivered something was healthy: start over from the
    // minimum so one hiccup after hours of success retries quickly.
    if (acked) backoff = options_.min_backoff;
    if (status.ok()) continue;
    failed_streams_.Increment();
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    const absl::Duration wait_for = backoff * jitter(rng);
    logger_.Warning("remote write to ", options_.target, " failed: ",
                    status.ToString(), "; retrying in ",
                    absl::FormatDuration(wait_for));
    absl::Time until = absl::Now() + wait_for;
    while (!shutdown_) {
      absl::Duration wait = until - absl::Now();
      if (wait <= absl::ZeroDuration()) break;
      cv_.WaitWithTimeout(&mu_, wait);
    }
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::Status WriteQueue::HandleAckLocked(const v1::WriteAck& ack) {
  if (!ack.error().empty()) {
    const absl::StatusCode code =
        ack.code() == 0 ? absl::StatusCode::kInvalidArgument
                        : static_cast<absl::StatusCode>(ack.code());
    absl::Status error(code, ack.error());
    if (IsRetryable(error)) {
      // Not stored: end the stream and resend from this request.
      return absl::Status(code, absl::StrCat("host could not store request ",
                                             ack.sequence(), ": ",
                                             ack.error()));
    }
  }
  // Everything up to the acked sequence is done with.
  while (!unacked_.empty() && unacked_.front().sequence <= ack.sequence()) {
    const Batch& done = unacked_.front();
    if (!ack.error().empty() && done.sequence == ack.sequence()) {
      const absl::StatusCode code =
          ack.code() == 0 ? absl::StatusCode::kInvalidArgument
                          : static_cast<absl::StatusCode>(ack.code());
      logger_.Error("host rejected remote write request ", done.sequence,
                    " (", done.samples, " samples, dropped): ",
                    absl::StatusCodeToString(code), ": ", ack.error());
      dropped_samples_.Add(static_cast<double>(done.samples));
      registry_
          .Counter("promscrape_remote_samples_rejected_total",
                   "Samples in requests the host rejected for good, by the "
                   "ack's status code.",
                   {{"code", absl::StatusCodeToString(code)}})
          .Add(static_cast<double>(done.samples));
    } else {
      sent_samples_.Add(static_cast<double>(done.samples));
    }
    pending_samples_ -= done.samples;
    unacked_.pop_front();
    if (in_flight_ > 0) {
      --in_flight_;
      sent_at_.pop_front();
    }
  }
  pending_gauge_.Set(static_cast<double>(pending_samples_));
  in_flight_gauge_.Set(static_cast<double>(in_flight_));
  cv_.SignalAll();
  return absl::OkStatus();
}

void WriteQueue::ReadAcks(
    grpc::ClientReaderWriter<grpc::ByteBuffer, v1::WriteAck>* stream,
    bool* acked) {
  v1::WriteAck ack;
  while (stream->Read(&ack)) {
    MutexLock lock(&mu_);
    absl::Status error = HandleAckLocked(ack);
    if (error.ok()) {
      *acked = true;
      continue;
    }
    if (stream_error_.ok()) stream_error_ = error;
    if (active_context_ != nullptr) active_context_->TryCancel();
    cv_.SignalAll();
    return;
  }
  MutexLock lock(&mu_);
  if (stream_error_.ok()) {
    stream_error_ = absl::UnavailableError("stream closed by the host");
  }
  cv_.SignalAll();
}

absl::Status WriteQueue::RunStream(bool* acked) {
  grpc::ClientContext context;
  {
    MutexLock lock(&mu_);
    if (shutdown_) return absl::CancelledError("remote write queue stopped");
    active_context_ = &context;
    stream_error_ = absl::OkStatus();
    // Everything unacknowledged goes again, from the oldest.
    in_flight_ = 0;
    sent_at_.clear();
  }
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, v1::WriteAck>>
      stream(grpc::internal::ClientReaderWriterFactory<
             grpc::ByteBuffer, v1::WriteAck>::Create(channel_.get(),
                                                     write_method_, &context));
  // NOTE: gRPC's synchronous streams allow one reader and one writer
  // concurrently; acks are read on their own thread so that writes never
  // wait for them (the window).
  std::thread reader([this, s = stream.get(), acked] {
    SetCurrentThreadName("ps-rw-acks");
    ReadAcks(s, acked);
  });
  bool write_failed = false;
  const size_t window = static_cast<size_t>(options_.max_in_flight);
  while (true) {
    const Batch* next = nullptr;
    {
      MutexLock lock(&mu_);
      while (true) {
        if (shutdown_ || !stream_error_.ok()) break;
        // The oldest unacknowledged request decides the timeout.
        if (in_flight_ > 0) {
          const absl::Duration age = absl::Now() - sent_at_.front();
          if (age >= options_.ack_timeout) {
            ack_timeouts_.Increment();
            stream_error_ = absl::DeadlineExceededError(absl::StrCat(
                "no acknowledgement of request ", unacked_.front().sequence,
                " within ", absl::FormatDuration(options_.ack_timeout)));
            context.TryCancel();
            break;
          }
        }
        if (in_flight_ < window) {
          // Seal the building batch when its deadline passed.
          if (in_flight_ == unacked_.size()) SealLocked(/*force=*/false);
          if (in_flight_ < unacked_.size()) break;
        }
        absl::Duration wait = absl::InfiniteDuration();
        if (in_flight_ > 0) {
          wait = sent_at_.front() + options_.ack_timeout - absl::Now();
        }
        if (building_samples_ > 0 && in_flight_ == unacked_.size()) {
          wait = std::min(wait, building_since_ +
                                    options_.batch_send_deadline -
                                    absl::Now());
        }
        if (wait == absl::InfiniteDuration()) {
          cv_.Wait(&mu_);
        } else if (wait > absl::ZeroDuration()) {
          cv_.WaitWithTimeout(&mu_, wait);
        }
      }
      if (shutdown_ || !stream_error_.ok()) break;
      // Stays valid: references into a deque survive push_back and the
      // ack reader's pop_front of other (older) elements, and a batch is
      // not popped before it was written.
      Batch& batch = unacked_[in_flight_];
      if (batch.resent) {
        retried_requests_.Increment();
        batch.resent = false;
      }
      next = &batch;
      ++in_flight_;
      sent_at_.push_back(absl::Now());
      in_flight_gauge_.Set(static_cast<double>(in_flight_));
    }
    // gRPC may hold the slice past Write (and past the ack that frees the
    // batch), so the slice owns a reference to the bytes.
    auto* owner = new std::shared_ptr<const std::string>(next->bytes);
    grpc::Slice slice(
        const_cast<char*>((*owner)->data()), (*owner)->size(),
        [](void* p) {
          delete static_cast<std::shared_ptr<const std::string>*>(p);
        },
        owner);
    grpc::ByteBuffer request(&slice, 1);
    if (!stream->Write(request)) {
      write_failed = true;
      break;
    }
  }
  {
    MutexLock lock(&mu_);
    // Whatever was written and not acknowledged is resent on the next
    // stream; mark it so the retry is counted once per request.
    for (size_t i = 0; i < in_flight_ && i < unacked_.size(); ++i) {
      unacked_[i].resent = true;
    }
  }
  if (!write_failed) {
    stream->WritesDone();
  }
  {
    MutexLock lock(&mu_);
    // Unblock the reader when we stop on shutdown or on our own error.
    if (shutdown_ || !stream_error_.ok()) context.TryCancel();
  }
  reader.join();
  grpc::Status finish = stream->Finish();
  MutexLock lock(&mu_);
  active_context_ = nullptr;
  in_flight_ = 0;
  sent_at_.clear();
  in_flight_gauge_.Set(0);
  if (shutdown_) return absl::OkStatus();
  if (!stream_error_.ok() &&
      stream_error_.message() != "stream closed by the host") {
    return stream_error_;
  }
  if (!finish.ok()) return FromGrpc(finish);
  return stream_error_;
}

}  // namespace promscrape::remote
