// Every ScrapeControl RPC through a real gRPC channel on a running plugin
// (in scrape_host, through the C ABI) with live HTTP targets: answers, error
// codes, WatchTargets with a thousand streams, and UpdateTargets with
// 100,000 targets while other RPCs answer.

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "plugin/common/mutex.h"
#include "proto/scrape/v1/scrape.grpc.pb.h"
#include "tests/testutil/subprocess.h"
#include "tests/testutil/test_files.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape {
namespace {

using ::promscrape::testing::TestHttpRequest;
using ::promscrape::testing::TestHttpResponse;
using ::promscrape::testing::TestHttpServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Generous bound for waits on events that must happen; never a measure.
constexpr absl::Duration kWait = absl::Seconds(120);

constexpr char kHost[] = "tools/host/scrape_host";

// A target whose health the test switches.
class FlappingTarget {
 public:
  FlappingTarget() {
    auto server = TestHttpServer::Start([this](const TestHttpRequest&) {
      TestHttpResponse r;
      if (!healthy_.load()) {
        r.status = 500;
        r.reason = "Internal Server Error";
        return r;
      }
      r.headers.emplace_back("Content-Type",
                             "text/plain; version=0.0.4; charset=utf-8");
      r.body = "# TYPE flap gauge\n# HELP flap A test gauge.\nflap 1\n";
      return r;
    });
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  std::string address() const {
    return absl::StrCat("127.0.0.1:", server_->port());
  }
  void set_healthy(bool healthy) { healthy_.store(healthy); }

 private:
  std::atomic<bool> healthy_{true};
  std::unique_ptr<TestHttpServer> server_;
};

class ControlPlaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The plugin runs in scrape_host, as in production: a process that
    // dlopen()s it and links only the C ABI header and the lite remote
    // protos. (Linking scrape.proto here and dlopen()ing the plugin into
    // this process would register the same descriptors twice.)
    static int next = 0;
    const std::string id = absl::StrCat("cp", next++);
    const std::string config = testing::WriteTmpFile(
        id + ".yaml",
        absl::StrCat("listen: 127.0.0.1:0\n"
                     "storage: {file: ",
                     testing::TmpDir(), "/", id,
                     ".jsonl}\n"
                     "plugins:\n"
                     "  - path: ",
                     testing::PluginPath(),
                     "\n"
                     "    config:\n"
                     "      control_listen: 127.0.0.1:0\n"
                     "      remote_write: {wal_dir: ''}\n"
                     "      self_metrics: {enabled: false}\n"));
    auto process = testing::Subprocess::Start({kHost, "--config", config});
    ASSERT_TRUE(process.ok()) << process.status();
    host_ = *std::move(process);
    std::optional<std::string> line = host_->WaitForOutput(
        "control service listening on ", absl::Seconds(60));
    ASSERT_TRUE(line.has_value()) << host_->output();
    std::string address = line->substr(std::strlen("control service listening on "));
    address = address.substr(0, address.find_first_of(" \r\n"));
    ASSERT_FALSE(address.empty()) << host_->output();
    channel_ = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    stub_ = v1::ScrapeControl::NewStub(channel_);
  }
  void TearDown() override {
    if (host_ != nullptr) {
      host_->Signal(SIGTERM);
      EXPECT_TRUE(host_->Wait(absl::Seconds(60)).has_value())
          << host_->output();
    }
  }

  // Applies a prometheus.yml with job "flap" (host targets, 100ms) and job
  // "static" scraping `static_target`.
  void ApplyJobs(const std::string& static_target) {
    v1::ApplyConfigRequest request;
    request.set_config_yaml(absl::StrCat(
        "global: {scrape_interval: 100ms, scrape_timeout: 100ms}\n"
        "scrape_configs:\n"
        "- job_name: flap\n"
        "  kubernetes_sd_configs: [{role: pod}]\n"
        "- job_name: static\n"
        "  static_configs: [{targets: ['",
        static_target, "']}]\n"));
    v1::ApplyConfigResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ApplyConfig(&context, request, &response).ok());
  }

  grpc::Status SetTargets(const std::string& job,
                          const std::vector<std::string>& targets,
                          bool reload = true) {
    v1::UpdateTargetsRequest request;
    request.set_job(job);
    request.set_provider("kubernetes_sd_configs");
    if (!targets.empty()) {
      v1::TargetGroup* group = request.add_groups();
      for (const std::string& t : targets) group->add_targets(t);
    }
    v1::UpdateTargetsResponse response;
    grpc::ClientContext context;
    grpc::Status status = stub_->UpdateTargets(&context, request, &response);
    if (!status.ok() || !reload) return status;
    grpc::ClientContext reload_context;
    v1::ReloadResponse reload_response;
    return stub_->Reload(&reload_context, v1::ReloadRequest(),
                         &reload_response);
  }

  std::unique_ptr<testing::Subprocess> host_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ScrapeControl::Stub> stub_;
};

// Waits until `pred` holds, polling the plugin over gRPC.
template <typename Pred>
bool Eventually(Pred pred) {
  const absl::Time deadline = absl::Now() + kWait;
  while (absl::Now() < deadline) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

TEST_F(ControlPlaneTest, EveryRpcAnswersWithLiveTargetsAndRightErrorCodes) {
  FlappingTarget target;
  ApplyJobs(target.address());
  ASSERT_TRUE(SetTargets("flap", {target.address()}).ok());

  // ListTargets: both targets come up.
  std::string last;
  ASSERT_TRUE(Eventually([&] {
    v1::ListTargetsResponse response;
    grpc::ClientContext context;
    grpc::Status status =
        stub_->ListTargets(&context, v1::ListTargetsRequest(), &response);
    if (!status.ok()) {
      last = status.error_message();
      return false;
    }
    last = response.DebugString();
    int up = 0;
    for (const v1::Target& t : response.active_targets()) {
      if (t.health() == v1::HEALTH_UP) ++up;
    }
    return up == 2;
  })) << last << host_->output();
  {
    grpc::ClientContext context;
    v1::GetConfigResponse response;
    ASSERT_TRUE(
        stub_->GetConfig(&context, v1::GetConfigRequest(), &response).ok());
    EXPECT_THAT(response.config_yaml(), HasSubstr("job_name: flap"));
    EXPECT_EQ(response.source(), "ApplyConfig");
  }
  {
    grpc::ClientContext context;
    v1::ListPoolsResponse response;
    ASSERT_TRUE(
        stub_->ListPools(&context, v1::ListPoolsRequest(), &response).ok());
    std::vector<std::string> jobs;
    for (const v1::Pool& p : response.pools()) jobs.push_back(p.job());
    EXPECT_THAT(jobs, ElementsAre("flap", "static"));
  }
  {
    grpc::ClientContext context;
    v1::GetPoolRequest request;
    request.set_job("flap");
    v1::Pool response;
    ASSERT_TRUE(stub_->GetPool(&context, request, &response).ok());
    EXPECT_EQ(response.active_targets(), 1);
    EXPECT_THAT(response.host_sd_providers(),
                ElementsAre("kubernetes_sd_configs"));
  }
  ASSERT_TRUE(Eventually([&] {
    grpc::ClientContext context;
    v1::GetTargetMetadataRequest request;
    request.set_job("static");
    request.set_metric("flap");
    v1::GetTargetMetadataResponse response;
    return stub_->GetTargetMetadata(&context, request, &response).ok() &&
           response.metadata_size() == 1 &&
           response.metadata(0).help() == "A test gauge.";
  }));
  {
    grpc::ClientContext context;
    v1::GetStatsResponse response;
    ASSERT_TRUE(
        stub_->GetStats(&context, v1::GetStatsRequest(), &response).ok());
    EXPECT_GT(response.metrics_size(), 0);
  }

  // Error codes.
  auto code_of = [](const grpc::Status& s) { return s.error_code(); };
  {
    grpc::ClientContext context;
    v1::ApplyConfigRequest request;
    request.set_config_yaml("scrape_configs: [{job_name: x, scrape_interval: nope}]\n");
    v1::ApplyConfigResponse response;
    grpc::Status s = stub_->ApplyConfig(&context, request, &response);
    EXPECT_EQ(code_of(s), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("nope"));
  }
  {
    grpc::ClientContext context;
    v1::GetPoolRequest request;
    request.set_job("missing");
    v1::Pool response;
    grpc::Status s = stub_->GetPool(&context, request, &response);
    EXPECT_EQ(code_of(s), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(s.error_message(), HasSubstr("unknown job \"missing\""));
  }
  {
    grpc::ClientContext context;
    v1::ListTargetsRequest request;
    request.set_job("missing");
    v1::ListTargetsResponse response;
    EXPECT_EQ(code_of(stub_->ListTargets(&context, request, &response)),
              grpc::StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext context;
    v1::GetTargetMetadataRequest request;
    request.set_job("missing");
    v1::GetTargetMetadataResponse response;
    EXPECT_EQ(code_of(stub_->GetTargetMetadata(&context, request, &response)),
              grpc::StatusCode::NOT_FOUND);
  }
  EXPECT_EQ(code_of(SetTargets("missing", {"127.0.0.1:1"}, false)),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(code_of(SetTargets("", {"127.0.0.1:1"}, false)),
            grpc::StatusCode::INVALID_ARGUMENT);
  {
    grpc::Status s = SetTargets("flap", {""}, false);
    EXPECT_EQ(code_of(s), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("groups[0].targets[0]"));
  }
  {
    grpc::ClientContext context;
    v1::GetClusterResponse response;
    EXPECT_EQ(code_of(stub_->GetCluster(&context, v1::GetClusterRequest(),
                                        &response)),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  {
    grpc::ClientContext context;
    v1::WatchTargetsRequest request;
    request.set_job("missing");
    auto reader = stub_->WatchTargets(&context, request);
    v1::TargetEvent event;
    EXPECT_FALSE(reader->Read(&event));
    EXPECT_EQ(code_of(reader->Finish()), grpc::StatusCode::NOT_FOUND);
  }
  // The failed calls changed nothing.
  {
    grpc::ClientContext context;
    v1::ListPoolsResponse response;
    ASSERT_TRUE(
        stub_->ListPools(&context, v1::ListPoolsRequest(), &response).ok());
    EXPECT_EQ(response.pools_size(), 2);
  }
}

// One WatchTargets stream read with gRPC's callback API (no thread per
// stream in the test either); records what it sees of one URL.
class Watcher final : public grpc::ClientReadReactor<v1::TargetEvent> {
 public:
  Watcher(v1::ScrapeControl::Stub* stub, std::string url, Mutex* mu,
          CondVar* cv)
      : url_(std::move(url)), mu_(mu), cv_(cv) {
    v1::WatchTargetsRequest request;
    request.set_job("flap");
    stub->async()->WatchTargets(&context_, &request, this);
    StartRead(&event_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    {
      MutexLock lock(mu_);
      ++events_;
      if (event_.target().scrape_url() == url_) {
        seen_.push_back(absl::StrCat(
            v1::TargetEvent::Kind_Name(event_.kind()), " ",
            v1::TargetHealth_Name(event_.target().health())));
      }
      cv_->SignalAll();
    }
    StartRead(&event_);
  }
  void OnDone(const grpc::Status& s) override {
    MutexLock lock(mu_);
    done_ = true;
    status_ = s;
    cv_->SignalAll();
  }

  void Cancel() { context_.TryCancel(); }

  // Guarded by the shared mu.
  int events_ = 0;
  std::vector<std::string> seen_;
  bool done_ = false;
  grpc::Status status_;

 private:
  const std::string url_;
  Mutex* mu_;
  CondVar* cv_;
  grpc::ClientContext context_;
  v1::TargetEvent event_;
};

TEST_F(ControlPlaneTest, ThousandWatchersSeeUpDownGoneInOrder) {
  FlappingTarget anchor;
  FlappingTarget target;
  ApplyJobs("127.0.0.1:1");
  ASSERT_TRUE(SetTargets("flap", {anchor.address()}).ok());
  const std::string url = absl::StrCat("http://", target.address(), "/metrics");

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  // Sanitizer builds check the same ordering with a fifth of the streams:
  // on CI's two shared cores 1,000 TSAN-instrumented streams outran the
  // wait without finding anything the smaller set does not.
  constexpr int kWatchers = 200;
#else
  constexpr int kWatchers = 1000;
#endif
  Mutex mu;
  CondVar cv;
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < kWatchers; ++i) {
    watchers.push_back(std::make_unique<Watcher>(stub_.get(), url, &mu, &cv));
  }
  auto wait_all = [&](auto pred) {
    const absl::Time deadline = absl::Now() + kWait;
    MutexLock lock(&mu);
    while (true) {
      int ok = 0;
      for (const auto& w : watchers) ok += pred(*w) ? 1 : 0;
      if (ok == kWatchers) return true;
      if (absl::Now() > deadline) return false;
      cv.WaitWithTimeout(&mu, absl::Seconds(1));
    }
  };
  // Every stream is subscribed once it has the anchor (the snapshot).
  ASSERT_TRUE(wait_all([](const Watcher& w) { return w.events_ >= 1; }));

  ASSERT_TRUE(SetTargets("flap", {anchor.address(), target.address()}).ok());
  ASSERT_TRUE(wait_all([](const Watcher& w) { return w.seen_.size() >= 2; }));
  target.set_healthy(false);
  ASSERT_TRUE(wait_all([](const Watcher& w) { return w.seen_.size() >= 3; }));
  ASSERT_TRUE(SetTargets("flap", {anchor.address()}).ok());
  ASSERT_TRUE(wait_all([](const Watcher& w) { return w.seen_.size() >= 4; }));

  {
    MutexLock lock(&mu);
    for (const auto& w : watchers) {
      ASSERT_THAT(w->seen_,
                  ElementsAre("ADDED HEALTH_UNKNOWN", "HEALTH_CHANGED HEALTH_UP",
                              "HEALTH_CHANGED HEALTH_DOWN",
                              "REMOVED HEALTH_DOWN"));
    }
  }
  for (auto& w : watchers) w->Cancel();
  ASSERT_TRUE(wait_all([](const Watcher& w) { return w.done_; }));
}

TEST_F(ControlPlaneTest, HundredThousandTargetsApplyWhileOtherRpcsAnswer) {
  ApplyJobs("127.0.0.1:1");
  {
    // A long interval: the unused loopback port is hardly ever scraped.
    v1::ApplyConfigRequest request;
    request.set_config_yaml(
        "global: {scrape_interval: 1h, scrape_timeout: 1s}\n"
        "scrape_configs:\n"
        "- job_name: flap\n"
        "  kubernetes_sd_configs: [{role: pod}]\n");
    v1::ApplyConfigResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->ApplyConfig(&context, request, &response).ok());
  }
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
  // The sanitizer builds check the same paths at a tenth of the size (the
  // full size costs CI minutes under TSAN and finds nothing more).
  constexpr int kTargets = 10000;
#else
  constexpr int kTargets = 100000;
#endif
  std::vector<std::string> targets;
  targets.reserve(kTargets);
  for (int i = 0; i < kTargets; ++i) {
    // Distinct addresses on the loopback net, an unused port.
    targets.push_back(absl::StrFormat("127.%d.%d.%d:1", (i >> 16) & 255,
                                      (i >> 8) & 255, i & 255));
  }
  std::atomic<bool> applied{false};
  std::atomic<int> answers_meanwhile{0};
  std::thread updater([&] {
    grpc::Status s = SetTargets("flap", targets);
    EXPECT_TRUE(s.ok()) << s.error_message();
    applied.store(true);
  });
  // ListPools and GetConfig keep answering while the update applies.
  while (!applied.load()) {
    grpc::ClientContext pools_context;
    v1::ListPoolsResponse pools;
    ASSERT_TRUE(
        stub_->ListPools(&pools_context, v1::ListPoolsRequest(), &pools).ok());
    grpc::ClientContext config_context;
    v1::GetConfigResponse config;
    ASSERT_TRUE(stub_->GetConfig(&config_context, v1::GetConfigRequest(),
                                 &config)
                    .ok());
    answers_meanwhile.fetch_add(1);
  }
  updater.join();
  {
    grpc::ClientContext context;
    v1::GetPoolRequest request;
    request.set_job("flap");
    v1::Pool pool;
    ASSERT_TRUE(stub_->GetPool(&context, request, &pool).ok());
    EXPECT_EQ(pool.active_targets(), kTargets);
  }
  EXPECT_GE(answers_meanwhile.load(), 1);
  // A watcher of the whole job gets every target in its snapshot.
  grpc::ClientContext context;
  v1::WatchTargetsRequest request;
  request.set_job("flap");
  auto reader = stub_->WatchTargets(&context, request);
  v1::TargetEvent event;
  int added = 0;
  while (added < kTargets && reader->Read(&event)) {
    if (event.kind() == v1::TargetEvent::ADDED) ++added;
  }
  EXPECT_EQ(added, kTargets);
  context.TryCancel();
  while (reader->Read(&event)) {
  }
  reader->Finish();
}

}  // namespace
}  // namespace promscrape
