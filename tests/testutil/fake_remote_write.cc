#include "tests/testutil/fake_remote_write.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <utility>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace promscrape::testing {

FakeRemoteWrite::FakeRemoteWrite() {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
  address_ = absl::StrCat("127.0.0.1:", port);
}

FakeRemoteWrite::~FakeRemoteWrite() {
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
}

void FakeRemoteWrite::BreakNextStreams(int n) {
  MutexLock lock(&mu_);
  break_next_ = n;
}

void FakeRemoteWrite::RejectWith(std::string error, int code) {
  MutexLock lock(&mu_);
  reject_ = std::move(error);
  reject_code_ = code;
}

void FakeRemoteWrite::FailNextWithRetryableAck(int n) {
  MutexLock lock(&mu_);
  fail_retryable_ = n;
}

void FakeRemoteWrite::SetAckDelay(absl::Duration delay) {
  MutexLock lock(&mu_);
  ack_delay_ = delay;
}

void FakeRemoteWrite::HoldAcks(bool hold) {
  MutexLock lock(&mu_);
  hold_ = hold;
  cv_.SignalAll();
}

int FakeRemoteWrite::unacked_now() const {
  MutexLock lock(&mu_);
  return unacked_;
}

int FakeRemoteWrite::max_unacked() const {
  MutexLock lock(&mu_);
  return max_unacked_;
}

std::vector<v1::WriteRequest> FakeRemoteWrite::requests() const {
  MutexLock lock(&mu_);
  return requests_;
}

int64_t FakeRemoteWrite::samples() const {
  MutexLock lock(&mu_);
  return samples_;
}

int FakeRemoteWrite::streams_opened() const {
  MutexLock lock(&mu_);
  return streams_;
}

bool FakeRemoteWrite::WaitForSamples(int64_t n, absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  MutexLock lock(&mu_);
  while (samples_ < n) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    cv_.WaitWithTimeout(&mu_, left);
  }
  return true;
}

grpc::Status FakeRemoteWrite::Write(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::WriteAck, v1::WriteRequest>* stream) {
  {
    MutexLock lock(&mu_);
    ++streams_;
  }
  // Acks go out from their own thread, in order, whenever not held.
  // Acks and when each may go out.
  std::deque<std::pair<v1::WriteAck, absl::Time>> pending;  // Guarded by mu_.
  bool reading_done = false;         // Guarded by mu_.
  std::thread acker([&] {
    while (true) {
      v1::WriteAck ack;
      {
        MutexLock lock(&mu_);
        while (true) {
          if (!reading_done && (pending.empty() || hold_)) {
            cv_.Wait(&mu_);
            continue;
          }
          if (pending.empty() || hold_) return;
          const absl::Duration wait = pending.front().second - absl::Now();
          if (wait <= absl::ZeroDuration()) break;
          cv_.WaitWithTimeout(&mu_, wait);
        }
        ack = pending.front().first;
        pending.pop_front();
        --unacked_;
      }
      if (!stream->Write(ack)) return;
    }
  });
  grpc::Status result = grpc::Status::OK;
  v1::WriteRequest request;
  while (stream->Read(&request)) {
    v1::WriteAck ack;
    ack.set_sequence(request.sequence());
    MutexLock lock(&mu_);
    if (break_next_ > 0) {
      --break_next_;
      result = grpc::Status(grpc::StatusCode::UNAVAILABLE, "broken on purpose");
      break;
    }
    if (fail_retryable_ > 0) {
      --fail_retryable_;
      ack.set_error("storage busy");
      ack.set_code(static_cast<int>(grpc::StatusCode::UNAVAILABLE));
      // Nothing after it on this stream may be stored (order); the plugin
      // ends the stream and resends.
      pending.push_back({ack, absl::Now() + ack_delay_});
      ++unacked_;
      max_unacked_ = std::max(max_unacked_, unacked_);
      cv_.SignalAll();
      break;
    } else if (reject_.empty()) {
      for (const auto& ts : request.timeseries()) samples_ += ts.samples_size();
      requests_.push_back(request);
    } else {
      ack.set_error(reject_);
      ack.set_code(reject_code_);
    }
    pending.push_back({ack, absl::Now() + ack_delay_});
    ++unacked_;
    max_unacked_ = std::max(max_unacked_, unacked_);
    cv_.SignalAll();
  }
  {
    MutexLock lock(&mu_);
    reading_done = true;
    // Acks still held when the stream ends are never sent.
    if (!result.ok() || hold_) {
      unacked_ -= static_cast<int>(pending.size());
      pending.clear();
    }
    cv_.SignalAll();
  }
  acker.join();
  return result;
}

}  // namespace promscrape::testing
