#include "tests/testutil/fake_remote_write.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tools/host/write_request_v2.h"

namespace promscrape::testing {

namespace {

v1::WriteRequest AsV1(const v1::WriteRequest& request) { return request; }

v1::WriteRequest AsV1(const v1::WriteRequestV2& request) {
  v1::WriteRequest out;
  host::ToWriteRequest(request, &out);
  return out;
}

}  // namespace

FakeRemoteWrite::FakeRemoteWrite(bool serve_v2) : serve_v2_(serve_v2) {
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

int FakeRemoteWrite::v2_requests() const {
  MutexLock lock(&mu_);
  return v2_requests_;
}

grpc::Status FakeRemoteWrite::Write(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::WriteAck, v1::WriteRequest>* stream) {
  return Serve(stream);
}

grpc::Status FakeRemoteWrite::WriteV2(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<v1::WriteAck, v1::WriteRequestV2>* stream) {
  if (!serve_v2_) {
    // What the generated service of a host without WriteV2 answers.
    return v1::RemoteWrite::Service::WriteV2(context, stream);
  }
  return Serve(stream);
}

template <typename Request>
grpc::Status FakeRemoteWrite::Serve(
    grpc::ServerReaderWriter<v1::WriteAck, Request>* stream) {
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
  Request wire_request;
  while (stream->Read(&wire_request)) {
    const v1::WriteRequest request = AsV1(wire_request);
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
      if (!std::is_same_v<Request, v1::WriteRequest>) ++v2_requests_;
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
