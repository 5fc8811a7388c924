#include "tools/host/remote_write_service.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape::host {
namespace {

using ::promscrape::testing::TestHttpRequest;
using ::promscrape::testing::TestHttpResponse;
using ::promscrape::testing::TestHttpServer;
using ::testing::HasSubstr;

v1::WriteRequest Request(uint64_t writer_id, uint64_t sequence) {
  v1::WriteRequest request;
  request.set_writer_id(writer_id);
  request.set_sequence(sequence);
  v1::TimeSeries* ts = request.add_timeseries();
  v1::Label* l = ts->add_labels();
  l->set_name("__name__");
  l->set_value("up");
  v1::Sample* s = ts->add_samples();
  s->set_value(1);
  s->set_timestamp(static_cast<int64_t>(sequence) * 1000);
  return request;
}

// Request(writer_id, sequence) in the 2.0 shape, with a start timestamp.
v1::WriteRequestV2 RequestV2(uint64_t writer_id, uint64_t sequence) {
  v1::WriteRequestV2 request;
  request.set_writer_id(writer_id);
  request.set_sequence(sequence);
  request.add_symbols("");
  request.add_symbols("__name__");
  request.add_symbols("up");
  v1::TimeSeriesV2* ts = request.add_timeseries();
  ts->add_labels_refs(1);
  ts->add_labels_refs(2);
  v1::Sample* s = ts->add_samples();
  s->set_value(1);
  s->set_timestamp(static_cast<int64_t>(sequence) * 1000);
  s->set_start_timestamp(500);
  return request;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

int CountLines(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) ++n;
  return n;
}

std::string TmpPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

// The service on 127.0.0.1:0 with a client channel to it.
class ServiceFixture {
 public:
  explicit ServiceFixture(RemoteWriteService& service) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&service);
    server_ = builder.BuildAndStart();
    stub_ = v1::RemoteWrite::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(port_),
        grpc::InsecureChannelCredentials()));
  }
  ~ServiceFixture() { server_->Shutdown(); }

  // Writes `requests` on one new stream and reads as many acks as come.
  std::vector<v1::WriteAck> Stream(
      const std::vector<v1::WriteRequest>& requests) {
    grpc::ClientContext context;
    auto stream = stub_->Write(&context);
    std::vector<v1::WriteAck> acks;
    for (const v1::WriteRequest& r : requests) {
      if (!stream->Write(r)) break;
      v1::WriteAck ack;
      if (!stream->Read(&ack)) break;
      acks.push_back(ack);
    }
    stream->WritesDone();
    stream->Finish().ok();
    return acks;
  }

  // The same on a WriteV2 stream.
  std::vector<v1::WriteAck> StreamV2(
      const std::vector<v1::WriteRequestV2>& requests) {
    grpc::ClientContext context;
    auto stream = stub_->WriteV2(&context);
    std::vector<v1::WriteAck> acks;
    for (const v1::WriteRequestV2& r : requests) {
      if (!stream->Write(r)) break;
      v1::WriteAck ack;
      if (!stream->Read(&ack)) break;
      acks.push_back(ack);
    }
    stream->WritesDone();
    stream->Finish().ok();
    return acks;
  }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::RemoteWrite::Stub> stub_;
};

TEST(RemoteWriteServiceTest, ResendOnANewStreamIsAckedWithoutStoringAgain) {
  const std::string path = TmpPath("dedup.jsonl");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto file, SampleFile::Open(path, false));
  RemoteWriteService service(*file, nullptr);
  ServiceFixture fixture(service);

  std::vector<v1::WriteAck> first =
      fixture.Stream({Request(5, 1), Request(5, 2), Request(5, 3)});
  ASSERT_EQ(first.size(), 3u);
  // The plugin reconnects and resends 2 and 3 (their acks were lost), then
  // goes on with 4.
  std::vector<v1::WriteAck> second =
      fixture.Stream({Request(5, 2), Request(5, 3), Request(5, 4)});
  ASSERT_EQ(second.size(), 3u);
  for (const v1::WriteAck& ack : second) EXPECT_EQ(ack.error(), "");
  EXPECT_EQ(second[0].sequence(), 2u);
  EXPECT_EQ(second[2].sequence(), 4u);
  EXPECT_EQ(CountLines(path), 4);
  EXPECT_EQ(service.duplicates(), 2);

  // Another writer's sequence 2 is a different request.
  fixture.Stream({Request(6, 2)});
  EXPECT_EQ(CountLines(path), 5);
  // Without a writer id nothing is deduplicated.
  fixture.Stream({Request(0, 1), Request(0, 1)});
  EXPECT_EQ(CountLines(path), 7);
}

TEST(RemoteWriteServiceTest, WriteV2ResendOnANewStreamIsAckedWithoutStoringAgain) {
  const std::string path = TmpPath("dedup_v2.jsonl");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto file, SampleFile::Open(path, false));
  RemoteWriteService service(*file, nullptr);
  ServiceFixture fixture(service);

  std::vector<v1::WriteAck> first =
      fixture.StreamV2({RequestV2(5, 1), RequestV2(5, 2), RequestV2(5, 3)});
  ASSERT_EQ(first.size(), 3u);
  std::vector<v1::WriteAck> second =
      fixture.StreamV2({RequestV2(5, 2), RequestV2(5, 3), RequestV2(5, 4)});
  ASSERT_EQ(second.size(), 3u);
  for (const v1::WriteAck& ack : second) EXPECT_EQ(ack.error(), "");
  EXPECT_EQ(second[0].sequence(), 2u);
  EXPECT_EQ(second[2].sequence(), 4u);
  EXPECT_EQ(CountLines(path), 4);
  EXPECT_EQ(service.duplicates(), 2);
  // One window for both rpcs: the same request resent over Write (a plugin
  // that fell back) is a duplicate too.
  fixture.Stream({Request(5, 4)});
  EXPECT_EQ(CountLines(path), 4);
  EXPECT_EQ(service.duplicates(), 3);
}

TEST(RemoteWriteServiceTest, WriteV2WritesTheLinesWriteWrites) {
  const std::string v1_path = TmpPath("lines_v1.jsonl");
  const std::string v2_path = TmpPath("lines_v2.jsonl");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto v1_file,
                                  SampleFile::Open(v1_path, false));
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto v2_file,
                                  SampleFile::Open(v2_path, false));
  RemoteWriteService v1_service(*v1_file, nullptr);
  RemoteWriteService v2_service(*v2_file, nullptr);
  v1::WriteRequest request = Request(1, 1);
  request.mutable_timeseries(0)->mutable_samples(0)->set_start_timestamp(500);
  EXPECT_EQ(v1_service.Store(request).error(), "");
  EXPECT_EQ(v2_service.Store(RequestV2(1, 1)).error(), "");
  const std::string lines = ReadFile(v2_path);
  EXPECT_EQ(lines, ReadFile(v1_path));
  EXPECT_THAT(lines, HasSubstr("\"st\":500"));
}

TEST(RemoteWriteServiceTest, WriteV2BadSymbolReferenceIsRejectedForGood) {
  const std::string path = TmpPath("bad_ref.jsonl");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto file, SampleFile::Open(path, false));
  RemoteWriteService service(*file, nullptr);
  v1::WriteRequestV2 request = RequestV2(1, 1);
  request.mutable_timeseries(0)->set_labels_refs(1, 99);
  const v1::WriteAck ack = service.Store(request);
  EXPECT_THAT(ack.error(), HasSubstr("timeseries[0]: symbol reference"));
  EXPECT_EQ(ack.code(), static_cast<int32_t>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(CountLines(path), 0);
}

TEST(RemoteWriteServiceTest, ForwardOutageAcksUnavailableAndStoresNothing) {
  bool down = true;
  std::mutex mu;
  auto server = TestHttpServer::Start([&](const TestHttpRequest&) {
    std::lock_guard<std::mutex> lock(mu);
    TestHttpResponse r;
    r.status = down ? 503 : 204;
    r.body = down ? "down" : "";
    return r;
  });
  PROMSCRAPE_ASSERT_OK(server.status());
  ForwarderOptions options;
  options.url = (*server)->Url("/api/v1/write");
  options.max_retries = 1;
  options.min_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(2);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto forwarder,
                                  RemoteWriteForwarder::Create(options));
  const std::string path = TmpPath("outage.jsonl");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto file, SampleFile::Open(path, false));
  RemoteWriteService service(*file, forwarder.get());
  ServiceFixture fixture(service);

  // The stream ends after the retryable ack: request 2 is not stored.
  std::vector<v1::WriteAck> acks =
      fixture.Stream({Request(9, 1), Request(9, 2)});
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].sequence(), 1u);
  EXPECT_EQ(acks[0].code(), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_THAT(acks[0].error(), HasSubstr("HTTP 503: down"));
  EXPECT_EQ(CountLines(path), 0);

  {
    std::lock_guard<std::mutex> lock(mu);
    down = false;
  }
  acks = fixture.Stream({Request(9, 1), Request(9, 2)});
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[1].error(), "");
  EXPECT_EQ(CountLines(path), 2);
}

TEST(RemoteWriteServiceTest, ReceiverRejectionIsAPermanentAckNotStored) {
  auto server = TestHttpServer::Start([](const TestHttpRequest&) {
    TestHttpResponse r;
    r.status = 400;
    r.body = "bad labels";
    return r;
  });
  PROMSCRAPE_ASSERT_OK(server.status());
  ForwarderOptions options;
  options.url = (*server)->Url("/api/v1/write");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto forwarder,
                                  RemoteWriteForwarder::Create(options));
  const std::string path = TmpPath("rejected.jsonl");
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto file, SampleFile::Open(path, false));
  RemoteWriteService service(*file, forwarder.get());

  v1::WriteAck ack = service.Store(Request(3, 1));
  EXPECT_EQ(ack.code(),
            static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ack.error(), HasSubstr("HTTP 400: bad labels"));
  EXPECT_EQ(CountLines(path), 0);
  // The next request goes on: the rejection did not end anything.
  ack = service.Store(Request(3, 2));
  EXPECT_EQ(ack.sequence(), 2u);
  EXPECT_EQ(forwarder->dropped_requests(), 2);
}

TEST(RemoteWriteServiceTest, DiskErrorIsRetryable) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto file,
                                  SampleFile::Open("/dev/full", false));
  RemoteWriteService service(*file, nullptr);
  v1::WriteAck ack = service.Store(Request(3, 1));
  EXPECT_EQ(ack.code(), static_cast<int>(absl::StatusCode::kUnavailable));
  EXPECT_THAT(ack.error(), HasSubstr("/dev/full"));
}

}  // namespace
}  // namespace promscrape::host
