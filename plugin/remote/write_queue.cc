#include "plugin/remote/write_queue.h"
#include "plugin/common/thread_name.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

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
  if (options.capacity <= 0 || options.max_samples_per_send <= 0) {
    return absl::InvalidArgumentError(
        "capacity and max_samples_per_send must be positive");
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
      logger_(logger),
      channel_(grpc::CreateChannel(options_.target,
                                   grpc::InsecureChannelCredentials())),
      stub_(v1::RemoteWrite::NewStub(channel_)),
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
          "Samples queued and not yet acknowledged by the host.")) {}

WriteQueue::~WriteQueue() { Stop(absl::ZeroDuration()).IgnoreError(); }

namespace {

google::protobuf::ArenaOptions BatchArenaOptions() {
  google::protobuf::ArenaOptions options;
  // A full batch (thousands of samples) is hundreds of kilobytes.
  options.start_block_size = 64 << 10;
  options.max_block_size = 1 << 20;
  return options;
}

}  // namespace

WriteQueue::Batch::Batch()
    : arena(std::make_unique<google::protobuf::Arena>(BatchArenaOptions())),
      request(google::protobuf::Arena::CreateMessage<v1::WriteRequest>(
          arena.get())) {}

v1::TimeSeries* WriteQueue::AddSeriesLocked(absl::Span<const LabelView> labels,
                                            absl::Status* status) {
  if (!accepting_) {
    *status = absl::CancelledError("remote write queue stopped");
    return nullptr;
  }
  if (pending_samples_ >= options_.capacity) {
    dropped_samples_.Increment();
    *status = absl::ResourceExhaustedError(absl::StrCat(
        "remote write queue full (capacity ", options_.capacity, " samples)"));
    return nullptr;
  }
  if (building_.samples == 0) {
    building_since_ = absl::Now();
    // The sender may be waiting without a deadline; give it one.
    cv_.SignalAll();
  }
  v1::TimeSeries* series = building_.request->add_timeseries();
  series->mutable_labels()->Reserve(static_cast<int>(labels.size()));
  for (const LabelView& l : labels) {
    v1::Label* label = series->add_labels();
    label->set_name(l.name.data(), l.name.size());
    label->set_value(l.value.data(), l.value.size());
  }
  return series;
}

void WriteQueue::CountAddedLocked() {
  ++building_.samples;
  ++pending_samples_;
  pending_gauge_.Set(static_cast<double>(pending_samples_));
  if (building_.samples >= options_.max_samples_per_send) {
    SealLocked(/*force=*/true);
  }
}

absl::Status WriteQueue::Append(absl::Span<const LabelView> labels,
                                int64_t timestamp_ms, double value) {
  MutexLock lock(&mu_);
  absl::Status status;
  v1::TimeSeries* series = AddSeriesLocked(labels, &status);
  if (series == nullptr) return status;
  v1::Sample* sample = series->add_samples();
  sample->set_value(value);
  sample->set_timestamp(timestamp_ms);
  CountAddedLocked();
  return absl::OkStatus();
}

absl::Status WriteQueue::AppendHistogram(absl::Span<const LabelView> labels,
                                         int64_t timestamp_ms,
                                         const v1::Histogram& histogram) {
  MutexLock lock(&mu_);
  absl::Status status;
  v1::TimeSeries* series = AddSeriesLocked(labels, &status);
  if (series == nullptr) return status;
  v1::Histogram* h = series->add_histograms();
  *h = histogram;
  h->set_timestamp(timestamp_ms);
  CountAddedLocked();
  return absl::OkStatus();
}

void WriteQueue::Flush() {
  MutexLock lock(&mu_);
  SealLocked(/*force=*/true);
}

void WriteQueue::SealLocked(bool force) {
  if (building_.samples == 0) return;
  if (!force && absl::Now() - building_since_ < options_.batch_send_deadline) {
    return;
  }
  building_.request->set_sequence(next_sequence_++);
  unacked_.push_back(std::move(building_));
  building_ = Batch();
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
    if (building_.samples == 0) {
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
  absl::Duration backoff = options_.min_backoff;
  while (true) {
    {
      MutexLock lock(&mu_);
      WaitForBatchLocked();
      if (shutdown_) return;
    }
    absl::Status status = RunStream();
    MutexLock lock(&mu_);
    if (shutdown_) return;
    if (status.ok()) {
      backoff = options_.min_backoff;
      continue;
    }
    failed_streams_.Increment();
    logger_.Warning("remote write to ", options_.target, " failed: ",
                    status.ToString(), "; retrying in ",
                    absl::FormatDuration(backoff));
    absl::Time until = absl::Now() + backoff;
    while (!shutdown_) {
      absl::Duration wait = until - absl::Now();
      if (wait <= absl::ZeroDuration()) break;
      cv_.WaitWithTimeout(&mu_, wait);
    }
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::Status WriteQueue::RunStream() {
  grpc::ClientContext context;
  {
    MutexLock lock(&mu_);
    if (shutdown_) return absl::CancelledError("remote write queue stopped");
    active_context_ = &context;
  }
  std::unique_ptr<grpc::ClientReaderWriter<v1::WriteRequest, v1::WriteAck>>
      stream = stub_->Write(&context);
  absl::Status result;
  bool broken = false;
  while (true) {
    const Batch* front = nullptr;
    {
      MutexLock lock(&mu_);
      WaitForBatchLocked();
      if (unacked_.empty() || shutdown_) break;
      // Stays valid: only this thread pops, and push_back on a deque does
      // not move existing elements.
      front = &unacked_.front();
    }
    v1::WriteAck ack;
    if (!stream->Write(*front->request) || !stream->Read(&ack)) {
      broken = true;
      break;
    }
    MutexLock lock(&mu_);
    // Everything up to the acked sequence is stored.
    while (!unacked_.empty() &&
           unacked_.front().request->sequence() <= ack.sequence()) {
      const Batch& done = unacked_.front();
      if (!ack.error().empty()) {
        logger_.Error("host rejected remote write request ",
                      done.request->sequence(), ": ", ack.error());
        dropped_samples_.Add(static_cast<double>(done.samples));
      } else {
        sent_samples_.Add(static_cast<double>(done.samples));
      }
      pending_samples_ -= done.samples;
      unacked_.pop_front();
    }
    pending_gauge_.Set(static_cast<double>(pending_samples_));
    cv_.SignalAll();
  }
  if (!broken) stream->WritesDone();
  grpc::Status finish = stream->Finish();
  {
    MutexLock lock(&mu_);
    active_context_ = nullptr;
  }
  if (broken) {
    result = finish.ok() ? absl::UnavailableError("stream closed by the host")
                         : FromGrpc(finish);
  }
  return result;
}

}  // namespace promscrape::remote
