// The C ABI seen from a host: dlopen, version, config errors, the samples
// path to the host, and repeated start/stop.

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
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
  int (*check_config)(const char*, const char*, char*, size_t, size_t*);
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
        reinterpret_cast<int (*)(const char*, const char*, char*, size_t,
                                 size_t*)>(
            dlsym(lib, "promscrape_check_config")),
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
  ASSERT_NE(api.check_config, nullptr);
  EXPECT_EQ(api.version(), PROMSCRAPE_ABI_VERSION);
  void* lib = dlopen("plugin/libpromscrape.so", RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(lib, nullptr);
  // Internal C++ symbols stay hidden behind the version script.
  EXPECT_EQ(dlsym(lib, "_ZN10promscrape3api6Plugin4StopEv"), nullptr);
  EXPECT_EQ(dlsym(lib,
                  "_ZN10promscrape7checker15CheckConfigFileERKNSt7__"
                  "cxx1112basic_stringIcSt11char_traitsIcESaIcEEE"),
            nullptr);
}

std::string WriteTmpFile(const std::string& name, const std::string& text) {
  std::string path = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
  std::ofstream(path) << text;
  return path;
}

// promscrape_check_config into a buffer large enough for any report here.
int CheckConfig(const char* path, const char* yaml, std::string* report) {
  char buf[4096];
  size_t size = 0;
  int verdict = LoadApi().check_config(path, yaml, buf, sizeof buf, &size);
  EXPECT_LE(size, sizeof buf);
  *report = buf;
  EXPECT_EQ(size, report->size() + 1);
  return verdict;
}

TEST(AbiCheckConfigTest, ValidConfigIsValidWithAnEmptyReport) {
  ASSERT_NE(LoadApi().check_config, nullptr);
  const std::string path = WriteTmpFile("valid.yml", R"(
scrape_configs:
  - job_name: node
    static_configs: [{targets: ["localhost:9100"]}]
)");
  std::string report;
  EXPECT_EQ(CheckConfig(path.c_str(), nullptr, &report),
            PROMSCRAPE_CHECK_VALID);
  EXPECT_EQ(report, "");
}

TEST(AbiCheckConfigTest, MissingFileSdFileIsAWarningOfAValidConfig) {
  ASSERT_NE(LoadApi().check_config, nullptr);
  std::string report;
  EXPECT_EQ(CheckConfig("/nonexistent/prometheus.yml", R"(
scrape_configs:
  - job_name: files
    file_sd_configs: [{files: [targets.json]}]
)",
                        &report),
            PROMSCRAPE_CHECK_VALID);
  // Relative paths resolve against the directory of `path`.
  EXPECT_EQ(report,
            "warning: file \"/nonexistent/targets.json\" for file_sd in scrape "
            "job \"files\" does not exist\n");
}

TEST(AbiCheckConfigTest, InvalidConfigNamesEveryError) {
  ASSERT_NE(LoadApi().check_config, nullptr);
  const std::string path = WriteTmpFile("two_errors.yml", R"(
scrape_configs:
  - job_name: a
    tls_config: {cert_file: missing.crt, key_file: a.key}
    static_configs: [{targets: ["localhost:9100"]}]
  - job_name: b
    authorization: {credentials_file: /nonexistent/token}
    static_configs: [{targets: ["localhost:9100"]}]
)");
  std::string report;
  EXPECT_EQ(CheckConfig(path.c_str(), nullptr, &report),
            PROMSCRAPE_CHECK_INVALID);
  EXPECT_THAT(report, HasSubstr("error: scrape_configs[0] job \"a\": error "
                                "checking client cert file"));
  EXPECT_THAT(report, HasSubstr("missing.crt"));
  EXPECT_THAT(report, HasSubstr("error: scrape_configs[1] job \"b\": error "
                                "checking authorization credentials or "
                                "bearer token file \"/nonexistent/token\""));
}

TEST(AbiCheckConfigTest, LoadErrorIsTheOnlyError) {
  ASSERT_NE(LoadApi().check_config, nullptr);
  std::string report;
  EXPECT_EQ(CheckConfig(nullptr, R"(
scrape_configs:
  - job_name: node
    scrape_interval: 10s
    scrape_timeout: 20s
)",
                        &report),
            PROMSCRAPE_CHECK_INVALID);
  EXPECT_EQ(report,
            "error: scrape_configs[0] job \"node\": scrape_timeout 20s "
            "greater than scrape_interval 10s\n");
}

TEST(AbiCheckConfigTest, SmallBufferIsTruncatedAndTheNeededSizeReported) {
  const Api& api = LoadApi();
  ASSERT_NE(api.check_config, nullptr);
  const std::string path = WriteTmpFile("truncated.yml", "scrape_configs: [\n");
  size_t size = 0;
  // A size query: no buffer.
  EXPECT_EQ(api.check_config(path.c_str(), nullptr, nullptr, 0, &size),
            PROMSCRAPE_CHECK_INVALID);
  ASSERT_GT(size, 16u);

  char small[16];
  std::memset(small, 'x', sizeof small);
  size_t small_size = 0;
  EXPECT_EQ(
      api.check_config(path.c_str(), nullptr, small, sizeof small, &small_size),
      PROMSCRAPE_CHECK_INVALID);
  EXPECT_EQ(small_size, size);
  EXPECT_GT(small_size, sizeof small);  // Truncated.
  EXPECT_EQ(std::string(small), "error: yaml: li");

  std::string full(size, 'x');
  EXPECT_EQ(api.check_config(path.c_str(), nullptr, full.data(), full.size(),
                             nullptr),
            PROMSCRAPE_CHECK_INVALID);
  EXPECT_EQ(full.back(), '\0');
  EXPECT_EQ(std::strlen(full.c_str()), size - 1);
  EXPECT_THAT(full, HasSubstr("yaml:"));
  EXPECT_EQ(full[size - 2], '\n');
}

TEST(AbiCheckConfigTest, MissingFileIsInvalidAndBadArgumentsGiveNoVerdict) {
  const Api& api = LoadApi();
  ASSERT_NE(api.check_config, nullptr);
  std::string report;
  EXPECT_EQ(CheckConfig("/nonexistent/prometheus.yml", nullptr, &report),
            PROMSCRAPE_CHECK_INVALID);
  EXPECT_EQ(report,
            "error: cannot read config file \"/nonexistent/prometheus.yml\"\n");

  EXPECT_EQ(CheckConfig(nullptr, nullptr, &report), PROMSCRAPE_CHECK_ERROR);
  EXPECT_THAT(report, HasSubstr("error: no config"));
  size_t size = 0;
  EXPECT_EQ(api.check_config("x.yml", nullptr, nullptr, 8, &size),
            PROMSCRAPE_CHECK_ERROR);
  EXPECT_GT(size, 1u);
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

// Gives a plugin config its own write-ahead log directory, so that what one
// test leaves unacknowledged is never replayed into the next one.
std::string WithOwnWal(const std::string& config) {
  static int next = 0;
  const std::string marker = "remote_write: {";
  const size_t at = config.find(marker);
  if (at == std::string::npos) return config;
  std::string out = config;
  out.insert(at + marker.size(),
             absl::StrCat("wal_dir: ", std::getenv("TEST_TMPDIR"), "/wal-",
                          next++, ", "));
  return out;
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
  promscrape_plugin* plugin = api.start(WithOwnWal(config).c_str(), &host, err, sizeof err);
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

// prometheus.yml's global.external_labels reach the host on every series,
// the series' own labels winning (Prometheus' remote write).
// The plugin config's prometheus_compat reaches the prometheus.yml loader:
// a 3.x-only key loads under "3" (the default) and is refused under "2", as
// Prometheus 2.42 refuses an unknown field; a bad value names the key.
TEST(AbiTest, PrometheusCompatDecidesWhichPrometheusYmlLoads) {
  const Api& api = LoadApi();
  const std::string yml =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/compat.yml");
  std::ofstream(yml) << "global:\n  metric_name_validation_scheme: utf8\n"
                        "scrape_configs: []\n";
  auto config = [&](absl::string_view compat_line) {
    return WithOwnWal(absl::StrFormat(
        "control_listen: 127.0.0.1:0\n%sscrape_config_file: %s\n"
        "remote_write: {target: 127.0.0.1:1}\n"
        "self_metrics: {enabled: false}\n",
        compat_line, yml));
  };
  char err[512] = {0};
  EXPECT_EQ(api.start(config("prometheus_compat: \"2\"\n").c_str(), nullptr,
                      err, sizeof err),
            nullptr);
  EXPECT_THAT(err, HasSubstr("metric_name_validation_scheme"));

  for (absl::string_view compat : {"", "prometheus_compat: \"3\"\n"}) {
    SCOPED_TRACE(compat);
    promscrape_plugin* plugin =
        api.start(config(compat).c_str(), nullptr, err, sizeof err);
    ASSERT_NE(plugin, nullptr) << err;
    api.stop(plugin);
  }

  EXPECT_EQ(api.start(config("prometheus_compat: \"2.42\"\n").c_str(),
                      nullptr, err, sizeof err),
            nullptr);
  EXPECT_THAT(err, HasSubstr("prometheus_compat: must be \"2\" or \"3\""));
}

TEST(AbiTest, ExternalLabelsReachTheHost) {
  const Api& api = LoadApi();
  FakeRemoteWrite sink;
  LogRecorder log;
  promscrape_host host = HostFor(log);
  const std::string yml = absl::StrCat(std::getenv("TEST_TMPDIR"), "/ext.yml");
  std::ofstream(yml) << "global:\n  external_labels: {replica: r1, job: ignored}\n"
                        "scrape_configs: []\n";
  std::string config = absl::StrFormat(
      "control_listen: 127.0.0.1:0\n"
      "scrape_config_file: %s\n"
      "remote_write: {target: %s, batch_send_deadline: 10ms}\n"
      "self_metrics: {interval: 100ms, job: selftest}\n",
      yml, sink.address());
  char err[256] = {0};
  promscrape_plugin* plugin =
      api.start(WithOwnWal(config).c_str(), &host, err, sizeof err);
  ASSERT_NE(plugin, nullptr) << err;
  ASSERT_TRUE(sink.WaitForSamples(10, absl::Seconds(20)));
  api.stop(plugin);
  int checked = 0;
  for (const auto& request : sink.requests()) {
    for (const auto& ts : request.timeseries()) {
      std::map<std::string, std::string> labels;
      for (const auto& l : ts.labels()) labels[l.name()] = l.value();
      EXPECT_EQ(labels["replica"], "r1");
      EXPECT_EQ(labels["job"], "selftest");
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

// Prometheus 3.x' config auto-reload: the plugin re-reads scrape_config_file
// every scrape_config_reload_interval and applies a changed one; a broken
// edit keeps the running config.
TEST(AbiTest, ChangedScrapeConfigFileIsReappliedAndABrokenOneIsNot) {
  const Api& api = LoadApi();
  FakeRemoteWrite sink;
  LogRecorder log;
  promscrape_host host = HostFor(log);
  const std::string yml =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/reload.yml");
  std::ofstream(yml) << "global:\n  external_labels: {replica: r1}\n"
                        "scrape_configs: []\n";
  std::string config = absl::StrFormat(
      "control_listen: 127.0.0.1:0\n"
      "scrape_config_file: %s\n"
      "scrape_config_reload_interval: 100ms\n"
      "remote_write: {target: %s, batch_send_deadline: 10ms}\n"
      "self_metrics: {interval: 100ms, job: selftest}\n",
      yml, sink.address());
  char err[256] = {0};
  promscrape_plugin* plugin =
      api.start(WithOwnWal(config).c_str(), &host, err, sizeof err);
  ASSERT_NE(plugin, nullptr) << err;
  // The replica label of the newest self-metrics sample the sink holds.
  auto newest_replica = [&sink] {
    std::string replica;
    for (const auto& request : sink.requests()) {
      for (const auto& ts : request.timeseries()) {
        for (const auto& l : ts.labels()) {
          if (l.name() == "replica") replica = l.value();
        }
      }
    }
    return replica;
  };
  auto wait_for = [&](const std::string& want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (newest_replica() != want && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    return newest_replica();
  };
  EXPECT_EQ(wait_for("r1"), "r1");
  std::ofstream(yml) << "global:\n  external_labels: {replica: r2}\n"
                        "scrape_configs: []\n";
  EXPECT_EQ(wait_for("r2"), "r2");
  // A broken edit: logged, the r2 config keeps running.
  std::ofstream(yml) << "global:\n  external_labels: {replica: [}\n";
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!log.Contains("config auto-reload failed") &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(log.Contains("config auto-reload failed"));
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(newest_replica(), "r2");
  api.stop(plugin);
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
  promscrape_plugin* plugin = api.start(WithOwnWal(config).c_str(), &host, err, sizeof err);
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
  promscrape_plugin* plugin = api.start(WithOwnWal(config).c_str(), &host, err, sizeof err);
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

// start_timestamps: attach: an OpenMetrics `_created` line reaches the host
// as the start timestamp of its counter's samples, not as a series.
TEST(AbiTest, StartTimestampsReachTheHost) {
  const Api& api = LoadApi();
  FakeRemoteWrite sink;
  auto target = testing::TestHttpServer::Start([](const testing::TestHttpRequest&) {
    testing::TestHttpResponse r;
    r.headers.push_back(
        {"Content-Type", "application/openmetrics-text; version=1.0.0"});
    r.body = "# TYPE jobs counter\njobs_total 3\njobs_created 1700000000.5\n# EOF\n";
    return r;
  });
  ASSERT_TRUE(target.ok()) << target.status();
  const std::string scrape_file =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/st_prometheus.yml");
  {
    std::ofstream out(scrape_file);
    out << "scrape_configs:\n  - job_name: st\n    scrape_interval: 1h\n"
           "    scrape_timeout: 10s\n"
           "    static_configs: [{targets: [\"127.0.0.1:"
        << (*target)->port() << "\"]}]\n";
  }
  std::string config = absl::StrFormat(
      "control_listen: 127.0.0.1:0\n"
      "scrape_config_file: %s\n"
      "start_timestamps: attach\n"
      "scrape_on_shutdown: true\n"
      "initial_scrape_offset: 1h\n"
      "remote_write: {target: %s, batch_send_deadline: 1h, "
      "flush_timeout: 20s}\n"
      "self_metrics: {enabled: false}\n",
      scrape_file, sink.address());
  LogRecorder log;
  promscrape_host host = HostFor(log);
  char err[256] = {0};
  promscrape_plugin* plugin =
      api.start(WithOwnWal(config).c_str(), &host, err, sizeof err);
  ASSERT_NE(plugin, nullptr) << err;
  api.stop(plugin);
  int counters = 0;
  for (const auto& request : sink.requests()) {
    for (const auto& ts : request.timeseries()) {
      for (const auto& l : ts.labels()) {
        if (l.name() != "__name__") continue;
        EXPECT_NE(l.value(), "jobs_created");
        if (l.value() == "jobs_total") {
          ++counters;
          EXPECT_EQ(ts.samples(0).value(), 3);
          EXPECT_EQ(ts.samples(0).start_timestamp(), 1700000000500);
        }
        if (l.value() == "up") {
          EXPECT_EQ(ts.samples(0).start_timestamp(), 0);
        }
      }
    }
  }
  EXPECT_EQ(counters, 1);
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
      "control_listen: 127.0.0.1:%s\n"
      "remote_write: {target: %s, wal_dir: second-wal}\n",
      port, sink.address());
  EXPECT_EQ(api.start(second_config.c_str(), &host, err, sizeof err), nullptr);
  EXPECT_THAT(err, HasSubstr("cannot listen on \"127.0.0.1:" + port));
  // Two plugins never share a write-ahead log: the second is refused with
  // the directory named.
  std::string same_wal = absl::StrFormat(
      "control_listen: 127.0.0.1:0\nremote_write: {target: %s}\n",
      sink.address());
  EXPECT_EQ(api.start(same_wal.c_str(), &host, err, sizeof err), nullptr);
  EXPECT_THAT(err, HasSubstr("remote_write.wal_dir \"promscrape-wal\""));
  EXPECT_THAT(err, HasSubstr("in use by another log"));
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
      api.start(WithOwnWal(config).c_str(), nullptr, err, sizeof err);
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
  promscrape_plugin* plugin = api.start(WithOwnWal(config).c_str(), &host, err, sizeof err);
  ASSERT_NE(plugin, nullptr) << err;
  api.stop(plugin);
  const int baseline = ThreadCount();
  for (int i = 0; i < 100; ++i) {
    plugin = api.start(WithOwnWal(config).c_str(), &host, err, sizeof err);
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
