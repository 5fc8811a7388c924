#include "tests/testutil/fake_remote_write.h"

#include <chrono>

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

void FakeRemoteWrite::RejectWith(std::string error) {
  MutexLock lock(&mu_);
  reject_ = std::move(error);
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
  v1::WriteRequest request;
  while (stream->Read(&request)) {
    v1::WriteAck ack;
    ack.set_sequence(request.sequence());
    {
      MutexLock lock(&mu_);
      if (break_next_ > 0) {
        --break_next_;
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "broken on purpose");
      }
      if (reject_.empty()) {
        for (const auto& ts : request.timeseries()) samples_ += ts.samples_size();
        requests_.push_back(request);
      } else {
        ack.set_error(reject_);
      }
      cv_.SignalAll();
    }
    if (!stream->Write(ack)) break;
  }
  return grpc::Status::OK;
}

}  // namespace promscrape::testing
