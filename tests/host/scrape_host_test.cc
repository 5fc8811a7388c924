// Runs bazel-bin/tools/host/scrape_host as a user does: config errors, the
// RemoteWrite sink with acks and storage.file, the plugin loaded through the
// C ABI with its control service reachable like grpcurl, and shutdown on
// SIGTERM/SIGINT with exit status 0.

#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/remote/v1/remote.grpc.pb.h"
#include "plugin/common/mutex.h"
#include "snappy.h"
#include "tests/testutil/reflection_client.h"
#include "tests/testutil/test_http_server.h"
#include "tests/testutil/subprocess.h"
#include "tests/testutil/test_files.h"

namespace promscrape {
namespace {

using ::promscrape::testing::TmpDir;
using ::promscrape::testing::WriteTmpFile;
using ::promscrape::testing::ReadWholeFile;
using ::promscrape::testing::PluginPath;

using ::promscrape::testing::ReflectionClient;
using ::promscrape::testing::Subprocess;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr char kHost[] = "tools/host/scrape_host";

std::unique_ptr<Subprocess> StartHost(const std::string& config_path) {
  auto host = Subprocess::Start({kHost, "--config", config_path});
  EXPECT_TRUE(host.ok()) << host.status();
  return host.ok() ? std::move(host).value() : nullptr;
}

// The "host:port" that follows `marker` in the process output.
std::string AddressAfter(Subprocess& process, const std::string& marker) {
  std::optional<std::string> line =
      process.WaitForOutput(marker, absl::Seconds(30));
  if (!line.has_value()) {
    ADD_FAILURE() << "no \"" << marker << "\" in:\n" << process.output();
    return "";
  }
  return line->substr(marker.size());
}

TEST(ScrapeHostTest, UsageAndConfigErrorsExitNonZeroNamingTheProblem) {
  {
    auto host = Subprocess::Start({kHost});
    ASSERT_TRUE(host.ok());
    EXPECT_EQ((*host)->Wait(absl::Seconds(30)), 2);
    EXPECT_THAT((*host)->output(), HasSubstr("usage: scrape_host --config"));
  }
  {
    auto host = StartHost("/nonexistent/host.yaml");
    EXPECT_EQ(host->Wait(absl::Seconds(30)), 1);
    EXPECT_THAT(host->output(),
                HasSubstr("cannot read config file \"/nonexistent/host.yaml\""));
  }
  {
    auto host = StartHost(WriteTmpFile("typo.yaml", "storage: {flie: x}\n"));
    EXPECT_EQ(host->Wait(absl::Seconds(30)), 1);
    EXPECT_THAT(host->output(), HasSubstr("unknown key \"flie\""));
  }
  {
    auto host = StartHost(WriteTmpFile(
        "badplugin.yaml",
        absl::StrCat("listen: 127.0.0.1:0\nstorage: {file: ", TmpDir(),
                     "/bad.jsonl}\nplugins:\n  - path: ", PluginPath(),
                     "\n    config: {control_listen: 127.0.0.1:0, "
                     "remote_write: {capasity: 1}}\n")));
    EXPECT_EQ(host->Wait(absl::Seconds(30)), 1);
    EXPECT_THAT(host->output(), HasSubstr("unknown key \"capasity\""));
  }
  {
    auto host = StartHost(WriteTmpFile(
        "missing.yaml",
        absl::StrCat("listen: 127.0.0.1:0\nstorage: {file: ", TmpDir(),
                     "/m.jsonl}\nplugins: [{path: /nonexistent/lib.so}]\n")));
    EXPECT_EQ(host->Wait(absl::Seconds(30)), 1);
    EXPECT_THAT(host->output(), HasSubstr("/nonexistent/lib.so"));
  }
}

TEST(ScrapeHostTest, CheckConfigActsLikePromtool) {
  const std::string good = WriteTmpFile("good.yml", R"(
scrape_configs:
  - job_name: node
    static_configs: [{targets: ["localhost:9100"]}]
)");
  const std::string bad = WriteTmpFile("bad.yml", R"(
scrape_configs:
  - job_name: node
    scrape_interval: 10s
    scrape_timeout: 20s
    static_configs: [{targets: ["localhost:9100"]}]
)");
  {
    auto check = Subprocess::Start({kHost, "--check-config", good});
    ASSERT_TRUE(check.ok());
    EXPECT_EQ((*check)->Wait(absl::Seconds(30)), 0);
    EXPECT_THAT((*check)->output(), HasSubstr("SUCCESS"));
  }
  {
    auto check = Subprocess::Start({kHost, "--check-config", good, bad});
    ASSERT_TRUE(check.ok());
    EXPECT_EQ((*check)->Wait(absl::Seconds(30)), 1);
    EXPECT_THAT((*check)->output(), HasSubstr("FAILED"));
    EXPECT_THAT((*check)->output(),
                HasSubstr("job \"node\": scrape_timeout 20s greater than "
                          "scrape_interval 10s"));
  }
}

TEST(ScrapeHostTest, CheckConfigLoadsThePluginNamedByPluginFlag) {
  const std::string two_errors = WriteTmpFile("two_errors.yml", R"(
scrape_configs:
  - job_name: a
    authorization: {credentials_file: /nonexistent/a}
    static_configs: [{targets: ["localhost:9100"]}]
  - job_name: b
    authorization: {credentials_file: /nonexistent/b}
    static_configs: [{targets: ["localhost:9100"]}]
)");
  {
    auto check = Subprocess::Start(
        {kHost, "--plugin", PluginPath(), "--check-config", two_errors});
    ASSERT_TRUE(check.ok());
    EXPECT_EQ((*check)->Wait(absl::Seconds(30)), 1);
    EXPECT_THAT((*check)->output(),
                HasSubstr("  FAILED: scrape_configs[0] job \"a\": error "
                          "checking authorization credentials or bearer token "
                          "file \"/nonexistent/a\""));
    EXPECT_THAT((*check)->output(),
                HasSubstr("\n          scrape_configs[1] job \"b\": error "
                          "checking authorization credentials or bearer token "
                          "file \"/nonexistent/b\""));
  }
  {
    auto check = Subprocess::Start({kHost, "--check-config", two_errors,
                                    "--plugin=/nonexistent/libpromscrape.so"});
    ASSERT_TRUE(check.ok());
    EXPECT_EQ((*check)->Wait(absl::Seconds(30)), 1);
    EXPECT_THAT((*check)->output(),
                HasSubstr("plugin \"/nonexistent/libpromscrape.so\": dlopen"));
  }
}

TEST(ScrapeHostTest, PlainSinkStoresThenAcksEachRequest) {
  const std::string storage = TmpDir() + "/sink.jsonl";
  auto host = StartHost(WriteTmpFile(
      "sink.yaml",
      absl::StrCat("listen: 127.0.0.1:0\nstorage: {file: ", storage, "}\n")));
  std::string address =
      AddressAfter(*host, "RemoteWrite listening on ");
  ASSERT_FALSE(address.empty());

  auto stub = v1::RemoteWrite::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  auto stream = stub->Write(&context);
  for (uint64_t seq = 7; seq < 10; ++seq) {
    v1::WriteRequest request;
    request.set_sequence(seq);
    v1::TimeSeries* ts = request.add_timeseries();
    v1::Label* name = ts->add_labels();
    name->set_name("__name__");
    name->set_value("requests_total");
    v1::Label* job = ts->add_labels();
    job->set_name("job");
    job->set_value("api");
    v1::Sample* s = ts->add_samples();
    s->set_value(static_cast<double>(seq) * 1.5);
    s->set_timestamp(1000 * static_cast<int64_t>(seq));
    ASSERT_TRUE(stream->Write(request));
    v1::WriteAck ack;
    ASSERT_TRUE(stream->Read(&ack));
    EXPECT_EQ(ack.sequence(), seq);
    EXPECT_EQ(ack.error(), "");
    // Acked means stored: the line is in the file already.
    EXPECT_THAT(ReadWholeFile(storage),
                HasSubstr(absl::StrCat(R"("t":)", 1000 * seq, R"(,"v":)",
                                       seq * 1.5)));
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());

  host->Signal(SIGINT);
  EXPECT_EQ(host->Wait(absl::Seconds(30)), 0);
  EXPECT_THAT(host->output(), HasSubstr("3 samples stored"));
  std::vector<std::string> lines =
      absl::StrSplit(ReadWholeFile(storage), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            R"({"labels":{"__name__":"requests_total","job":"api"},"t":7000,"v":10.5})");
}

v1::WriteRequest OneSample(uint64_t seq, double value) {
  v1::WriteRequest request;
  request.set_sequence(seq);
  v1::TimeSeries* ts = request.add_timeseries();
  v1::Label* name = ts->add_labels();
  name->set_name("__name__");
  name->set_value("forwarded");
  v1::Sample* s = ts->add_samples();
  s->set_value(value);
  s->set_timestamp(1000);
  return request;
}

TEST(ScrapeHostTest, ForwardsToRemoteWriteUrlBeforeAcking) {
  Mutex mu;
  std::vector<testing::TestHttpRequest> posts;
  int status = 204;
  auto receiver = testing::TestHttpServer::Start(
      [&](const testing::TestHttpRequest& req) {
        testing::TestHttpResponse r;
        MutexLock lock(&mu);
        posts.push_back(req);
        r.status = status;
        r.reason = status == 204 ? "No Content" : "Error";
        if (status >= 400) r.body = "out of order sample";
        return r;
      });
  ASSERT_TRUE(receiver.ok());
  const std::string storage = TmpDir() + "/forward.jsonl";
  auto host = StartHost(WriteTmpFile(
      "forward.yaml",
      absl::StrCat("listen: 127.0.0.1:0\nstorage:\n  file: ", storage,
                   "\n  remote_write_url: ",
                   (*receiver)->Url("/api/v1/write"), "\n")));
  std::string address = AddressAfter(*host, "RemoteWrite listening on ");
  ASSERT_FALSE(address.empty());
  auto stub = v1::RemoteWrite::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext context;
    auto stream = stub->Write(&context);
    ASSERT_TRUE(stream->Write(OneSample(5, 42)));
    v1::WriteAck ack;
    ASSERT_TRUE(stream->Read(&ack));
    EXPECT_EQ(ack.sequence(), 5u);
    EXPECT_EQ(ack.error(), "");
    {
      MutexLock lock(&mu);
      ASSERT_EQ(posts.size(), 1u);
      const testing::TestHttpRequest& post = posts[0];
      EXPECT_EQ(post.method, "POST");
      EXPECT_EQ(post.target, "/api/v1/write");
      EXPECT_EQ(post.Header("Content-Encoding"), "snappy");
      EXPECT_EQ(post.Header("Content-Type"), "application/x-protobuf");
      EXPECT_EQ(post.Header("X-Prometheus-Remote-Write-Version"), "0.1.0");
      std::string raw;
      ASSERT_TRUE(snappy::Uncompress(post.body.data(), post.body.size(), &raw));
      v1::WriteRequest got;
      ASSERT_TRUE(got.ParseFromString(raw));
      // A plain prompb.WriteRequest: no sequence field on the wire.
      EXPECT_EQ(got.sequence(), 0u);
      EXPECT_EQ(got.timeseries(0).labels(0).value(), "forwarded");
      EXPECT_EQ(got.timeseries(0).samples(0).value(), 42);
      // A rejected request (4xx) is acked with the receiver's reason.
      status = 400;
    }
    ASSERT_TRUE(stream->Write(OneSample(6, 1)));
    ASSERT_TRUE(stream->Read(&ack));
    EXPECT_EQ(ack.sequence(), 6u);
    EXPECT_THAT(ack.error(), HasSubstr("out of order sample"));
    EXPECT_EQ(ack.code(),
              static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
    {
      MutexLock lock(&mu);
      status = 503;
    }
    // A receiver still down after the host's retries: the host acks with
    // UNAVAILABLE (the sender resends from this request) and ends the
    // stream so nothing after it is stored out of order.
    ASSERT_TRUE(stream->Write(OneSample(7, 1)));
    ASSERT_TRUE(stream->Read(&ack));
    EXPECT_EQ(ack.sequence(), 7u);
    EXPECT_EQ(ack.code(), static_cast<int>(grpc::StatusCode::UNAVAILABLE));
    EXPECT_THAT(ack.error(), HasSubstr("HTTP 503"));
    EXPECT_FALSE(stream->Read(&ack));
    grpc::Status finish = stream->Finish();
    EXPECT_EQ(finish.error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  host->Signal(SIGTERM);
  EXPECT_EQ(host->Wait(absl::Seconds(30)), 0);
}

TEST(ScrapeHostTest, HostLoadsPluginAndStoresItsSamplesUntilSigterm) {
  const std::string storage = TmpDir() + "/plugin.jsonl";
  auto host = StartHost(WriteTmpFile(
      "plugin.yaml",
      absl::StrCat("listen: 127.0.0.1:0\n"
                   "storage: {file: ",
                   storage,
                   "}\n"
                   "plugins:\n"
                   "  - path: ",
                   PluginPath(),
                   "\n"
                   "    config:\n"
                   "      control_listen: 127.0.0.1:0\n"
                   "      remote_write: {batch_send_deadline: 20ms}\n"
                   "      self_metrics: {interval: 200ms}\n")));
  std::string control =
      AddressAfter(*host, "control service listening on ");
  ASSERT_FALSE(control.empty());

  // An operator's grpcurl: list, describe, call.
  ReflectionClient grpcurl(
      grpc::CreateChannel(control, grpc::InsecureChannelCredentials()));
  auto services = grpcurl.ListServices();
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services, Contains("promscrape.v1.ScrapeControl"));
  EXPECT_THAT(*services, Contains("grpc.health.v1.Health"));
  auto stats = grpcurl.CallJson("promscrape.v1.ScrapeControl", "GetStats", "{}");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_THAT(*stats, HasSubstr("promscrape_build_info"));

  // The self-metrics scrape reaches storage.file through the host.
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (ReadWholeFile(storage).find(R"("__name__":"up")") == std::string::npos &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_THAT(ReadWholeFile(storage),
              HasSubstr(absl::StrCat(R"({"labels":{"__name__":"up","instance":")",
                                     control, R"(","job":"promscrape"},"t":)")));

  host->Signal(SIGTERM);
  EXPECT_EQ(host->Wait(absl::Seconds(60)), 0) << host->output();
  EXPECT_THAT(host->output(), HasSubstr("promscrape stopped"));
  EXPECT_THAT(host->output(), HasSubstr("samples stored"));
}

}  // namespace
}  // namespace promscrape
