// WriteQueue's sender side: the stream to the host, the window of requests
// in flight, acknowledgements, timeouts and reconnects (see write_queue.h).
// Appending, batching and the write-ahead log are in write_queue.cc.

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
#include "plugin/common/thread_name.h"
#include "plugin/remote/retryable.h"
#include "plugin/remote/wire_encoder.h"
#include "plugin/remote/write_queue.h"

namespace promscrape::remote {
namespace {

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

// More spare buffers than a window's worth only hold memory.
constexpr size_t kMaxSpareBuffers = 16;

// A transcoded request while gRPC holds it; gives the buffer back after.
struct PooledBuffer {
  std::shared_ptr<internal::SendBuffers> pool;
  std::string bytes;
};

void ReturnPooledBuffer(void* p) {
  std::unique_ptr<PooledBuffer> owned(static_cast<PooledBuffer*>(p));
  MutexLock lock(&owned->pool->mu);
  if (owned->pool->free.size() < kMaxSpareBuffers) {
    owned->pool->free.push_back(std::move(owned->bytes));
  }
}

}  // namespace

grpc::Slice WriteQueue::RequestSlice(
    const std::shared_ptr<const std::string>& bytes, uint64_t sequence,
    bool may_hold_metadata) {
  if (!stream_v2_.load()) {
    // gRPC may hold the slice past Write (and past the ack that frees the
    // batch), so the slice owns a reference to the bytes.
    auto* owner = new std::shared_ptr<const std::string>(bytes);
    return grpc::Slice(
        const_cast<char*>((*owner)->data()), (*owner)->size(),
        [](void* p) {
          delete static_cast<std::shared_ptr<const std::string>*>(p);
        },
        owner);
  }
  auto* buffer = new PooledBuffer{send_buffers_, {}};
  {
    MutexLock lock(&send_buffers_->mu);
    if (!send_buffers_->free.empty()) {
      buffer->bytes = std::move(send_buffers_->free.back());
      send_buffers_->free.pop_back();
    }
  }
  absl::Status transcoded =
      transcoder_.Transcode(*bytes, &buffer->bytes, may_hold_metadata);
  if (!transcoded.ok()) {
    // NOTE: cannot happen for records AppendRecords validated. The request
    // still goes out (empty) so that sequences and acks stay in step.
    logger_.Error("remote write request ", sequence,
                  " could not be transcoded to WriteRequestV2 (dropped): ",
                  transcoded.ToString());
    buffer->bytes.clear();
    wire::AppendSequence(&buffer->bytes, sequence);
    wire::AppendWriterId(&buffer->bytes, writer_id_);
  }
  return grpc::Slice(buffer->bytes.data(), buffer->bytes.size(),
                     &ReturnPooledBuffer, buffer);
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
    if (absl::IsUnimplemented(status) && stream_v2_.load() &&
        options_.protocol == Protocol::kAuto) {
      // A host built before WriteV2: gRPC answered for it, so nothing
      // written on that stream reached a handler and nothing is a retry.
      stream_v2_ = false;
      metrics_.SetProtocol(/*v2=*/false);
      for (Batch& batch : unacked_) batch.resent = false;
      logger_.Info("host ", options_.target,
                   " does not implement RemoteWrite/WriteV2 (", status.ToString(),
                   "); using RemoteWrite/Write (remote write 1.0 shape) from "
                   "now on");
      continue;
    }
    // A stream that delivered something was healthy: start over from the
    // minimum so one hiccup after hours of success retries quickly.
    if (acked) backoff = options_.min_backoff;
    if (status.ok()) continue;
    metrics_.failed_streams.Increment();
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
      metrics_.Rejected(done.kinds, code);
    } else {
      metrics_.Acked(done.kinds);
    }
    pending_samples_ -= done.samples;
    if (wal_ != nullptr && done.wal_ack_to > 0) wal_->Ack(done.wal_ack_to);
    unacked_.pop_front();
    if (in_flight_ > 0) {
      --in_flight_;
      sent_at_.pop_front();
    }
  }
  metrics_.pending.Set(static_cast<double>(pending_samples_));
  metrics_.in_flight.Set(static_cast<double>(in_flight_));
  cv_.SignalAll();
  return absl::OkStatus();
}

void WriteQueue::ReadAcks(
    grpc::ClientReaderWriter<grpc::ByteBuffer, v1::WriteAck>* stream,
    bool* acked) {
  v1::WriteAck ack;
  while (stream->Read(&ack)) {
    absl::Status error;
    {
      MutexLock lock(&mu_);
      error = HandleAckLocked(ack);
    }
    if (error.ok()) {
      // The log's ack is persisted by the sync thread (SyncWal).
      *acked = true;
      continue;
    }
    MutexLock lock(&mu_);
    if (stream_error_.ok()) stream_error_ = error;
    if (active_context_ != nullptr) active_context_->TryCancel();
    cv_.SignalAll();
    return;
  }
  MutexLock lock(&mu_);
  if (stream_error_.ok()) {
    stream_error_ = absl::UnavailableError("stream closed by the host");
  }
  stream_closed_by_host_ = true;
  cv_.SignalAll();
}

absl::Status WriteQueue::RunStream(bool* acked) {
  grpc::ClientContext context;
  {
    MutexLock lock(&mu_);
    if (shutdown_) return absl::CancelledError("remote write queue stopped");
    active_context_ = &context;
    stream_error_ = absl::OkStatus();
    stream_closed_by_host_ = false;
    // Everything unacknowledged goes again, from the oldest.
    in_flight_ = 0;
    sent_at_.clear();
  }
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, v1::WriteAck>>
      stream(grpc::internal::ClientReaderWriterFactory<
             grpc::ByteBuffer, v1::WriteAck>::Create(channel_.get(),
                                                     stream_v2_.load()
                                                         ? write_v2_method_
                                                         : write_method_,
                                                     &context));
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
    // The next request's bytes and sequence, copied under the lock: the
    // ack reader may destroy the batch once the host acknowledged it, and
    // our own reference keeps the bytes alive (and ordered, through the
    // reference count) while they are transcoded and written.
    std::shared_ptr<const std::string> next_bytes;
    uint64_t next_sequence = 0;
    bool next_may_hold_metadata = true;
    bool refill = false;
    {
      MutexLock lock(&mu_);
      while (true) {
        if (shutdown_ || !stream_error_.ok()) break;
        if (NeedsRefillLocked()) {
          refill = true;
          break;
        }
        // The oldest unacknowledged request decides the timeout.
        if (in_flight_ > 0) {
          const absl::Duration age = absl::Now() - sent_at_.front();
          if (age >= options_.ack_timeout) {
            metrics_.ack_timeouts.Increment();
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
        // The building batch's deadline matters only while the window has
        // room to send it; with a full window an ack wakes us.
        if (building_samples_ > 0 && in_flight_ == unacked_.size() &&
            in_flight_ < window) {
          wait = std::min(wait, building_since_ +
                                    options_.batch_send_deadline -
                                    absl::Now());
        }
        if (wait == absl::InfiniteDuration()) {
          cv_.Wait(&mu_);
        } else {
          // Never loop without letting go of mu_: the ack reader and every
          // appender need it to make the progress this loop waits for.
          cv_.WaitWithTimeout(&mu_,
                              std::max(wait, absl::Milliseconds(1)));
        }
      }
      if (refill) {
        // Fall through to the read below, without the lock.
      } else if (shutdown_ || !stream_error_.ok()) {
        break;
      }
    }
    if (refill) {
      if (!RefillFromWal()) {
        // Nothing readable yet (an I/O error is logged): try again shortly.
        MutexLock lock(&mu_);
        if (!shutdown_ && stream_error_.ok()) {
          cv_.WaitWithTimeout(&mu_, absl::Milliseconds(100));
        }
      }
      continue;
    }
    {
      MutexLock lock(&mu_);
      if (shutdown_ || !stream_error_.ok()) break;
      // Stays valid: references into a deque survive push_back and the
      // ack reader's pop_front of other (older) elements, and a batch is
      // not popped before it was written.
      Batch& batch = unacked_[in_flight_];
      if (batch.resent) {
        metrics_.Retried(batch.kinds);
        batch.resent = false;
      } else if (!batch.sent) {
        metrics_.Sent(batch.kinds);
        batch.sent = true;
      }
      next_bytes = batch.bytes;
      next_sequence = batch.sequence;
      next_may_hold_metadata = batch.kinds[RecordKind::kMetadata] != 0;
      ++in_flight_;
      sent_at_.push_back(absl::Now());
      metrics_.in_flight.Set(static_cast<double>(in_flight_));
    }
    grpc::Slice slice =
        RequestSlice(next_bytes, next_sequence, next_may_hold_metadata);
    next_bytes.reset();
    const size_t request_bytes = slice.size();
    grpc::ByteBuffer request(&slice, 1);
    if (!stream->Write(request)) {
      write_failed = true;
      break;
    }
    metrics_.sent_bytes.Add(static_cast<double>(request_bytes));
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
    // NOTE: not when the host ended the stream: a cancel would replace its
    // status (UNIMPLEMENTED for a host without WriteV2) with CANCELLED.
    if (shutdown_ || (!stream_error_.ok() && !stream_closed_by_host_)) {
      context.TryCancel();
    }
  }
  reader.join();
  grpc::Status finish = stream->Finish();
  MutexLock lock(&mu_);
  active_context_ = nullptr;
  in_flight_ = 0;
  sent_at_.clear();
  metrics_.in_flight.Set(0);
  if (shutdown_) return absl::OkStatus();
  if (!stream_error_.ok() &&
      stream_error_.message() != "stream closed by the host") {
    return stream_error_;
  }
  if (!finish.ok()) return FromGrpc(finish);
  return stream_error_;
}

}  // namespace promscrape::remote
