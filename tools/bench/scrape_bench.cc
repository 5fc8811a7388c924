// scrape_bench: scrape throughput and cost of the engine (scrape_engine:
// the engine alone into a counting sink; or, with --engine host, the plugin
// inside scrape_host end to end) against Prometheus 2.42 in agent mode, both
// scraping the same target farm at the same time.
//
//   bazel run -c opt //tools/bench:scrape_bench -- --targets 1000
//       --series 100 --interval 10s --duration 60s   (one command line)
//
// Processes: target_farm (one or more, each holding as many targets as
// RLIMIT_NOFILE allows), scrape_host with the plugin (storage.file is
// /dev/null) and `prometheus --enable-feature=agent`. Both engines get the
// same prometheus.yml except metrics_path (/metrics/promscrape and
// /metrics/prometheus) so the farm counts their requests apart. CPU
// (utime+stime from /proc/<pid>/stat) and peak RSS (VmHWM from
// /proc/<pid>/status) are each engine process's alone, taken over the run
// from process start until the stop signal (start-up included). The farms'
// request counts end at the same moment (SIGUSR1 to target_farm).
//
// Output (stdout):
//   RESULT targets=<n> samples_per_s=<x> cpu_us_per_sample=<y>
//          rss_bytes_per_series=<z> missed_scrapes=<k> engine=promscrape ...
//   RESULT targets=<n> ... engine=prometheus ...
//   RATIO cpu=<prometheus/ours cpu_us_per_sample> rss=<prometheus/ours rss>
// samples: promscrape counts what scrape_host stored ("N samples stored");
// Prometheus counts served scrapes x (series + 5 report series).
// series = targets x (series + 5). missed_scrapes: per target, the scrapes
// missing between its first and last request (round((last - first) /
// interval) + 1 - requests), or duration / interval for a target never
// scraped; start-up delay is not a miss (Prometheus applies targets only
// 5 s after start). scrapes= and expected_scrapes= (targets x duration /
// interval) are printed as well. --reference=false skips Prometheus.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/testutil/subprocess.h"
#include "tools/bench/bench_farm.h"
#include "tools/bench/bench_process.h"

namespace promscrape::bench {
namespace {

using ::promscrape::testing::PickUnusedPort;
using ::promscrape::testing::Subprocess;

struct Flags {
  int64_t targets = 5;
  int64_t series = 10;
  absl::Duration interval = absl::Seconds(1);
  absl::Duration duration = absl::Seconds(3);
  bool reference = true;
  int64_t farm_threads = 1;
  int64_t workers = 0;  // scrape_engine's worker threads; 0 = cores
  bool inline_completions = true;  // scrape_engine --inline
  std::string farm = "tools/bench/target_farm";
  // "engine": the engine alone into a counting sink (scrape_engine);
  // "host": the plugin inside scrape_host, through the remote-write stream
  // to storage.file /dev/null (end to end).
  std::string engine = "engine";
  std::string engine_binary = "tools/bench/scrape_engine";
  std::string host = "tools/host/scrape_host";
  std::string plugin = "plugin/libpromscrape.so";
  std::string prometheus = "/usr/bin/prometheus";
  std::string workdir;
};

constexpr char kUsage[] =
    "usage: scrape_bench [--targets N] [--series M] [--interval 10s]\n"
    "  [--duration 60s] [--reference=true|false] [--farm_threads 1]\n"
    "  [--engine engine|host] [--workers N] [--inline=true|false]\n"
    "  [--workdir DIR] [--farm PATH] [--engine_binary PATH] [--host PATH]\n"
    "  [--plugin PATH]\n"
    "  [--prometheus PATH]\n";

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg == "--reference") {
      value = "true";
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    bool ok = true;
    if (arg == "--targets") {
      ok = absl::SimpleAtoi(value, &f.targets) && f.targets > 0;
    } else if (arg == "--series") {
      ok = absl::SimpleAtoi(value, &f.series) && f.series > 0;
    } else if (arg == "--interval") {
      ok = absl::ParseDuration(value, &f.interval) &&
           f.interval >= absl::Milliseconds(100);
    } else if (arg == "--duration") {
      ok = absl::ParseDuration(value, &f.duration) &&
           f.duration > absl::ZeroDuration();
    } else if (arg == "--reference") {
      ok = absl::SimpleAtob(value, &f.reference);
    } else if (arg == "--farm_threads") {
      ok = absl::SimpleAtoi(value, &f.farm_threads) && f.farm_threads > 0;
    } else if (arg == "--farm") {
      f.farm = value;
    } else if (arg == "--engine") {
      f.engine = value;
      ok = value == "engine" || value == "host";
    } else if (arg == "--workers") {
      ok = absl::SimpleAtoi(value, &f.workers) && f.workers >= 0;
    } else if (arg == "--inline") {
      ok = absl::SimpleAtob(value, &f.inline_completions);
    } else if (arg == "--engine_binary") {
      f.engine_binary = value;
    } else if (arg == "--host") {
      f.host = value;
    } else if (arg == "--plugin") {
      f.plugin = value;
    } else if (arg == "--prometheus") {
      f.prometheus = value;
    } else if (arg == "--workdir") {
      f.workdir = value;
    } else {
      ok = false;
    }
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad flag \"", arg, "\" value \"", value, "\"\n",
                       kUsage));
    }
  }
  return f;
}

struct EngineResult {
  std::string engine;
  double cpu_seconds = 0;
  int64_t peak_rss = 0;
  int64_t samples = 0;
  FarmCounts farm;
};

void PrintResult(const Flags& f, const EngineResult& r, double seconds) {
  const double series = static_cast<double>(f.targets * (f.series + 5));
  const int64_t expected = f.targets * static_cast<int64_t>(std::floor(
                                           absl::FDivDuration(f.duration,
                                                              f.interval)));
  // Targets never scraped miss every scrape of the run.
  const int64_t missed =
      r.farm.missed + (f.targets - r.farm.targets_scraped) *
                          (expected / std::max<int64_t>(f.targets, 1));
  std::printf(
      "RESULT targets=%lld samples_per_s=%.1f cpu_us_per_sample=%.3f "
      "rss_bytes_per_series=%.1f missed_scrapes=%lld engine=%s series=%lld "
      "interval_s=%g duration_s=%.1f samples=%lld scrapes=%lld "
      "expected_scrapes=%lld cpu_s=%.3f peak_rss_bytes=%lld\n",
      static_cast<long long>(f.targets),
      static_cast<double>(r.samples) / seconds,
      r.samples > 0 ? r.cpu_seconds * 1e6 / static_cast<double>(r.samples)
                    : 0.0,
      static_cast<double>(r.peak_rss) / series, static_cast<long long>(missed),
      r.engine.c_str(), static_cast<long long>(f.series),
      absl::ToDoubleSeconds(f.interval), seconds,
      static_cast<long long>(r.samples), static_cast<long long>(r.farm.scrapes),
      static_cast<long long>(expected), r.cpu_seconds,
      static_cast<long long>(r.peak_rss));
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "scrape_bench: %s\n",
               std::string(status.message()).c_str());
  return 1;
}

int Run(int argc, char** argv) {
  absl::StatusOr<Flags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) return Fail(flags.status());
  Flags& f = *flags;
  for (std::string* path :
       {&f.farm, &f.engine_binary, &f.host, &f.plugin, &f.prometheus}) {
    *path = Absolute(*path);
  }

  if (f.workdir.empty()) {
    absl::StatusOr<std::string> dir = MakeWorkDir("scrape_bench");
    if (!dir.ok()) return Fail(dir.status());
    f.workdir = *dir;
  }
  std::fprintf(stderr, "scrape_bench: work directory %s\n", f.workdir.c_str());

  // Each farm target holds a listener plus one connection per scraper.
  TargetFarms::Options farm_options;
  farm_options.binary = f.farm;
  farm_options.workdir = f.workdir;
  farm_options.targets = f.targets;
  farm_options.series = f.series;
  farm_options.threads = f.farm_threads;
  farm_options.scrapers = f.reference ? 2 : 1;
  absl::StatusOr<std::unique_ptr<TargetFarms>> farms =
      TargetFarms::Start(farm_options);
  if (!farms.ok()) return Fail(farms.status());
  const std::vector<int>& ports = (*farms)->ports();
  std::fprintf(stderr, "scrape_bench: %zu targets in %zu farm process(es)\n",
               ports.size(), (*farms)->processes());

  const std::string ours_yml = f.workdir + "/prometheus.promscrape.yml";
  const std::string ref_yml = f.workdir + "/prometheus.reference.yml";
  const std::string host_yml = f.workdir + "/host.yaml";
  absl::Status written = WriteFile(ours_yml, ScrapeConfigYaml(f.interval, ports, "promscrape"));
  if (written.ok()) {
    written = WriteFile(ref_yml, ScrapeConfigYaml(f.interval, ports, "prometheus"));
  }
  if (written.ok()) {
    written = WriteFile(
        host_yml,
        absl::StrCat("listen: 127.0.0.1:0\nstorage:\n  file: /dev/null\n"
                     "plugins:\n  - path: ",
                     f.plugin, "\n    config:\n      control_listen: 127.0.0.1:",
                     PickUnusedPort(), "\n      scrape_config_file: ", ours_yml,
                     "\n      reload_interval: 1s"
                     // Compared with Prometheus 2.42's agent: same semantics.
                     "\n      prometheus_compat: \"2\""
                     "\n      self_metrics:\n        enabled: false"
                     "\n      remote_write:\n        capacity: 10000000"
                     "\n        max_samples_per_send: 10000\n"));
  }
  if (!written.ok()) return Fail(written);

  const absl::Time start = absl::Now();
  auto host =
      f.engine == "host"
          ? Subprocess::Start({f.host, "--config", host_yml})
          : Subprocess::Start({f.engine_binary, "--config", ours_yml,
                               "--workers", absl::StrCat(f.workers),
                               "--inline", f.inline_completions ? "true" : "false"});
  if (!host.ok()) return Fail(host.status());
  std::unique_ptr<Subprocess> prometheus;
  if (f.reference) {
    auto p = Subprocess::Start(
        {f.prometheus, "--enable-feature=agent", "--config.file=" + ref_yml,
         "--storage.agent.path=" + f.workdir + "/agent",
         absl::StrCat("--web.listen-address=127.0.0.1:", PickUnusedPort()),
         "--log.level=warn"});
    if (!p.ok()) return Fail(p.status());
    prometheus = std::move(p).value();
  }
  // Fixed-length measurement: nothing to synchronize with.
  absl::SleepFor(f.duration);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);

  EngineResult ours{f.engine == "host" ? "promscrape_host" : "promscrape",
                    CpuSeconds((*host)->pid()),
                    StatusBytes((*host)->pid(), "VmHWM:")};
  EngineResult ref{"prometheus"};
  if (prometheus != nullptr) {
    ref.cpu_seconds = CpuSeconds(prometheus->pid());
    ref.peak_rss = StatusBytes(prometheus->pid(), "VmHWM:");
  }
  // The farms' counts end here, whatever the engines do while stopping.
  const std::string stats = (*farms)->Snapshot();
  (*host)->Signal(SIGTERM);
  if (prometheus != nullptr) prometheus->Signal(SIGTERM);
  const std::string host_output =
      StopProcess(**host, absl::Seconds(120), "scrape_host");
  if (prometheus != nullptr) {
    StopProcess(*prometheus, absl::Seconds(60), "prometheus");
  }
  const std::string marker = "samples stored";
  size_t at = host_output.rfind(marker);
  if (at != std::string::npos) {
    // The number just before " samples stored".
    size_t end = at > 0 ? at - 1 : 0;
    size_t begin = end;
    while (begin > 0 && host_output[begin - 1] >= '0' &&
           host_output[begin - 1] <= '9') {
      --begin;
    }
    if (!absl::SimpleAtoi(host_output.substr(begin, end - begin),
                          &ours.samples)) {
      ours.samples = 0;
    }
  }
  (*farms)->Stop();
  AddFarmStats(stats, "promscrape", f.interval, ours.farm);
  AddFarmStats(stats, "prometheus", f.interval, ref.farm);
  ref.samples = ref.farm.scrapes * (f.series + 5);

  PrintResult(f, ours, seconds);
  if (f.reference) {
    PrintResult(f, ref, seconds);
    const double ours_cpu =
        ours.samples > 0 ? ours.cpu_seconds / static_cast<double>(ours.samples)
                         : 0;
    const double ref_cpu =
        ref.samples > 0 ? ref.cpu_seconds / static_cast<double>(ref.samples)
                        : 0;
    std::printf("RATIO cpu=%.2f rss=%.2f\n",
                ours_cpu > 0 ? ref_cpu / ours_cpu : 0.0,
                ours.peak_rss > 0 ? static_cast<double>(ref.peak_rss) /
                                        static_cast<double>(ours.peak_rss)
                                  : 0.0);
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace promscrape::bench

int main(int argc, char** argv) { return promscrape::bench::Run(argc, argv); }
