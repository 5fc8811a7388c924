#include "tools/host/remote_write_forwarder.h"

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/io/prometheus/write/v2/types.pb.h"
#include "snappy.h"
#include "tests/testutil/status_matchers.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape::host {
namespace {

using ::promscrape::testing::StatusIs;
using ::promscrape::testing::TestHttpRequest;
using ::promscrape::testing::TestHttpResponse;
using ::promscrape::testing::TestHttpServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A receiver that answers with the scripted responses in order (the last
// one repeats) and keeps every request it got.
class ScriptedReceiver {
 public:
  explicit ScriptedReceiver(std::vector<TestHttpResponse> script)
      : script_(std::move(script)) {
    auto server = TestHttpServer::Start(
        [this](const TestHttpRequest& request) {
          std::lock_guard<std::mutex> lock(mu_);
          requests_.push_back(request);
          const size_t i = std::min(requests_.size(), script_.size()) - 1;
          return script_[i];
        });
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
  }

  std::string url() const { return server_->Url("/api/v1/write"); }
  std::vector<TestHttpRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  const std::vector<TestHttpResponse> script_;
  std::mutex mu_;
  std::vector<TestHttpRequest> requests_;
  std::unique_ptr<TestHttpServer> server_;
};

TestHttpResponse Answer(int status, std::string body = "",
                        std::vector<std::pair<std::string, std::string>>
                            headers = {}) {
  TestHttpResponse r;
  r.status = status;
  r.reason = status == 204 ? "No Content" : "Whatever";
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

v1::WriteRequest OneSample() {
  v1::WriteRequest request;
  request.set_sequence(9);
  request.set_writer_id(77);
  v1::TimeSeries* ts = request.add_timeseries();
  v1::Label* l = ts->add_labels();
  l->set_name("__name__");
  l->set_value("up");
  v1::Sample* s = ts->add_samples();
  s->set_value(1);
  s->set_timestamp(1000);
  return request;
}

// Records the backoff waits instead of sleeping.
struct RecordedWaits {
  std::vector<absl::Duration> waits;
  RemoteWriteForwarder::WaitFunction Function() {
    return [this](absl::Duration d) {
      waits.push_back(d);
      return true;
    };
  }
};

ForwarderOptions Options(const std::string& url) {
  ForwarderOptions options;
  options.url = url;
  options.timeout = absl::Seconds(10);
  options.max_retries = 3;
  options.min_backoff = absl::Milliseconds(100);
  options.max_backoff = absl::Milliseconds(250);
  return options;
}

std::string Uncompress(const std::string& body) {
  std::string out;
  EXPECT_TRUE(snappy::Uncompress(body.data(), body.size(), &out));
  return out;
}

TEST(RemoteWriteForwarderTest, SendsSnappyV1WithTheProtocolHeaders) {
  ScriptedReceiver receiver({Answer(204)});
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto forwarder, RemoteWriteForwarder::Create(Options(receiver.url())));
  PROMSCRAPE_ASSERT_OK(forwarder->Send(OneSample()));
  std::vector<TestHttpRequest> got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].target, "/api/v1/write");
  EXPECT_EQ(got[0].Header("Content-Type"), "application/x-protobuf");
  EXPECT_EQ(got[0].Header("Content-Encoding"), "snappy");
  EXPECT_EQ(got[0].Header("X-Prometheus-Remote-Write-Version"), "0.1.0");
  v1::WriteRequest decoded;
  ASSERT_TRUE(decoded.ParseFromString(Uncompress(got[0].body)));
  ASSERT_EQ(decoded.timeseries_size(), 1);
  EXPECT_EQ(decoded.timeseries(0).samples(0).timestamp(), 1000);
  EXPECT_EQ(decoded.sequence(), 0u);
}

TEST(RemoteWriteForwarderTest, SendsV2WithItsContentTypeAndVersion) {
  ScriptedReceiver receiver({Answer(204)});
  ForwarderOptions options = Options(receiver.url());
  options.protocol = RemoteWriteProtocol::kV2;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto forwarder,
                                  RemoteWriteForwarder::Create(options));
  PROMSCRAPE_ASSERT_OK(forwarder->Send(OneSample()));
  std::vector<TestHttpRequest> got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("Content-Type"),
            "application/x-protobuf;proto=io.prometheus.write.v2.Request");
  EXPECT_EQ(got[0].Header("Content-Encoding"), "snappy");
  EXPECT_EQ(got[0].Header("X-Prometheus-Remote-Write-Version"), "2.0.0");
  io::prometheus::write::v2::Request decoded;
  ASSERT_TRUE(decoded.ParseFromString(Uncompress(got[0].body)));
  ASSERT_EQ(decoded.timeseries_size(), 1);
  EXPECT_EQ(decoded.timeseries(0).samples(0).value(), 1);
}

TEST(RemoteWriteForwarderTest, Retries5xxWithGrowingJitteredBackoff) {
  ScriptedReceiver receiver({Answer(503, "busy"), Answer(500, "oops"),
                             Answer(502), Answer(200)});
  RecordedWaits waits;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto forwarder, RemoteWriteForwarder::Create(Options(receiver.url()),
                                                   waits.Function()));
  PROMSCRAPE_ASSERT_OK(forwarder->Send(OneSample()));
  EXPECT_EQ(receiver.requests().size(), 4u);
  EXPECT_EQ(forwarder->retries(), 3);
  ASSERT_EQ(waits.waits.size(), 3u);
  // 100ms, 200ms, then capped at 250ms; each jittered to 50-100%.
  const absl::Duration base[] = {absl::Milliseconds(100),
                                 absl::Milliseconds(200),
                                 absl::Milliseconds(250)};
  for (int i = 0; i < 3; ++i) {
    EXPECT_GE(waits.waits[i], base[i] / 2) << i;
    EXPECT_LE(waits.waits[i], base[i]) << i;
  }
}

TEST(RemoteWriteForwarderTest, GivesUpAfterMaxRetriesWithUnavailable) {
  ScriptedReceiver receiver({Answer(503, "still busy")});
  RecordedWaits waits;
  ForwarderOptions options = Options(receiver.url());
  options.max_retries = 2;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto forwarder, RemoteWriteForwarder::Create(options, waits.Function()));
  EXPECT_THAT(forwarder->Send(OneSample()),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("HTTP 503: still busy (gave up after 2 "
                                 "retries)")));
  EXPECT_EQ(receiver.requests().size(), 3u);
  EXPECT_EQ(forwarder->dropped_requests(), 0);
}

TEST(RemoteWriteForwarderTest, Honours429RetryAfterSeconds) {
  ScriptedReceiver receiver(
      {Answer(429, "slow down", {{"Retry-After", "7"}}), Answer(204)});
  RecordedWaits waits;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto forwarder, RemoteWriteForwarder::Create(Options(receiver.url()),
                                                   waits.Function()));
  PROMSCRAPE_ASSERT_OK(forwarder->Send(OneSample()));
  EXPECT_THAT(waits.waits, ElementsAre(absl::Seconds(7)));
  EXPECT_EQ(receiver.requests().size(), 2u);
}

TEST(RemoteWriteForwarderTest, RealWaitOfRetryAfterPassesAndStopEndsIt) {
  ScriptedReceiver receiver(
      {Answer(429, "", {{"Retry-After", "0.2"}}), Answer(204)});
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto forwarder, RemoteWriteForwarder::Create(Options(receiver.url())));
  const absl::Time start = absl::Now();
  PROMSCRAPE_ASSERT_OK(forwarder->Send(OneSample()));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(200));

  ScriptedReceiver down({Answer(503, "", {{"Retry-After", "600"}})});
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto stopping, RemoteWriteForwarder::Create(Options(down.url())));
  stopping->Stop();
  EXPECT_THAT(stopping->Send(OneSample()),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("stopped before retrying")));
}

TEST(RemoteWriteForwarderTest, Drops400WithTheReceiversMessage) {
  ScriptedReceiver receiver({Answer(400, "out of order sample\n")});
  RecordedWaits waits;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto forwarder, RemoteWriteForwarder::Create(Options(receiver.url()),
                                                   waits.Function()));
  EXPECT_THAT(forwarder->Send(OneSample()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("HTTP 400: out of order sample")));
  EXPECT_EQ(receiver.requests().size(), 1u);  // Never retried.
  EXPECT_TRUE(waits.waits.empty());
  EXPECT_EQ(forwarder->dropped_requests(), 1);
  EXPECT_EQ(forwarder->dropped_samples(), 1);
}

TEST(RemoteWriteForwarderTest, ConnectionRefusedIsRetriedThenUnavailable) {
  ForwarderOptions options = Options("http://127.0.0.1:1/api/v1/write");
  options.max_retries = 1;
  RecordedWaits waits;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      auto forwarder, RemoteWriteForwarder::Create(options, waits.Function()));
  EXPECT_THAT(forwarder->Send(OneSample()),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("127.0.0.1:1")));
  EXPECT_EQ(waits.waits.size(), 1u);
}

TEST(RemoteWriteForwarderTest, BasicAuthFromAPasswordFileAndCustomHeaders) {
  ScriptedReceiver receiver({Answer(204)});
  const std::string password_file =
      std::string(std::getenv("TEST_TMPDIR")) + "/password";
  std::ofstream(password_file) << "s3cret\n";
  ForwarderOptions options = Options(receiver.url());
  options.basic_auth_username = "scraper";
  options.basic_auth_password_file = password_file;
  options.headers = {{"X-Scope-OrgID", "tenant-1"}, {"X-Extra", "yes"}};
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto forwarder,
                                  RemoteWriteForwarder::Create(options));
  PROMSCRAPE_ASSERT_OK(forwarder->Send(OneSample()));
  std::vector<TestHttpRequest> got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Header("Authorization"),
            "Basic " + absl::Base64Escape("scraper:s3cret"));
  EXPECT_EQ(got[0].Header("X-Scope-OrgID"), "tenant-1");
  EXPECT_EQ(got[0].Header("X-Extra"), "yes");
}

TEST(RemoteWriteForwarderTest, BearerTokenInlineAndFromAFile) {
  ScriptedReceiver receiver({Answer(204)});
  ForwarderOptions options = Options(receiver.url());
  options.bearer_token = "inline-token";
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto inline_forwarder,
                                  RemoteWriteForwarder::Create(options));
  PROMSCRAPE_ASSERT_OK(inline_forwarder->Send(OneSample()));

  const std::string token_file =
      std::string(std::getenv("TEST_TMPDIR")) + "/token";
  std::ofstream(token_file) << "first\n";
  options.bearer_token.clear();
  options.bearer_token_file = token_file;
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(auto file_forwarder,
                                  RemoteWriteForwarder::Create(options));
  PROMSCRAPE_ASSERT_OK(file_forwarder->Send(OneSample()));
  std::ofstream(token_file) << "rotated";  // Read again at each send.
  PROMSCRAPE_ASSERT_OK(file_forwarder->Send(OneSample()));

  std::vector<TestHttpRequest> got = receiver.requests();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].Header("Authorization"), "Bearer inline-token");
  EXPECT_EQ(got[1].Header("Authorization"), "Bearer first");
  EXPECT_EQ(got[2].Header("Authorization"), "Bearer rotated");
}

TEST(RemoteWriteForwarderTest, UnreadableCredentialFileIsAConfigError) {
  ForwarderOptions options = Options("http://127.0.0.1:1/");
  options.bearer_token_file = "/nonexistent/token";
  EXPECT_THAT(RemoteWriteForwarder::Create(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("storage.remote_write_bearer_token_file: "
                                 "cannot read \"/nonexistent/token\"")));
}

TEST(RemoteWriteForwarderTest, RetryAfterParsing) {
  EXPECT_EQ(ParseRetryAfterSeconds(" 120\r\n"), 120);
  EXPECT_EQ(ParseRetryAfterSeconds("0"), 0);
  EXPECT_LT(ParseRetryAfterSeconds("-3"), 0);
  EXPECT_LT(ParseRetryAfterSeconds("soon"), 0);
  EXPECT_LT(ParseRetryAfterSeconds(""), 0);
  // HTTP-dates, in each of the three forms RFC 9110 allows, from `now`.
  const absl::Time now = absl::FromUnixSeconds(1445412400);  // 07:26:40 GMT
  EXPECT_EQ(ParseRetryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT", now), 80);
  EXPECT_EQ(ParseRetryAfterSeconds("Wednesday, 21-Oct-15 07:28:00 GMT", now),
            80);
  EXPECT_EQ(ParseRetryAfterSeconds("Wed Oct 21 07:28:00 2015", now), 80);
  // A date already past: retry at once.
  EXPECT_EQ(ParseRetryAfterSeconds("Wed, 21 Oct 2015 07:00:00 GMT", now), 0);
}

}  // namespace
}  // namespace promscrape::host
