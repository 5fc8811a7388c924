// Discovery end to end: the reference host (tools/host/scrape_host) loads
// the plugin with a prometheus.yml whose jobs take their targets from an
// HTTP SD endpoint on loopback (run by the plugin), from a static target
// behind OAuth2 (token endpoint on loopback) and from
// kubernetes_sd_configs (run by the host: pushed with UpdateTargets over
// the real ScrapeControl service). Each target must be scraped with up 1.

#include <signal.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testutil/reflection_client.h"
#include "tests/testutil/subprocess.h"
#include "tests/testutil/test_files.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape {
namespace {

using ::promscrape::testing::PickUnusedPort;
using ::promscrape::testing::PluginPath;
using ::promscrape::testing::ReadWholeFile;
using ::promscrape::testing::ReflectionClient;
using ::promscrape::testing::Subprocess;
using ::promscrape::testing::TestHttpRequest;
using ::promscrape::testing::TestHttpResponse;
using ::promscrape::testing::TestHttpServer;
using ::promscrape::testing::TmpDir;
using ::promscrape::testing::WriteTmpFile;

constexpr char kHost[] = "tools/host/scrape_host";
constexpr char kControl[] = "promscrape.v1.ScrapeControl";

bool PollUntil(absl::Duration timeout, const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return true;
}

// True when the sample file holds an `up` sample of value 1 whose labels
// contain every one of `labels` (JSON fragments such as "\"job\":\"a\"").
bool HasUpOne(const std::string& samples_path,
              const std::vector<std::string>& labels) {
  const std::string text = ReadWholeFile(samples_path);
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StrContains(line, "\"__name__\":\"up\"") ||
        !absl::StrContains(line, "\"v\":1")) {
      continue;
    }
    bool all = true;
    for (const std::string& l : labels) all = all && absl::StrContains(line, l);
    if (all) return true;
  }
  return false;
}

TEST(DiscoveryE2eTest, HttpSdAndHostPushedTargetsAreScraped) {
  // One server: the scrape target, an OAuth2 token endpoint (client
  // credentials) and a path that wants the token it hands out.
  auto target = TestHttpServer::Start([](const TestHttpRequest& req) {
    TestHttpResponse r;
    if (req.target == "/token") {
      const bool ok = req.method == "POST" &&
                      absl::StrContains(req.body,
                                        "grant_type=client_credentials");
      r.status = ok ? 200 : 400;
      r.reason = ok ? "OK" : "Bad Request";
      r.headers = {{"Content-Type", "application/json"}};
      r.body = R"({"access_token":"e2e-token","token_type":"Bearer",)"
               R"("expires_in":3600})";
      return r;
    }
    if (req.target == "/protected" &&
        req.Header("Authorization") != "Bearer e2e-token") {
      r.status = 401;
      r.reason = "Unauthorized";
      return r;
    }
    r.headers = {{"Content-Type", "text/plain; version=0.0.4"}};
    r.body = "e2e_metric 1\n";
    return r;
  });
  ASSERT_TRUE(target.ok()) << target.status();
  const std::string target_address =
      absl::StrCat("127.0.0.1:", (*target)->port());
  auto sd = TestHttpServer::Start([&](const TestHttpRequest& req) {
    TestHttpResponse r;
    if (req.target != "/sd") {
      r.status = 404;
      r.reason = "Not Found";
      return r;
    }
    r.headers = {{"Content-Type", "application/json"}};
    r.body = absl::StrCat(R"([{"targets": [")", target_address,
                          R"("], "labels": {"env": "e2e"}}])");
    return r;
  });
  ASSERT_TRUE(sd.ok()) << sd.status();

  const std::string prometheus_yml = WriteTmpFile(
      "discovery_prometheus.yml",
      absl::StrCat("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                   "scrape_configs:\n"
                   "- job_name: httpsd\n"
                   "  http_sd_configs:\n"
                   "  - url: ",
                   (*sd)->Url("/sd"),
                   "\n    refresh_interval: 2s\n"
                   "  relabel_configs:\n"
                   "  - source_labels: [__meta_url]\n"
                   "    target_label: sd_url\n"
                   "- job_name: secured\n"
                   "  metrics_path: /protected\n"
                   "  oauth2:\n"
                   "    client_id: scraper\n"
                   "    client_secret: s3cret\n"
                   "    token_url: http://",
                   target_address,
                   "/token\n"
                   "  static_configs: [{targets: ['",
                   target_address,
                   "']}]\n"
                   "- job_name: k8s\n"
                   "  kubernetes_sd_configs:\n"
                   "  - role: pod\n"));
  const int control_port = PickUnusedPort();
  const std::string samples_path = TmpDir() + "/discovery_samples.jsonl";
  const std::string host_yaml = WriteTmpFile(
      "discovery_host.yaml",
      absl::StrCat("listen: 127.0.0.1:0\nstorage:\n  file: ", samples_path,
                   "\nplugins:\n  - path: ", PluginPath(),
                   "\n    config:\n      control_listen: 127.0.0.1:",
                   control_port, "\n      scrape_config_file: ",
                   prometheus_yml,
                   "\n      reload_interval: 1s"
                   "\n      self_metrics:\n        enabled: false"
                   "\n      remote_write:\n        wal_dir: \"\""
                   "\n        batch_send_deadline: 100ms\n"));
  auto host = Subprocess::Start({kHost, "--config", host_yaml});
  ASSERT_TRUE(host.ok()) << host.status();
  ASSERT_TRUE((*host)->WaitForOutput("storing samples in", absl::Seconds(30)))
      << "scrape_host did not start:\n"
      << (*host)->output();

  // http_sd: the plugin fetches the list and scrapes its target.
  EXPECT_TRUE(PollUntil(absl::Seconds(30), [&] {
    return HasUpOne(samples_path,
                    {"\"job\":\"httpsd\"", "\"env\":\"e2e\"",
                     absl::StrCat("\"instance\":\"", target_address, "\""),
                     absl::StrCat("\"sd_url\":\"", (*sd)->Url("/sd"), "\"")});
  })) << "no up=1 for the http_sd target\n"
      << (*host)->output();

  // oauth2: the token is fetched from the endpoint and sent.
  EXPECT_TRUE(PollUntil(absl::Seconds(30), [&] {
    return HasUpOne(samples_path, {"\"job\":\"secured\""});
  })) << "no up=1 for the oauth2 target\n"
      << (*host)->output();

  // kubernetes_sd_configs: loaded, shown as waiting for the host.
  ReflectionClient client(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", control_port),
      grpc::InsecureChannelCredentials()));
  absl::StatusOr<std::string> pool =
      client.CallJson(kControl, "GetPool", R"({"job":"k8s"})");
  ASSERT_TRUE(pool.ok()) << pool.status();
  EXPECT_TRUE(absl::StrContains(*pool, "\"waiting_for_host_targets\":true"))
      << *pool;
  EXPECT_TRUE(absl::StrContains(
      *pool, "\"host_sd_providers\":[\"kubernetes_sd_configs\"]"))
      << *pool;
  EXPECT_TRUE(absl::StrContains(*pool, "waiting for targets from the host"))
      << *pool;
  EXPECT_TRUE((*host)->WaitForOutput("no targets from the host yet",
                                     absl::Seconds(10)))
      << (*host)->output();

  // The host pushes the job's targets; the plugin scrapes them.
  absl::StatusOr<std::string> updated = client.CallJson(
      kControl, "UpdateTargets",
      absl::StrCat(R"({"job":"k8s","provider":"kubernetes_sd_configs",)",
                   R"("groups":[{"targets":[")", target_address,
                   R"("],"labels":{"__meta_kubernetes_pod_name":"p1"}}]})"));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(PollUntil(absl::Seconds(30), [&] {
    return HasUpOne(samples_path, {"\"job\":\"k8s\""});
  })) << "no up=1 for the host-pushed target\n"
      << (*host)->output();
  pool = client.CallJson(kControl, "ListPools", "{}");
  ASSERT_TRUE(pool.ok()) << pool.status();
  EXPECT_FALSE(absl::StrContains(*pool, "\"waiting_for_host_targets\":true"))
      << *pool;

  (*host)->Signal(SIGTERM);
  EXPECT_EQ((*host)->Wait(absl::Seconds(60)), 0) << (*host)->output();
}

}  // namespace
}  // namespace promscrape
