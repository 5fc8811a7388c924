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
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
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

std::string Absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char* cwd = getcwd(nullptr, 0);
  std::string out = absl::StrCat(cwd, "/", path);
  free(cwd);
  return out;
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) {
    return absl::InternalError(absl::StrCat("cannot write \"", path, "\""));
  }
  return absl::OkStatus();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// CPU seconds (user + system) of `pid` so far, or -1.
double CpuSeconds(pid_t pid) {
  std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  // Fields after "comm)": state is field 3; utime and stime are 14 and 15.
  std::vector<std::string> fields =
      absl::StrSplit(stat.substr(paren + 2), ' ');
  if (fields.size() < 13) return -1;
  double utime = 0, stime = 0;
  if (!absl::SimpleAtod(fields[11], &utime) ||
      !absl::SimpleAtod(fields[12], &stime)) {
    return -1;
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A "Vm...:" field of /proc/<pid>/status in bytes, or -1.
int64_t StatusBytes(pid_t pid, absl::string_view field) {
  std::string status = ReadFile(absl::StrCat("/proc/", pid, "/status"));
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (!absl::StartsWith(line, field)) continue;
    line.remove_prefix(field.size());
    int64_t kb = 0;
    std::string digits;
    for (char c : line) {
      if (c >= '0' && c <= '9') digits += c;
    }
    if (absl::SimpleAtoi(digits, &kb)) return kb * 1024;
  }
  return -1;
}

std::string PrometheusYaml(const Flags& f, const std::vector<int>& ports,
                           const std::string& scraper) {
  const int64_t interval_ms = absl::ToInt64Milliseconds(f.interval);
  const int64_t timeout_ms = std::min<int64_t>(interval_ms, 10000);
  std::string yaml = absl::StrCat(
      "global:\n  scrape_interval: ", interval_ms, "ms\n  scrape_timeout: ",
      timeout_ms, "ms\nscrape_configs:\n  - job_name: node\n",
      "    metrics_path: /metrics/", scraper,
      "\n    static_configs:\n      - labels:\n          env: bench\n",
      "        targets:\n");
  for (int port : ports) absl::StrAppend(&yaml, "          - 127.0.0.1:", port, "\n");
  return yaml;
}

// What the farm saw from one scraper.
struct FarmCounts {
  int64_t scrapes = 0;
  int64_t missed = 0;
  int64_t targets_scraped = 0;
};

// Adds the farm's stats file lines for `scraper` into `counts`.
void AddFarmStats(const std::string& stats, const std::string& scraper,
                  absl::Duration interval, FarmCounts& counts) {
  const double interval_ms = absl::ToDoubleMilliseconds(interval);
  for (absl::string_view line : absl::StrSplit(stats, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    int64_t requests = 0, first = 0, last = 0;
    if (f.size() != 5 || f[1] != scraper ||
        !absl::SimpleAtoi(f[2], &requests) || !absl::SimpleAtoi(f[3], &first) ||
        !absl::SimpleAtoi(f[4], &last)) {
      continue;
    }
    counts.scrapes += requests;
    ++counts.targets_scraped;
    const int64_t want =
        std::llround(static_cast<double>(last - first) / interval_ms) + 1;
    counts.missed += std::max<int64_t>(0, want - requests);
  }
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

// Stops `process` with SIGTERM and returns its output; kills it after
// `timeout`.
std::string StopProcess(Subprocess& process, absl::Duration timeout,
                        const std::string& name) {
  process.Signal(SIGTERM);
  std::optional<int> code = process.Wait(timeout);
  if (!code.has_value()) {
    std::fprintf(stderr, "scrape_bench: %s did not stop in %s; killing\n",
                 name.c_str(), absl::FormatDuration(timeout).c_str());
    process.Signal(SIGKILL);
    process.Wait(absl::Seconds(10));
  } else if (*code != 0) {
    std::fprintf(stderr, "scrape_bench: %s exited %d:\n%s\n", name.c_str(),
                 *code, process.output().c_str());
  }
  return process.output();
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

  // Children inherit the raised limit: the engines hold one connection per
  // target.
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);

  if (f.workdir.empty()) {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string tmpl = absl::StrCat(base ? base : "/tmp", "/scrape_bench.XXXXXX");
    if (mkdtemp(tmpl.data()) == nullptr) {
      return Fail(absl::InternalError("mkdtemp failed"));
    }
    f.workdir = tmpl;
  }
  std::fprintf(stderr, "scrape_bench: work directory %s\n", f.workdir.c_str());

  // Each farm target holds a listener plus one connection per scraper.
  const int64_t scrapers = f.reference ? 2 : 1;
  const int64_t per_farm = std::max<int64_t>(
      1, (static_cast<int64_t>(limit.rlim_cur) - 200) / (1 + scrapers));
  const int64_t farms = (f.targets + per_farm - 1) / per_farm;
  std::vector<std::unique_ptr<Subprocess>> farm_processes;
  std::vector<int> ports;
  for (int64_t i = 0; i < farms; ++i) {
    const int64_t n = std::min(per_farm, f.targets - i * per_farm);
    const std::string ports_file = absl::StrCat(f.workdir, "/ports.", i);
    auto farm = Subprocess::Start(
        {f.farm, "--targets", absl::StrCat(n), "--series",
         absl::StrCat(f.series), "--threads", absl::StrCat(f.farm_threads),
         "--ports_file", ports_file, "--stats_file",
         absl::StrCat(f.workdir, "/stats.", i)});
    if (!farm.ok()) return Fail(farm.status());
    if (!(*farm)->WaitForOutput("target_farm: ready", absl::Seconds(120))) {
      return Fail(absl::UnavailableError(
          absl::StrCat("target_farm did not start:\n", (*farm)->output())));
    }
    for (absl::string_view line :
         absl::StrSplit(ReadFile(ports_file), '\n', absl::SkipEmpty())) {
      int port = 0;
      if (absl::SimpleAtoi(line, &port)) ports.push_back(port);
    }
    farm_processes.push_back(std::move(farm).value());
  }
  std::fprintf(stderr, "scrape_bench: %zu targets in %lld farm process(es)\n",
               ports.size(), static_cast<long long>(farms));

  const std::string ours_yml = f.workdir + "/prometheus.promscrape.yml";
  const std::string ref_yml = f.workdir + "/prometheus.reference.yml";
  const std::string host_yml = f.workdir + "/host.yaml";
  absl::Status written = WriteFile(ours_yml, PrometheusYaml(f, ports, "promscrape"));
  if (written.ok()) {
    written = WriteFile(ref_yml, PrometheusYaml(f, ports, "prometheus"));
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
  for (auto& farm : farm_processes) farm->Signal(SIGUSR1);
  for (auto& farm : farm_processes) {
    if (!farm->WaitForOutput("target_farm: stats written", absl::Seconds(60))) {
      std::fprintf(stderr, "scrape_bench: a target_farm wrote no stats\n");
    }
  }
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
  for (size_t i = 0; i < farm_processes.size(); ++i) {
    StopProcess(*farm_processes[i], absl::Seconds(60), "target_farm");
    const std::string stats = ReadFile(absl::StrCat(f.workdir, "/stats.", i));
    AddFarmStats(stats, "promscrape", f.interval, ours.farm);
    AddFarmStats(stats, "prometheus", f.interval, ref.farm);
  }
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
