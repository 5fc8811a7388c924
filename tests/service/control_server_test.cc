#include "plugin/service/control_server.h"

#include <cstdlib>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/config/plugin_config.h"
#include "proto/scrape/v1/scrape.grpc.pb.h"
#include "tests/testutil/reflection_client.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::service {
namespace {

using ::promscrape::testing::ReflectionClient;
using ::promscrape::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

// Answers from canned data and lets the test push watch events.
class FakeBackend final : public ControlBackend {
 public:
  absl::Status ApplyConfig(const v1::ApplyConfigRequest& request,
                           v1::ApplyConfigResponse* response) override {
    if (request.config_yaml().find("bad") != std::string::npos) {
      return absl::InvalidArgumentError(
          "scrape_configs[0] job \"node\": scrape_timeout 20s greater than "
          "scrape_interval 10s");
    }
    response->add_added_jobs("node");
    return absl::OkStatus();
  }
  absl::Status GetConfig(const v1::GetConfigRequest&,
                         v1::GetConfigResponse* response) override {
    response->set_config_yaml("global: {}\n");
    return absl::OkStatus();
  }
  absl::Status UpdateTargets(const v1::UpdateTargetsRequest&,
                             v1::UpdateTargetsResponse*) override {
    return absl::NotFoundError("unknown job \"nope\"");
  }
  absl::Status Reload(const v1::ReloadRequest&, v1::ReloadResponse*) override {
    return absl::OkStatus();
  }
  absl::Status ListPools(const v1::ListPoolsRequest&,
                         v1::ListPoolsResponse* response) override {
    response->add_pools()->set_job("node");
    return absl::OkStatus();
  }
  absl::Status GetPool(const v1::GetPoolRequest& request,
                       v1::Pool* response) override {
    response->set_job(request.job());
    return absl::OkStatus();
  }
  absl::Status ListTargets(const v1::ListTargetsRequest&,
                           v1::ListTargetsResponse*) override {
    return absl::OkStatus();
  }
  absl::Status GetTargetMetadata(const v1::GetTargetMetadataRequest&,
                                 v1::GetTargetMetadataResponse*) override {
    return absl::OkStatus();
  }
  absl::Status GetStats(const v1::GetStatsRequest&,
                        v1::GetStatsResponse* response) override {
    v1::Metric* m = response->add_metrics();
    m->set_name("prometheus_target_scrape_pools_total");
    m->set_value(3);
    return absl::OkStatus();
  }

  // A queue the test fills with Push (and can overflow), woken like the
  // engine's.
  class FakeSubscription final : public Subscription {
   public:
    FakeSubscription(FakeBackend* backend, std::function<void()> wake)
        : backend_(backend), wake_(std::move(wake)) {
      v1::TargetEvent initial;
      initial.set_kind(v1::TargetEvent::ADDED);
      initial.mutable_target()->set_job("node");
      queue_.push_back(initial);
    }
    ~FakeSubscription() override {
      {
        MutexLock lock(&backend_->mu_);
        backend_->subscription_ = nullptr;
      }
      backend_->unsubscribed_.Notify();
    }

    Next TakeOrArm(v1::TargetEvent* event) override {
      MutexLock lock(&mu_);
      if (overflowed_) return Next::kOverflowed;
      if (queue_.empty()) {
        armed_ = true;
        return Next::kIdle;
      }
      *event = queue_.front();
      queue_.pop_front();
      return Next::kEvent;
    }

    // Queues `event` (nullptr: overflow); returns the wake to run, with no
    // lock held, when the subscriber was armed. (A wake may end the stream
    // and delete this subscription, whose destructor takes the backend's
    // mutex: as the engine's hub does, never wake under a lock.)
    std::function<void()> Push(const v1::TargetEvent* event) {
      MutexLock lock(&mu_);
      if (event == nullptr) {
        overflowed_ = true;
      } else {
        queue_.push_back(*event);
      }
      if (!armed_) return nullptr;
      armed_ = false;
      return wake_;
    }

   private:
    FakeBackend* backend_;
    const std::function<void()> wake_;
    Mutex mu_;
    std::deque<v1::TargetEvent> queue_ ABSL_GUARDED_BY(mu_);
    bool armed_ ABSL_GUARDED_BY(mu_) = false;
    bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
  };

  absl::StatusOr<std::unique_ptr<Subscription>> WatchTargets(
      const v1::WatchTargetsRequest& request,
      std::function<void()> wake) override {
    if (request.job() == "nope") {
      return absl::NotFoundError("unknown job \"nope\"");
    }
    auto sub = std::make_unique<FakeSubscription>(this, std::move(wake));
    MutexLock lock(&mu_);
    subscription_ = sub.get();
    subscribed_.Notify();
    return std::unique_ptr<Subscription>(std::move(sub));
  }

  void Push(v1::TargetEvent::Kind kind) {
    v1::TargetEvent event;
    event.set_kind(kind);
    std::function<void()> wake;
    {
      MutexLock lock(&mu_);
      if (subscription_ != nullptr) wake = subscription_->Push(&event);
    }
    if (wake) wake();
  }
  void Overflow() {
    std::function<void()> wake;
    {
      MutexLock lock(&mu_);
      if (subscription_ != nullptr) wake = subscription_->Push(nullptr);
    }
    if (wake) wake();
  }

  Notification subscribed_;
  Notification unsubscribed_;

 private:
  Mutex mu_;
  FakeSubscription* subscription_ ABSL_GUARDED_BY(mu_) = nullptr;
};

class ControlServerTest : public ::testing::Test {
 protected:
  void StartServer(std::string token = "") {
    absl::StatusOr<std::unique_ptr<ControlServer>> server =
        ControlServer::Start("127.0.0.1:0", std::move(token), backend_, logger_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    channel_ = grpc::CreateChannel(server_->address(),
                                   grpc::InsecureChannelCredentials());
  }

  FakeBackend backend_;
  Logger logger_{[](LogLevel, absl::string_view) {}};
  std::unique_ptr<ControlServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ControlServerTest, ReflectionListsTheServicesLikeGrpcurl) {
  StartServer();
  ReflectionClient client(channel_);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(std::vector<std::string> services,
                                  client.ListServices());
  EXPECT_THAT(services, IsSupersetOf({"promscrape.v1.ScrapeControl",
                                      "grpc.health.v1.Health",
                                      "grpc.reflection.v1alpha.ServerReflection"}));
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      std::vector<std::string> methods,
      client.ListMethods("promscrape.v1.ScrapeControl"));
  EXPECT_THAT(methods,
              IsSupersetOf({"ApplyConfig", "GetConfig", "UpdateTargets",
                            "Reload", "ListPools", "GetPool", "ListTargets",
                            "GetTargetMetadata", "WatchTargets", "GetStats"}));
}

TEST_F(ControlServerTest, JsonCallsThroughReflection) {
  StartServer();
  ReflectionClient client(channel_);
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      std::string stats,
      client.CallJson("promscrape.v1.ScrapeControl", "GetStats", "{}"));
  EXPECT_THAT(stats, HasSubstr("\"name\":\"prometheus_target_scrape_pools_total\""));
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(
      std::string pool, client.CallJson("promscrape.v1.ScrapeControl",
                                        "GetPool", R"({"job":"node"})"));
  EXPECT_THAT(pool, HasSubstr("\"job\":\"node\""));
}

TEST_F(ControlServerTest, BackendErrorsKeepCodeAndMessage) {
  StartServer();
  ReflectionClient client(channel_);
  EXPECT_THAT(
      client.CallJson("promscrape.v1.ScrapeControl", "ApplyConfig",
                      R"({"config_yaml":"bad"})"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("scrape_timeout 20s greater than scrape_interval 10s")));
  EXPECT_THAT(client.CallJson("promscrape.v1.ScrapeControl", "UpdateTargets",
                              R"({"job":"nope"})"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_THAT(client.CallJson("promscrape.v1.ScrapeControl", "GetPool",
                              R"({"jobb":"node"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("request JSON")));
}

TEST_F(ControlServerTest, AuthTokenIsRequiredWhenConfigured) {
  StartServer("s3cret");
  ReflectionClient anonymous(channel_);
  EXPECT_THAT(anonymous.CallJson("promscrape.v1.ScrapeControl", "GetStats", "{}"),
              StatusIs(absl::StatusCode::kUnauthenticated,
                       HasSubstr("control_auth_token")));
  ReflectionClient wrong(channel_, "guess");
  EXPECT_THAT(wrong.CallJson("promscrape.v1.ScrapeControl", "GetStats", "{}"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("")));
  ReflectionClient right(channel_, "s3cret");
  PROMSCRAPE_EXPECT_OK(
      right.CallJson("promscrape.v1.ScrapeControl", "GetStats", "{}").status());
}

TEST_F(ControlServerTest, WatchTargetsStreamsEventsUntilCancelled) {
  StartServer();
  auto stub = v1::ScrapeControl::NewStub(channel_);
  grpc::ClientContext context;
  v1::WatchTargetsRequest request;
  auto reader = stub->WatchTargets(&context, request);
  v1::TargetEvent event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), v1::TargetEvent::ADDED);
  EXPECT_EQ(event.target().job(), "node");
  ASSERT_TRUE(backend_.subscribed_.WaitForNotificationWithTimeout(
      absl::Seconds(10)));
  backend_.Push(v1::TargetEvent::HEALTH_CHANGED);
  backend_.Push(v1::TargetEvent::REMOVED);
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), v1::TargetEvent::HEALTH_CHANGED);
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.kind(), v1::TargetEvent::REMOVED);
  context.TryCancel();
  while (reader->Read(&event)) {
  }
  reader->Finish().ok();
  EXPECT_TRUE(backend_.unsubscribed_.WaitForNotificationWithTimeout(
      absl::Seconds(10)));
}

TEST_F(ControlServerTest, SlowWatcherOverflowEndsWithResourceExhausted) {
  StartServer();
  auto stub = v1::ScrapeControl::NewStub(channel_);
  grpc::ClientContext context;
  auto reader = stub->WatchTargets(&context, v1::WatchTargetsRequest());
  v1::TargetEvent event;
  ASSERT_TRUE(reader->Read(&event));
  ASSERT_TRUE(backend_.subscribed_.WaitForNotificationWithTimeout(
      absl::Seconds(10)));
  backend_.Overflow();
  while (reader->Read(&event)) {
  }
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("queue overflowed"));
  EXPECT_TRUE(backend_.unsubscribed_.WaitForNotificationWithTimeout(
      absl::Seconds(10)));
}

TEST_F(ControlServerTest, WatchOfUnknownJobIsNotFound) {
  StartServer();
  auto stub = v1::ScrapeControl::NewStub(channel_);
  grpc::ClientContext context;
  v1::WatchTargetsRequest request;
  request.set_job("nope");
  auto reader = stub->WatchTargets(&context, request);
  v1::TargetEvent event;
  EXPECT_FALSE(reader->Read(&event));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("unknown job \"nope\""));
}

TEST_F(ControlServerTest, BusyAddressIsAClearError) {
  StartServer();
  EXPECT_THAT(ControlServer::Start(server_->address(), "", backend_, logger_),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("cannot listen on \"" + server_->address())));
}

TEST_F(ControlServerTest, StopIsIdempotentAndEndsOpenWatches) {
  StartServer();
  auto stub = v1::ScrapeControl::NewStub(channel_);
  grpc::ClientContext context;
  auto reader = stub->WatchTargets(&context, v1::WatchTargetsRequest());
  v1::TargetEvent event;
  ASSERT_TRUE(reader->Read(&event));
  server_->Stop(absl::Milliseconds(100));
  server_->Stop();
  while (reader->Read(&event)) {
  }
  EXPECT_FALSE(reader->Finish().ok());
}

// grpc.health.v1.Health/Check with an empty request (the whole server),
// as a load balancer's probe sends it.
grpc::Status HealthCheck(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  grpc::CompletionQueue cq;
  // An empty HealthCheckRequest serializes to no bytes.
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  auto call = stub.PrepareUnaryCall(&context, "/grpc.health.v1.Health/Check",
                                    request, &cq);
  call->StartCall();
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

absl::Status ToAbsl(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

std::string TlsDir() {
  return std::string(std::getenv("TEST_TMPDIR")) + "/control_tls";
}

std::string ReadTlsFile(const std::string& name) {
  std::ifstream in(TlsDir() + "/" + name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A CA, a server certificate for 127.0.0.1 and a client certificate, made
// with the openssl CLI as in tests/http/http_client_tls_test.cc.
bool MakeCertificates() {
  const std::string script = absl::StrCat(
      "set -e; mkdir -p ", TlsDir(), "; cd ", TlsDir(),
      "; exec >openssl.log 2>&1"
      "; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
      " -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out ca.pem"
      "; openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
      " -subj /CN=localhost -keyout server.key -out server.csr"
      "; printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > server.ext"
      "; openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key"
      " -CAcreateserial -days 2 -extfile server.ext -out server.pem"
      "; openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
      " -subj /CN=promscrape-host -keyout client.key -out client.csr"
      "; openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key"
      " -CAcreateserial -days 2 -out client.pem");
  return std::system(script.c_str()) == 0;
}

class ControlServerTlsTest : public ControlServerTest {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(MakeCertificates())
        << "openssl failed; see " << TlsDir() << "/openssl.log";
  }

  config::ControlTlsConfig ServerTls(bool mutual) {
    config::ControlTlsConfig tls;
    tls.cert_file = TlsDir() + "/server.pem";
    tls.key_file = TlsDir() + "/server.key";
    if (mutual) tls.client_ca_file = TlsDir() + "/ca.pem";
    return tls;
  }

  void StartTls(bool mutual, std::string token = "") {
    absl::StatusOr<std::unique_ptr<ControlServer>> server =
        ControlServer::Start("127.0.0.1:0", std::move(token), backend_,
                             logger_, ServerTls(mutual));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
  }

  std::shared_ptr<grpc::Channel> TlsChannel(bool client_cert) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadTlsFile("ca.pem");
    if (client_cert) {
      options.pem_private_key = ReadTlsFile("client.key");
      options.pem_cert_chain = ReadTlsFile("client.pem");
    }
    return grpc::CreateChannel(server_->address(),
                               grpc::SslCredentials(options));
  }
};

TEST_F(ControlServerTlsTest, TlsServesCallsAndHealth) {
  StartTls(/*mutual=*/false);
  std::shared_ptr<grpc::Channel> channel = TlsChannel(/*client_cert=*/false);
  ReflectionClient client(channel);
  PROMSCRAPE_EXPECT_OK(
      client.CallJson("promscrape.v1.ScrapeControl", "GetStats", "{}").status());
  PROMSCRAPE_EXPECT_OK(ToAbsl(HealthCheck(channel)));
}

TEST_F(ControlServerTlsTest, PlaintextClientCannotTalkToTls) {
  StartTls(/*mutual=*/false);
  ReflectionClient client(grpc::CreateChannel(
      server_->address(), grpc::InsecureChannelCredentials()));
  EXPECT_FALSE(
      client.CallJson("promscrape.v1.ScrapeControl", "GetStats", "{}").ok());
}

TEST_F(ControlServerTlsTest, MutualTlsRefusesAClientWithoutCertificate) {
  StartTls(/*mutual=*/true);
  ReflectionClient anonymous(TlsChannel(/*client_cert=*/false));
  EXPECT_THAT(
      anonymous.CallJson("promscrape.v1.ScrapeControl", "GetStats", "{}"),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("")));
  std::shared_ptr<grpc::Channel> channel = TlsChannel(/*client_cert=*/true);
  ReflectionClient client(channel);
  PROMSCRAPE_EXPECT_OK(
      client.CallJson("promscrape.v1.ScrapeControl", "GetStats", "{}").status());
  PROMSCRAPE_EXPECT_OK(ToAbsl(HealthCheck(channel)));
}

TEST_F(ControlServerTlsTest, TokenStillRequiredOverTlsButNotForHealth) {
  StartTls(/*mutual=*/true, "s3cret");
  std::shared_ptr<grpc::Channel> channel = TlsChannel(/*client_cert=*/true);
  ReflectionClient anonymous(channel);
  EXPECT_THAT(
      anonymous.CallJson("promscrape.v1.ScrapeControl", "ApplyConfig", "{}"),
      StatusIs(absl::StatusCode::kUnauthenticated,
               HasSubstr("control_auth_token")));
  PROMSCRAPE_EXPECT_OK(ToAbsl(HealthCheck(channel)));
  ReflectionClient right(channel, "s3cret");
  PROMSCRAPE_EXPECT_OK(
      right.CallJson("promscrape.v1.ScrapeControl", "GetStats", "{}").status());
}

TEST_F(ControlServerTest, HealthNeedsNoToken) {
  StartServer("s3cret");
  PROMSCRAPE_EXPECT_OK(ToAbsl(HealthCheck(channel_)));
}

TEST_F(ControlServerTlsTest, UnreadableCertificateNamesTheKey) {
  config::ControlTlsConfig tls = ServerTls(/*mutual=*/true);
  tls.cert_file = TlsDir() + "/missing.pem";
  EXPECT_THAT(ControlServer::Start("127.0.0.1:0", "", backend_, logger_, tls),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("control_tls.cert_file: cannot read")));
  tls = ServerTls(/*mutual=*/true);
  tls.client_ca_file = TlsDir() + "/openssl.log";
  EXPECT_THAT(ControlServer::Start("127.0.0.1:0", "", backend_, logger_, tls),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("control_tls.client_ca_file")));
}

}  // namespace
}  // namespace promscrape::service
