// The reference host's forwarder against real receivers: Debian's
// Prometheus 2.42 (--web.enable-remote-write-receiver) and VictoriaMetrics,
// each on loopback. Two scrape_host processes with the plugin scrape one
// local target (a counter, a gauge with escaped label values, a series
// with many labels, a series that vanishes midway and so ends with a
// staleness marker) and each forwards to one receiver. Once the hosts have
// stopped (everything flushed and acknowledged), each receiver must hold
// exactly what its host wrote to its sample file: the same label sets
// (global.external_labels included, which the plugin adds), and per series
// the same timestamps and values. Staleness markers are left out of the
// comparison: Prometheus' query API never returns them.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/e2e/stored_series.h"
#include "tests/testutil/http_get.h"
#include "tests/testutil/subprocess.h"
#include "tests/testutil/test_files.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape::testing {
namespace {

using ::promscrape::testing::TmpDir;
using ::promscrape::testing::WriteTmpFile;
using ::promscrape::testing::PluginPath;

constexpr char kPrometheus[] = "/usr/bin/prometheus";
constexpr char kVictoriaMetrics[] = "/usr/bin/victoria-metrics";
constexpr char kHost[] = "tools/host/scrape_host";
// Scrapes of the target (by both hosts together) before it drops
// e2e_vanishing, and before the test stops the hosts.
constexpr int kVanishAfterHits = 8;
constexpr int kStopAfterHits = 16;

bool PollUntil(absl::Duration timeout, const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return true;
}

bool Returns200(const std::string& url) {
  absl::StatusOr<HttpGetResponse> r = HttpGet(url, absl::Seconds(2));
  return r.ok() && r->status == 200;
}

absl::StatusOr<std::string> Get(const std::string& url) {
  absl::StatusOr<HttpGetResponse> r = HttpGet(url, absl::Seconds(20));
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("GET \"", url, "\": status ", r->status, ": ", r->body));
  }
  return r->body;
}

std::string Payload(int hit) {
  std::string labels;
  for (int i = 1; i <= 20; ++i) {
    absl::StrAppend(&labels, i > 1 ? "," : "",
                    absl::StrFormat("l%02d=\"value-%02d-%s\"", i, i,
                                    std::string(i, 'x')));
  }
  std::string out = absl::StrCat(
      "# HELP e2e_requests_total Requests served.\n"
      "# TYPE e2e_requests_total counter\n"
      "e2e_requests_total{method=\"get\"} ",
      hit * 3,
      "\n# TYPE e2e_temperature gauge\n"
      "e2e_temperature{room=\"a \\\"quoted\\\" \\\\ back\\nslash\"} ",
      21.5 + hit * 0.25,
      "\n# TYPE e2e_labels gauge\ne2e_labels{", labels, "} ", hit, "\n");
  if (hit < kVanishAfterHits) absl::StrAppend(&out, "e2e_vanishing 7\n");
  return out;
}

// scrape_host with the plugin, forwarding to `receiver_url`.
std::string HostYaml(const std::string& name, int target_port,
                     const std::string& receiver_url) {
  const std::string prometheus_yml = WriteTmpFile(
      name + "-prometheus.yml",
      absl::StrCat("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                   "  external_labels:\n    replica: ",
                   name,
                   "\nscrape_configs:\n  - job_name: e2e\n    static_configs:\n"
                   "      - targets: [\"127.0.0.1:",
                   target_port, "\"]\n"));
  return WriteTmpFile(
      name + "-host.yaml",
      absl::StrCat("listen: 127.0.0.1:0\nstorage:\n  file: ", TmpDir(), "/",
                   name, "-samples.jsonl\n  remote_write_url: ", receiver_url,
                   "\n  remote_write_max_retries: 5\nplugins:\n  - path: ",
                   PluginPath(),
                   "\n    config:\n      control_listen: 127.0.0.1:",
                   PickUnusedPort(), "\n      scrape_config_file: ",
                   prometheus_yml,
                   "\n      self_metrics:\n        enabled: false"
                   "\n      remote_write:\n        wal_dir: ",
                   TmpDir(), "/", name,
                   "-wal\n        batch_send_deadline: 100ms\n"));
}

// `series` without staleness markers (and series left empty by that).
SeriesMap WithoutStaleness(const SeriesMap& series) {
  SeriesMap out;
  for (const auto& [labels, samples] : series) {
    std::vector<StoredSample> kept;
    for (const StoredSample& s : samples) {
      if (s.value != "StaleNaN" && s.value != "NaN") kept.push_back(s);
    }
    if (!kept.empty()) out[labels] = std::move(kept);
  }
  return out;
}

std::string FormatSamples(const std::vector<StoredSample>& samples) {
  std::vector<std::string> parts;
  for (const StoredSample& s : samples) {
    parts.push_back(absl::StrCat(s.t_ms, "=", s.value));
  }
  return absl::StrJoin(parts, " ");
}

// Empty when equal; otherwise what differs.
std::string Diff(const SeriesMap& file, const SeriesMap& receiver) {
  std::string diff;
  for (const auto& [labels, samples] : file) {
    auto it = receiver.find(labels);
    if (it == receiver.end()) {
      absl::StrAppend(&diff, "  missing in the receiver: ",
                      FormatLabels(labels), "\n");
      continue;
    }
    std::vector<StoredSample> got = it->second;
    std::vector<StoredSample> want = samples;
    auto by_time = [](const StoredSample& a, const StoredSample& b) {
      return a.t_ms < b.t_ms;
    };
    std::stable_sort(got.begin(), got.end(), by_time);
    std::stable_sort(want.begin(), want.end(), by_time);
    bool same = got.size() == want.size();
    for (size_t i = 0; same && i < got.size(); ++i) {
      same = got[i].t_ms == want[i].t_ms && got[i].value == want[i].value;
    }
    if (!same) {
      absl::StrAppend(&diff, "  samples differ for ", FormatLabels(labels),
                      ":\n    file     ", FormatSamples(want),
                      "\n    receiver ", FormatSamples(got), "\n");
    }
  }
  for (const auto& [labels, samples] : receiver) {
    if (!file.contains(labels)) {
      absl::StrAppend(&diff, "  only in the receiver: ", FormatLabels(labels),
                      "\n");
    }
  }
  return diff;
}

// Names of the series in `series`, to check the test saw what it meant to.
std::set<std::string> Names(const SeriesMap& series) {
  std::set<std::string> out;
  for (const auto& [labels, samples] : series) {
    auto it = labels.find("__name__");
    if (it != labels.end()) out.insert(it->second);
  }
  return out;
}

TEST(RemoteWriteReceiversTest, ReceiversStoreExactlyWhatTheHostStored) {
  ASSERT_EQ(access(kPrometheus, X_OK), 0)
      << kPrometheus << " missing: run tools/scripts/setup.sh";
  ASSERT_EQ(access(kVictoriaMetrics, X_OK), 0)
      << kVictoriaMetrics << " missing: run tools/scripts/setup.sh";

  std::atomic<int> hits{0};
  auto target = TestHttpServer::Start([&hits](const TestHttpRequest&) {
    TestHttpResponse r;
    r.headers = {{"Content-Type", "text/plain; version=0.0.4"}};
    r.body = Payload(hits.fetch_add(1) + 1);
    return r;
  });
  ASSERT_TRUE(target.ok()) << target.status();

  const int prom_port = PickUnusedPort();
  const std::string prom_base = absl::StrCat("http://127.0.0.1:", prom_port);
  auto prometheus = Subprocess::Start(
      {kPrometheus, "--config.file=" + WriteTmpFile("empty.yml", "global: {}\n"),
       "--web.enable-remote-write-receiver",
       "--storage.tsdb.path=" + TmpDir() + "/prometheus-data",
       absl::StrCat("--web.listen-address=127.0.0.1:", prom_port),
       "--log.level=warn"});
  ASSERT_TRUE(prometheus.ok()) << prometheus.status();
  const int vm_port = PickUnusedPort();
  const std::string vm_base = absl::StrCat("http://127.0.0.1:", vm_port);
  auto vm = Subprocess::Start(
      {kVictoriaMetrics, absl::StrCat("-httpListenAddr=127.0.0.1:", vm_port),
       "-storageDataPath=" + TmpDir() + "/vm-data", "-loggerLevel=ERROR",
       "-search.latencyOffset=0s"});
  ASSERT_TRUE(vm.ok()) << vm.status();
  ASSERT_TRUE(PollUntil(absl::Seconds(30),
                        [&] { return Returns200(prom_base + "/-/ready"); }))
      << "prometheus not ready:\n" << (*prometheus)->output();
  ASSERT_TRUE(PollUntil(absl::Seconds(30),
                        [&] { return Returns200(vm_base + "/health"); }))
      << "victoria-metrics not ready:\n" << (*vm)->output();

  struct Receiver {
    std::string name;
    std::string write_url;
    std::unique_ptr<Subprocess> host;
  };
  std::vector<Receiver> receivers(2);
  receivers[0].name = "prometheus";
  receivers[0].write_url = prom_base + "/api/v1/write";
  receivers[1].name = "victoriametrics";
  receivers[1].write_url = vm_base + "/api/v1/write";
  for (Receiver& r : receivers) {
    auto host = Subprocess::Start(
        {kHost, "--config", HostYaml(r.name, (*target)->port(), r.write_url)});
    ASSERT_TRUE(host.ok()) << host.status();
    r.host = std::move(host).value();
    ASSERT_TRUE(r.host->WaitForOutput("storing samples in", absl::Seconds(30)))
        << r.name << " host did not start:\n" << r.host->output();
  }
  ASSERT_TRUE(PollUntil(absl::Seconds(60),
                        [&] { return hits.load() >= kStopAfterHits; }))
      << "the target was scraped " << hits.load() << " times";
  for (Receiver& r : receivers) r.host->Signal(SIGTERM);
  for (Receiver& r : receivers) {
    EXPECT_EQ(r.host->Wait(absl::Seconds(30)), 0) << r.host->output();
    EXPECT_EQ(r.host->output().find("rejected"), std::string::npos)
        << r.host->output();
  }

  for (Receiver& r : receivers) {
    SCOPED_TRACE(r.name);
    absl::StatusOr<SeriesMap> file =
        ReadSampleFile(TmpDir() + "/" + r.name + "-samples.jsonl", INT64_MAX);
    ASSERT_TRUE(file.ok()) << file.status();
    const SeriesMap want = WithoutStaleness(*file);
    EXPECT_EQ(Names(want),
              (std::set<std::string>{
                  "e2e_labels", "e2e_requests_total", "e2e_temperature",
                  "e2e_vanishing", "scrape_duration_seconds",
                  "scrape_samples_post_metric_relabeling",
                  "scrape_samples_scraped", "scrape_series_added", "up"}));
    // The vanished series ended with a staleness marker in the file.
    bool ended_stale = false;
    for (const auto& [labels, samples] : *file) {
      if (labels.at("__name__") == "e2e_vanishing") {
        ended_stale = !samples.empty() && samples.back().value == "StaleNaN";
      }
    }
    EXPECT_TRUE(ended_stale);

    const std::string selector =
        absl::StrCat("{replica=\"", r.name, "\"}");
    // What the receiver holds; VictoriaMetrics makes the last rows it took
    // searchable after a flush, so poll for a while before calling it a
    // difference.
    auto fetch = [&]() -> absl::StatusOr<SeriesMap> {
      if (r.name == "prometheus") {
        absl::StatusOr<std::string> body = Get(absl::StrCat(
            prom_base, "/api/v1/query?query=", UrlEncode(selector + "[15m]"),
            "&time=",
            absl::StrFormat("%.3f", absl::ToUnixMillis(absl::Now()) / 1000.0)));
        if (!body.ok()) return body.status();
        return ParsePrometheusMatrix(*body);
      }
      absl::StatusOr<std::string> flushed =
          Get(vm_base + "/internal/force_flush");
      if (!flushed.ok()) return flushed.status();
      absl::StatusOr<std::string> body = Get(absl::StrCat(
          vm_base, "/api/v1/export?match[]=", UrlEncode(selector)));
      if (!body.ok()) return body.status();
      return ParseVictoriaMetricsExport(*body);
    };
    std::string diff = "not queried";
    absl::Status last_error;
    PollUntil(absl::Seconds(20), [&] {
      absl::StatusOr<SeriesMap> got = fetch();
      if (!got.ok()) {
        last_error = got.status();
        return false;
      }
      diff = Diff(want, WithoutStaleness(*got));
      return diff.empty();
    });
    EXPECT_TRUE(diff.empty()) << r.name << " differs from the host's file ("
                              << last_error << "):\n"
                              << diff;
  }
}

}  // namespace
}  // namespace promscrape::testing
