// Differential end-to-end test: Prometheus 2.42 (/usr/bin/prometheus) and
// scrape_host with the plugin scrape the same local targets with the same
// prometheus.yml at the same time; then what each stored is compared.
//
// The targets (TestHttpServer on 127.0.0.1:0, fixed text-format payloads):
//   app       counters, gauges, a histogram, a summary, label escapes,
//             NaN/+Inf/-Inf values, an explicit-timestamp sample; scraped by
//             job "app" with relabel_configs and metric_relabel_configs, next
//             to a static target that relabel_configs drops
//   conflict  target-side job/instance labels; scraped by job "honor"
//             (honor_labels: true) and job "nohonor" (exported_*)
//   stopper   stops listening midway: failed scrapes, up=0, staleness
//   vanish    one series disappears from the payload midway: staleness
//   broken    one target answering 500 and one port nobody listens on
//
// What is compared, on data cut at the same wall time T_cut (plugin samples
// with t > T_cut are ignored, Prometheus is queried at T_cut):
//   1. Series identity: the sets of full label sets (with job, instance and
//      the five report series) are equal. Prometheus' set is the range
//      query {job=~".+"}[5m], checked against /api/v1/series.
//   2. Values: scrape times differ between the engines, so samples are not
//      paired by time. For every series except scrape_duration_seconds the
//      set of distinct stored values (staleness markers aside) must be equal;
//      the payloads are fixed, so these sets are deterministic (up of stopper
//      is {1, 0}, scrape_series_added is {n, 0}, ...). For the
//      explicit-timestamp series the distinct (t, v) pairs must be equal.
//   3. Staleness: Prometheus' query API never returns staleness markers. A
//      series whose last sample is a marker is missing from the instant query
//      {job=~".+"} at T_cut although the range query has it (without the
//      marker the 5m lookback would find it): those are the series Prometheus
//      ended. On the plugin side they are the series whose last sample is
//      StaleNaN. Both sets must be equal, and equal to the series of stopper
//      and the vanished series.
//
// Takes about 10 s: Prometheus applies targets 5 s after start.

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/e2e/prometheus_api.h"
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
using ::promscrape::testing::NowMs;

constexpr char kPrometheus[] = "/usr/bin/prometheus";
constexpr char kHost[] = "tools/host/scrape_host";
constexpr absl::Duration kPhaseTimeout = absl::Seconds(45);

// Calls `done` every 200 ms until it returns true or `timeout` passes.
bool PollUntil(absl::Duration timeout, const std::function<bool()>& done) {
  absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return true;
}

std::string AppPayload(int64_t explicit_ts_ms) {
  return absl::StrCat(R"(# HELP http_requests_total Total HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method="get",code="200"} 1027
http_requests_total{method="post",code="500"} 3
# HELP temperature_celsius A gauge with escaped label values.
# TYPE temperature_celsius gauge
temperature_celsius{room="a \"quoted\" \\ back\nslash"} 21.5
temperature_celsius{room="plain"} -4.25e-3
# TYPE weird_values gauge
weird_values{kind="nan"} NaN
weird_values{kind="pinf"} +Inf
weird_values{kind="ninf"} -Inf
# TYPE dropped_metric gauge
dropped_metric 1
# TYPE with_tmp gauge
with_tmp{tmp_label="x",keep="y"} 7
# TYPE explicit_ts gauge
explicit_ts 42 )",
                      explicit_ts_ms, R"(
# HELP request_duration_seconds A histogram.
# TYPE request_duration_seconds histogram
request_duration_seconds_bucket{le="0.1"} 5
request_duration_seconds_bucket{le="0.5"} 9
request_duration_seconds_bucket{le="+Inf"} 12
request_duration_seconds_sum 3.25
request_duration_seconds_count 12
# HELP rpc_latency_seconds A summary.
# TYPE rpc_latency_seconds summary
rpc_latency_seconds{quantile="0.5"} 0.012
rpc_latency_seconds{quantile="0.99"} NaN
rpc_latency_seconds_sum 1.5
rpc_latency_seconds_count 100
untyped_metric 5
)");
}

constexpr char kConflictPayload[] =
    R"(# TYPE conflict_metric gauge
conflict_metric{job="from_target",instance="inside:1"} 1
conflict_metric{job="from_target"} 2
plain_metric 3
)";

constexpr char kStopperPayload[] = R"(# TYPE stopper_gauge gauge
stopper_gauge{a="1"} 1
# TYPE stopper_counter_total counter
stopper_counter_total 5
)";

TestHttpResponse TextResponse(std::string body) {
  TestHttpResponse r;
  r.headers = {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}};
  r.body = std::move(body);
  return r;
}

std::unique_ptr<TestHttpServer> StartServer(TestHttpServer::Handler handler) {
  auto server = TestHttpServer::Start(std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(server).value() : nullptr;
}

std::string Address(int port) { return absl::StrCat("127.0.0.1:", port); }

std::string PrometheusYaml(int app, int conflict, int stopper, int vanish,
                           int error500, int down) {
  return absl::StrReplaceAll(
      R"yaml(global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  external_labels:
    ignored_by_scrape: "yes"
scrape_configs:
  - job_name: app
    static_configs:
      - targets: ["$APP"]
        labels:
          team: "a"
      - targets: ["127.0.0.1:1"]
        labels:
          skip: "yes"
    relabel_configs:
      - source_labels: [skip]
        regex: "yes"
        action: drop
      - source_labels: [__address__]
        regex: '127\.0\.0\.1:(\d+)'
        target_label: port_label
        replacement: 'p${1}'
      - target_label: env
        replacement: ci
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: dropped_.*
        action: drop
      - action: labeldrop
        regex: tmp_label
      - source_labels: [method, code]
        separator: "_"
        regex: "(.+)_(.+)"
        target_label: method_code
        replacement: "$1-$2"
  - job_name: honor
    honor_labels: true
    static_configs:
      - targets: ["$CONFLICT"]
  - job_name: nohonor
    static_configs:
      - targets: ["$CONFLICT"]
        labels:
          zone: z1
  - job_name: stopper
    static_configs:
      - targets: ["$STOPPER"]
  - job_name: vanish
    static_configs:
      - targets: ["$VANISH"]
  - job_name: broken
    static_configs:
      - targets: ["$ERROR500", "$DOWN"]
)yaml",
      {{"$APP", Address(app)},
       {"$CONFLICT", Address(conflict)},
       {"$STOPPER", Address(stopper)},
       {"$VANISH", Address(vanish)},
       {"$ERROR500", Address(error500)},
       {"$DOWN", Address(down)}});
}

// The fewest `up` samples with t >= `since_ms` among `jobs` in `series`.
int MinUpSamples(const SeriesMap& series, const std::vector<std::string>& jobs,
                 int64_t since_ms) {
  int fewest = -1;
  for (const std::string& job : jobs) {
    int n = 0;
    for (const auto& [labels, samples] : series) {
      auto name = labels.find("__name__");
      auto j = labels.find("job");
      if (name == labels.end() || name->second != "up" || j == labels.end() ||
          j->second != job) {
        continue;
      }
      for (const StoredSample& s : samples) n += s.t_ms >= since_ms;
    }
    fewest = fewest < 0 ? n : std::min(fewest, n);
  }
  return std::max(fewest, 0);
}

std::string Name(const LabelSet& labels) {
  auto it = labels.find("__name__");
  return it == labels.end() ? "" : it->second;
}

std::set<std::string> DistinctValues(const std::vector<StoredSample>& samples,
                                     bool with_time) {
  std::set<std::string> out;
  for (const StoredSample& s : samples) {
    if (s.value == "StaleNaN") continue;
    out.insert(with_time ? absl::StrCat(s.t_ms, "@", s.value) : s.value);
  }
  return out;
}

// The series whose last sample (by time, then storage order) is StaleNaN.
std::set<LabelSet> EndedInSampleFile(const SeriesMap& series) {
  std::set<LabelSet> out;
  for (const auto& [labels, samples] : series) {
    const StoredSample* last = nullptr;
    for (const StoredSample& s : samples) {
      if (last == nullptr || s.t_ms >= last->t_ms) last = &s;
    }
    if (last != nullptr && last->value == "StaleNaN") out.insert(labels);
  }
  return out;
}

// Prometheus keeps global.external_labels out of its own TSDB and adds them
// only to what leaves it (remote write, federation); the plugin's stream is
// such an outgoing stream, so every series it sends carries them. Returns
// `series` with `name` removed, and the series that lacked `name`="`value`"
// in `missing`.
SeriesMap WithoutExternalLabel(const SeriesMap& series, const std::string& name,
                               const std::string& value,
                               std::set<LabelSet>* missing) {
  SeriesMap out;
  for (const auto& [labels, samples] : series) {
    auto it = labels.find(name);
    if (it == labels.end() || it->second != value) missing->insert(labels);
    LabelSet stripped = labels;
    stripped.erase(name);
    std::vector<StoredSample>& dst = out[stripped];
    dst.insert(dst.end(), samples.begin(), samples.end());
  }
  return out;
}

std::set<LabelSet> Keys(const SeriesMap& m) {
  std::set<LabelSet> out;
  for (const auto& [labels, samples] : m) out.insert(labels);
  return out;
}

std::string FormatSet(const std::set<LabelSet>& set) {
  std::vector<std::string> lines;
  for (const LabelSet& l : set) lines.push_back("    " + FormatLabels(l));
  return lines.empty() ? "    (none)\n" : absl::StrJoin(lines, "\n") + "\n";
}

std::string FormatValues(const std::set<std::string>& values) {
  return absl::StrCat("{", absl::StrJoin(values, ", "), "}");
}

// Empty when the stores agree; otherwise a readable diff.
std::string CompareStores(const SeriesMap& prom, const SeriesMap& ours) {
  std::string diff;
  std::set<LabelSet> only_prom, only_ours;
  for (const auto& [labels, samples] : prom) {
    if (!ours.contains(labels)) only_prom.insert(labels);
  }
  for (const auto& [labels, samples] : ours) {
    if (!prom.contains(labels)) only_ours.insert(labels);
  }
  if (!only_prom.empty()) {
    absl::StrAppend(&diff, "  series only Prometheus stored:\n",
                    FormatSet(only_prom));
  }
  if (!only_ours.empty()) {
    absl::StrAppend(&diff, "  series only the plugin stored:\n",
                    FormatSet(only_ours));
  }
  for (const auto& [labels, prom_samples] : prom) {
    auto it = ours.find(labels);
    if (it == ours.end() || Name(labels) == "scrape_duration_seconds") {
      continue;
    }
    const bool with_time = Name(labels) == "explicit_ts";
    std::set<std::string> p = DistinctValues(prom_samples, with_time);
    std::set<std::string> o = DistinctValues(it->second, with_time);
    if (p != o) {
      absl::StrAppend(&diff, "  values differ for ", FormatLabels(labels),
                      ":\n    Prometheus ", FormatValues(p), "\n    plugin     ",
                      FormatValues(o), "\n");
    }
  }
  return diff;
}

std::string Tail(const std::string& text, size_t n = 3000) {
  return text.size() <= n ? text : "..." + text.substr(text.size() - n);
}

TEST(PrometheusCompareTest, PluginStoresWhatPrometheusStores) {
  ASSERT_EQ(access(kPrometheus, X_OK), 0)
      << kPrometheus << " missing: run tools/scripts/setup.sh";
  const int64_t start_ms = NowMs();

  std::atomic<bool> vanished{false};
  auto app = StartServer([payload = AppPayload(start_ms - 30000)](
                             const TestHttpRequest&) {
    return TextResponse(payload);
  });
  auto conflict = StartServer(
      [](const TestHttpRequest&) { return TextResponse(kConflictPayload); });
  auto stopper = StartServer(
      [](const TestHttpRequest&) { return TextResponse(kStopperPayload); });
  auto vanish = StartServer([&vanished](const TestHttpRequest&) {
    return TextResponse(vanished.load()
                            ? "always 1\n"
                            : "always 1\nvanishing{k=\"v\"} 2\n");
  });
  auto error500 = StartServer([](const TestHttpRequest&) {
    TestHttpResponse r = TextResponse("internal error\n");
    r.status = 500;
    r.reason = "Internal Server Error";
    return r;
  });
  ASSERT_TRUE(app && conflict && stopper && vanish && error500);
  // Privileged and never listened on: connection refused, no port race.
  const int down_port = 1;

  const std::string prometheus_yml = WriteTmpFile(
      "prometheus.yml",
      PrometheusYaml(app->port(), conflict->port(), stopper->port(),
                     vanish->port(), error500->port(), down_port));
  const std::string samples_path = TmpDir() + "/plugin_samples.jsonl";
  const std::string host_yaml = WriteTmpFile(
      "host.yaml",
      absl::StrCat("listen: 127.0.0.1:0\nstorage:\n  file: ", samples_path,
                   "\nplugins:\n  - path: ", PluginPath(),
                   "\n    config:\n      control_listen: 127.0.0.1:",
                   PickUnusedPort(), "\n      scrape_config_file: ",
                   prometheus_yml,
                   "\n      reload_interval: 1s"
                   // The oracle is Debian's Prometheus 2.42.
                   "\n      prometheus_compat: \"2\""
                   "\n      self_metrics:\n        enabled: false"
                   "\n      remote_write:\n        batch_send_deadline: "
                   "100ms\n"));

  const int prom_port = PickUnusedPort();
  auto prometheus = Subprocess::Start(
      {kPrometheus, "--config.file=" + prometheus_yml,
       "--storage.tsdb.path=" + TmpDir() + "/prometheus-data",
       absl::StrCat("--web.listen-address=127.0.0.1:", prom_port),
       "--log.level=warn"});
  ASSERT_TRUE(prometheus.ok()) << prometheus.status();
  auto host = Subprocess::Start({kHost, "--config", host_yaml});
  ASSERT_TRUE(host.ok()) << host.status();
  ASSERT_TRUE((*host)->WaitForOutput("storing samples in", absl::Seconds(30)))
      << "scrape_host did not start:\n" << (*host)->output();
  PrometheusApi api(prom_port);
  ASSERT_TRUE(PollUntil(absl::Seconds(30), [&] { return api.Ready(); }))
      << "prometheus not ready:\n" << Tail((*prometheus)->output());

  const std::vector<std::string> changing_jobs = {"stopper", "vanish"};
  // Both engines scrape the targets twice or more in each phase.
  auto scraped_since = [&](int64_t since_ms, std::string* why) {
    absl::StatusOr<SeriesMap> prom =
        api.Range(R"(up{job=~"stopper|vanish"})", NowMs());
    absl::StatusOr<SeriesMap> ours = ReadSampleFile(samples_path, INT64_MAX);
    int p = prom.ok() ? MinUpSamples(*prom, changing_jobs, since_ms) : 0;
    int o = ours.ok() ? MinUpSamples(*ours, changing_jobs, since_ms) : 0;
    *why = absl::StrCat("up samples per target since ", since_ms,
                        ": Prometheus ", p, " (",
                        prom.ok() ? "ok" : prom.status().ToString(),
                        "), plugin ", o, " (",
                        ours.ok() ? "ok" : ours.status().ToString(), ")");
    return p >= 2 && o >= 2;
  };
  std::string why;
  ASSERT_TRUE(PollUntil(kPhaseTimeout, [&] { return scraped_since(0, &why); }))
      << "before the change: " << why << "\nscrape_host output:\n"
      << Tail((*host)->output());

  const int64_t switch_ms = NowMs();
  vanished.store(true);
  stopper.reset();
  ASSERT_TRUE(PollUntil(kPhaseTimeout,
                        [&] { return scraped_since(switch_ms + 1, &why); }))
      << "after the change: " << why << "\nscrape_host output:\n"
      << Tail((*host)->output());

  const int64_t cut_ms = NowMs();
  absl::StatusOr<SeriesMap> prom_range = api.Range(R"({job=~".+"})", cut_ms);
  ASSERT_TRUE(prom_range.ok()) << prom_range.status();
  absl::StatusOr<SeriesMap> prom_instant =
      api.Instant(R"({job=~".+"})", cut_ms);
  ASSERT_TRUE(prom_instant.ok()) << prom_instant.status();
  absl::StatusOr<std::set<LabelSet>> prom_series_api =
      api.Series(R"({job=~".+"})", cut_ms - 5 * 60 * 1000, cut_ms);
  ASSERT_TRUE(prom_series_api.ok()) << prom_series_api.status();

  (*host)->Signal(SIGTERM);
  EXPECT_EQ((*host)->Wait(absl::Seconds(60)), 0) << Tail((*host)->output());
  (*prometheus)->Signal(SIGTERM);
  (*prometheus)->Wait(absl::Seconds(30));

  absl::StatusOr<SeriesMap> sent = ReadSampleFile(samples_path, cut_ms);
  ASSERT_TRUE(sent.ok()) << sent.status();
  std::set<LabelSet> lacking_external;
  absl::StatusOr<SeriesMap> ours = WithoutExternalLabel(
      *sent, "ignored_by_scrape", "yes", &lacking_external);
  EXPECT_TRUE(lacking_external.empty())
      << "series sent without global.external_labels:\n"
      << FormatSet(lacking_external);

  // The config took effect in Prometheus the way the comparison assumes.
  const std::set<LabelSet> prom_series = Keys(*prom_range);
  EXPECT_GE(prom_series.size(), 40u);
  // The series index and the raw samples agree.
  EXPECT_EQ(*prom_series_api, prom_series)
      << "/api/v1/series:\n" << FormatSet(*prom_series_api)
      << "range query:\n" << FormatSet(prom_series);
  const std::string app_instance = Address(app->port());
  EXPECT_TRUE(prom_series.contains(LabelSet{
      {"__name__", "temperature_celsius"},
      {"env", "ci"},
      {"instance", app_instance},
      {"job", "app"},
      {"port_label", absl::StrCat("p", app->port())},
      {"room", "a \"quoted\" \\ back\nslash"},
      {"team", "a"}}))
      << FormatSet(prom_series);
  EXPECT_TRUE(prom_series.contains(LabelSet{
      {"__name__", "conflict_metric"},
      {"exported_instance", "inside:1"},
      {"exported_job", "from_target"},
      {"instance", Address(conflict->port())},
      {"job", "nohonor"},
      {"zone", "z1"}}))
      << FormatSet(prom_series);

  std::string diff = CompareStores(*prom_range, *ours);
  EXPECT_TRUE(diff.empty()) << "Prometheus (left) and the plugin (right) "
                               "stored different data:\n"
                            << diff;

  std::set<LabelSet> prom_ended;
  for (const LabelSet& labels : prom_series) {
    if (!prom_instant->contains(labels)) prom_ended.insert(labels);
  }
  const std::set<LabelSet> ours_ended = EndedInSampleFile(*ours);
  std::set<LabelSet> want_ended;
  for (const LabelSet& labels : prom_series) {
    const std::string name = Name(labels);
    if (name == "stopper_gauge" || name == "stopper_counter_total" ||
        name == "vanishing") {
      want_ended.insert(labels);
    }
  }
  EXPECT_EQ(want_ended.size(), 3u);
  EXPECT_EQ(prom_ended, want_ended)
      << "Prometheus ended:\n" << FormatSet(prom_ended) << "want:\n"
      << FormatSet(want_ended);
  EXPECT_EQ(ours_ended, want_ended)
      << "the plugin ended (last sample StaleNaN):\n" << FormatSet(ours_ended)
      << "want:\n" << FormatSet(want_ended);
}

}  // namespace
}  // namespace promscrape::testing
