// The C ABI seen from a host: dlopen, version, config errors, the samples
// path to the host, and repeated start/stop.

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/api/promscrape.h"
#include "plugin/common/mutex.h"
#include "tests/testutil/fake_remote_write.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape {
namespace {

using ::promscrape::testing::FakeRemoteWrite;
using ::testing::HasSubstr;

struct Api {
  uint32_t (*version)();
  promscrape_plugin* (*start)(const char*, const promscrape_host*, char*,
                              size_t);
  void (*stop)(promscrape_plugin*);
};

const Api& LoadApi() {
  static const Api api = [] {
    void* lib = dlopen("plugin/libpromscrape.so", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      ADD_FAILURE() << "dlopen: " << dlerror();
      return Api{};
    }
    return Api{
        reinterpret_cast<uint32_t (*)()>(dlsym(lib, "promscrape_abi_version")),
        reinterpret_cast<promscrape_plugin* (*)(const char*,
                                                const promscrape_host*, char*,
                                                size_t)>(
            dlsym(lib, "promscrape_start")),
        reinterpret_cast<void (*)(promscrape_plugin*)>(
            dlsym(lib, "promscrape_stop")),
    };
  }();
  return api;
}

// Records the plugin's log lines.
struct LogRecorder {
  Mutex mu;
  std::vector<std::string> lines ABSL_GUARDED_BY(mu);

  static void Callback(void* user, int level, const char* message) {
    auto* self = static_cast<LogRecorder*>(user);
    MutexLock lock(&self->mu);
    self->lines.push_back(absl::StrCat(level, " ", message));
  }
  bool Contains(const std::string& needle) {
    MutexLock lock(&mu);
    for (const std::string& l : lines) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
};

promscrape_host HostFor(LogRecorder& recorder) {
  promscrape_host host{};
  host.abi_version = PROMSCRAPE_ABI_VERSION;
  host.user = &recorder;
  host.log = &LogRecorder::Callback;
  return host;
}

int ThreadCount() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

TEST(AbiTest, OnlyTheCAbiIsExportedAndVersionsMatch) {
  const Api& api = LoadApi();
  ASSERT_NE(api.version, nullptr);
  ASSERT_NE(api.start, nullptr);
  ASSERT_NE(api.stop, nullptr);
  EXPECT_EQ(api.version(), PROMSCRAPE_ABI_VERSION);
  void* lib = dlopen("plugin/libpromscrape.so", RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(lib, nullptr);
  // Internal C++ symbols stay hidden behind the version script.
  EXPECT_EQ(dlsym(lib, "_ZN10promscrape3api6Plugin4StopEv"), nullptr);
}

TEST(AbiTest, BadConfigReturnsNullWithMessageNamingTheKey) {
  const Api& api = LoadApi();
  char err[256];
  EXPECT_EQ(api.start("contrl_listen: 127.0.0.1:0\nremote_write: {target: a:1}",
                      nullptr, err, sizeof err),
            nullptr);
  EXPECT_THAT(err, HasSubstr("unknown key \"contrl_listen\""));

  EXPECT_EQ(api.start("remote_write: {target: a:1, capacity: -5}", nullptr,
                      err, sizeof err),
            nullptr);
  EXPECT_THAT(err, HasSubstr("remote_write.capacity"));

  EXPECT_EQ(api.start("{{{", nullptr, err, sizeof err), nullptr);
  EXPECT_THAT(err, HasSubstr("invalid YAML"));

  EXPECT_EQ(api.start(nullptr, nullptr, err, sizeof err), nullptr);
  EXPECT_THAT(err, HasSubstr("remote_write.target: required"));

  // A short buffer gets a truncated, terminated message; NULL is allowed.
  char tiny[8];
  std::memset(tiny, 'x', sizeof tiny);
  EXPECT_EQ(api.start("bogus: 1", nullptr, tiny, sizeof tiny), nullptr);
  EXPECT_EQ(std::strlen(tiny), 7u);
  EXPECT_EQ(api.start("bogus: 1", nullptr, nullptr, 0), nullptr);
}

TEST(AbiTest, MissingScrapeConfigFileIsNamed) {
  const Api& api = LoadApi();
  char err[256];
  EXPECT_EQ(api.start("scrape_config_file: /nonexistent/prometheus.yml\n"
                      "control_listen: 127.0.0.1:0\n"
                      "remote_write: {target: 127.0.0.1:1}",
                      nullptr, err, sizeof err),
            nullptr);
  EXPECT_THAT(err, HasSubstr("/nonexistent/prometheus.yml"));
}

TEST(AbiTest, HostWithOtherAbiVersionIsRefused) {
  const Api& api = LoadApi();
  promscrape_host host{};
  host.abi_version = PROMSCRAPE_ABI_VERSION + 1;
  char err[256];
  EXPECT_EQ(api.start("remote_write: {target: a:1}", &host, err, sizeof err),
            nullptr);
  EXPECT_THAT(err, HasSubstr("abi_version"));
}

TEST(AbiTest, SelfMetricsReachTheHostOverRemoteWrite) {
  const Api& api = LoadApi();
  FakeRemoteWrite sink;
  LogRecorder log;
  promscrape_host host = HostFor(log);
  std::string config = absl::StrFormat(
      "control_listen: 127.0.0.1:0\n"
      "remote_write: {target: %s, batch_send_deadline: 10ms}\n"
      "self_metrics: {interval: 100ms, job: selftest}\n",
      sink.address());
  char err[256] = {0};
  promscrape_plugin* plugin = api.start(config.c_str(), &host, err, sizeof err);
  ASSERT_NE(plugin, nullptr) << err;
  ASSERT_TRUE(sink.WaitForSamples(10, absl::Seconds(20)));
  api.stop(plugin);

  bool saw_up = false;
  for (const auto& request : sink.requests()) {
    for (const auto& ts : request.timeseries()) {
      std::string name, job;
      for (const auto& l : ts.labels()) {
        if (l.name() == "__name__") name = l.value();
        if (l.name() == "job") job = l.value();
      }
      EXPECT_EQ(job, "selftest");
      if (name == "up") {
        saw_up = true;
        EXPECT_EQ(ts.samples(0).value(), 1);
      }
    }
  }
  EXPECT_TRUE(saw_up);
  EXPECT_TRUE(log.Contains("control service listening on 127.0.0.1:"));
}

TEST(AbiTest, StopFlushesQueuedSamplesBeforeReturning) {
  const Api& api = LoadApi();
  FakeRemoteWrite sink;
  // A long batch deadline: only the flush in stop sends the first scrape.
  std::string config = absl::StrFormat(
      "control_listen: 127.0.0.1:0\n"
      "remote_write: {target: %s, batch_send_deadline: 1h, "
      "flush_timeout: 20s}\n"
      "self_metrics: {interval: 1h}\n",
      sink.address());
  LogRecorder log;
  promscrape_host host = HostFor(log);
  char err[256] = {0};
  promscrape_plugin* plugin = api.start(config.c_str(), &host, err, sizeof err);
  ASSERT_NE(plugin, nullptr) << err;
  // The first self scrape is queued before start returns.
  api.stop(plugin);
  EXPECT_GT(sink.samples(), 0);
}

TEST(AbiTest, ShutdownScrapeReachesTheHostBeforeStopReturns) {
  // scrape_on_shutdown with a 1h initial offset: the only scrape of the
  // target is the one at stop, and stop flushes it to the host.
  const Api& api = LoadApi();
  FakeRemoteWrite sink;
  auto target = testing::TestHttpServer::Start([](const testing::TestHttpRequest&) {
    testing::TestHttpResponse r;
    r.headers.push_back({"Content-Type", "text/plain; version=0.0.4"});
    r.body = "shutdown_metric 42\n";
    return r;
  });
  ASSERT_TRUE(target.ok()) << target.status();
  const std::string scrape_file =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/shutdown_prometheus.yml");
  {
    std::ofstream out(scrape_file);
    out << "scrape_configs:\n  - job_name: s\n    scrape_interval: 1h\n"
           "    scrape_timeout: 10s\n"
           "    static_configs: [{targets: [\"127.0.0.1:"
        << (*target)->port() << "\"]}]\n";
  }
  std::string config = absl::StrFormat(
      "control_listen: 127.0.0.1:0\n"
      "scrape_config_file: %s\n"
      "scrape_on_shutdown: true\n"
      "initial_scrape_offset: 1h\n"
      "remote_write: {target: %s, batch_send_deadline: 1h, "
      "flush_timeout: 20s}\n"
      "self_metrics: {enabled: false}\n",
      scrape_file, sink.address());
  LogRecorder log;
  promscrape_host host = HostFor(log);
  char err[256] = {0};
  promscrape_plugin* plugin = api.start(config.c_str(), &host, err, sizeof err);
  ASSERT_NE(plugin, nullptr) << err;
  EXPECT_EQ(sink.samples(), 0);
  api.stop(plugin);

  bool saw_metric = false;
  bool saw_up = false;
  for (const auto& request : sink.requests()) {
    for (const auto& ts : request.timeseries()) {
      for (const auto& l : ts.labels()) {
        if (l.name() != "__name__") continue;
        if (l.value() == "shutdown_metric") {
          saw_metric = true;
          EXPECT_EQ(ts.samples(0).value(), 42);
        }
        if (l.value() == "up") {
          saw_up = true;
          EXPECT_EQ(ts.samples(0).value(), 1);
        }
      }
    }
  }
  EXPECT_TRUE(saw_metric);
  EXPECT_TRUE(saw_up);
}

TEST(AbiTest, BusyControlPortFailsTheSecondStart) {
  const Api& api = LoadApi();
  FakeRemoteWrite sink;
  LogRecorder log;
  promscrape_host host = HostFor(log);
  std::string config = absl::StrFormat(
      "control_listen: 127.0.0.1:0\nremote_write: {target: %s}\n"
      "self_metrics: {enabled: false}\n",
      sink.address());
  char err[256] = {0};
  promscrape_plugin* first = api.start(config.c_str(), &host, err, sizeof err);
  ASSERT_NE(first, nullptr) << err;
  std::string port;
  {
    MutexLock lock(&log.mu);
    for (const std::string& l : log.lines) {
      size_t at = l.find("listening on 127.0.0.1:");
      if (at != std::string::npos) {
        port = l.substr(at + std::strlen("listening on 127.0.0.1:"));
      }
    }
  }
  ASSERT_FALSE(port.empty());
  std::string second_config = absl::StrFormat(
      "control_listen: 127.0.0.1:%s\nremote_write: {target: %s}\n", port,
      sink.address());
  EXPECT_EQ(api.start(second_config.c_str(), &host, err, sizeof err), nullptr);
  EXPECT_THAT(err, HasSubstr("cannot listen on \"127.0.0.1:" + port));
  api.stop(first);
}

TEST(AbiTest, StopIsIdempotentAndIgnoresNull) {
  const Api& api = LoadApi();
  FakeRemoteWrite sink;
  std::string config = absl::StrFormat(
      "control_listen: 127.0.0.1:0\nremote_write: {target: %s}\n",
      sink.address());
  char err[256] = {0};
  promscrape_plugin* plugin =
      api.start(config.c_str(), nullptr, err, sizeof err);
  ASSERT_NE(plugin, nullptr) << err;
  api.stop(plugin);
  api.stop(plugin);
  api.stop(nullptr);
}

TEST(AbiTest, HundredStartStopCyclesLeaveNoThreadsBehind) {
  const Api& api = LoadApi();
  FakeRemoteWrite sink;
  LogRecorder log;
  promscrape_host host = HostFor(log);
  std::string config = absl::StrFormat(
      "control_listen: 127.0.0.1:0\n"
      "remote_write: {target: %s, batch_send_deadline: 5ms, "
      "flush_timeout: 10s}\n"
      "self_metrics: {interval: 50ms}\n",
      sink.address());
  char err[256] = {0};
  // One warm-up cycle lets gRPC start its process-wide threads.
  promscrape_plugin* plugin = api.start(config.c_str(), &host, err, sizeof err);
  ASSERT_NE(plugin, nullptr) << err;
  api.stop(plugin);
  const int baseline = ThreadCount();
  for (int i = 0; i < 100; ++i) {
    plugin = api.start(config.c_str(), &host, err, sizeof err);
    ASSERT_NE(plugin, nullptr) << "cycle " << i << ": " << err;
    api.stop(plugin);
  }
  // gRPC's shared executor may grow or shrink by a few threads; a leak of
  // one thread per cycle would add a hundred.
  EXPECT_LE(ThreadCount(), baseline + 8);
  // Every cycle's first self-metrics scrape was flushed before stop returned.
  EXPECT_GE(sink.samples(), 100);
}

}  // namespace
}  // namespace promscrape
