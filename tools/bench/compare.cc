// compare: promscrape next to Prometheus' agent and vmagent, end to end, each
// alone on the same target farm for the same window (issue 15).
//
//   bazel run -c opt //tools/bench:compare -- --targets 1000 --series 200
//       --interval 10s --duration 60s [--warmup 25s] [--churn 0]
//
// One target_farm serves --targets node_exporter-like targets of --series
// series (counters that move; with --churn P, P% of each target's series get
// a new identity on every scrape). One remote_sink discards what every
// system delivers: it acks the plugin's gRPC stream and answers the remote
// write 1.0 POSTs of Prometheus and vmagent with 204, counting the samples
// of each (snappy-decoded). Then, one system at a time:
//   promscrape        scrape_host with libpromscrape.so, the plugin's
//                     defaults (WAL on, fsync <= 1/s), remote_write.target =
//                     the sink's gRPC service (the host's own receiver stays
//                     idle, so the process's CPU is the plugin's plus the
//                     host's fixed cost);
//   prometheus-agent  prometheus --enable-feature=agent, remote_write to the
//                     sink (max_samples_per_send 2000, as ours; the rest
//                     default);
//   vmagent           vmagent -remoteWrite.url=<the sink>, a fresh
//                     -remoteWrite.tmpDataPath, defaults otherwise.
// Each starts, runs --warmup, then is measured over --duration, then is
// stopped before the next starts. With --rounds N this is done N times, each
// round starting one system later in the list (so none is always first);
// this machine's speed drifts 15-40% from one minute to the next, and one
// window per system can put a whole drift between two systems' figures.
// Over each window, per system:
//   delivered   samples the sink received from it (its only sender then);
//   expected    targets x (series + 5 report series) x duration / interval;
//   cpu         utime+stime of the scraping process (/proc/<pid>/stat; the
//               sink is not counted), per delivered sample;
//   peak RSS    VmHWM at the end of the window (start-up included);
//   steady RSS  the mean VmRSS sampled every second over the window;
//   anon, file  the same for its two parts (RssAnon: heap, stacks, the
//               series; RssFile: pages of the executable and the shared
//               libraries it has touched, which the kernel maps 64 KiB
//               around each touch and which other processes mapping the
//               same files share);
//   missed      scrapes missing per target between its first and last
//               request as the farm saw them, plus duration / interval for
//               each target not scraped in the window.
// rss_bytes_per_series = peak RSS / (targets x (series + 5)).
//
// Output: a table (a row per system and round), then lines
//   RESULT system=<name> samples_per_s=.. cpu_us_per_sample=..
//          rss_bytes_per_series=.. missed_scrapes=.. delivered=..
//          expected=.. ...      the system's round of median CPU per sample;
//          steady_rss_anon_bytes=.. steady_rss_file_bytes=..
//          anon_bytes_per_series=..  (steady anon / (targets x (series + 5)))
//          with rounds: ... rounds=N cpu_us_per_sample_rounds=a,b,..
//          rss_bytes_per_series_rounds=a,b,..
//   RATIO vs=<peer> cpu=<peer cpu_us_per_sample / ours> rss=<peer peak
//         RSS / ours> rss_anon=<peer steady anon / ours>
//                                           (above 1: promscrape is cheaper)
//         computed per round (the two windows of a round are close in time)
//         and the median over the rounds printed;
//   RATIO_ROUNDS vs=<peer> cpu=a,b,.. rss=a,b,.. [excluded="..."]
//         with rounds: each round's ratios ("-" for an excluded round);
//   NO_RATIO vs=<peer> reason="..."  when no round has both sides
//                                    delivering 99% of the expected samples
//                                    (a round where either side delivered
//                                    less is left out of the median).
//   CHURN system=<name> cycles=.. cycle_s=.. rss_first_cycle_bytes=..
//         rss_last_cycle_bytes=.. last_vs_first_pct=.. growth_per_cycle_pct=..
//         settled=yes|no             with --churn P: every 100/P scrapes each
//                                    target's series are all new (one churn
//                                    cycle). Per whole cycle in the window, the
//                                    mean VmRSS; settled when the last cycle is
//                                    within 10% of the first and the least-
//                                    squares slope over the cycles is under 1%
//                                    of the first cycle per cycle (issue 15's
//                                    long-run check: --churn 10 --interval 1s
//                                    --duration 120s replaces every series 12
//                                    times).

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "plugin/common/status.h"
#include "tests/testutil/subprocess.h"
#include "tools/bench/bench_farm.h"
#include "tools/bench/bench_process.h"

namespace promscrape::bench {
namespace {

using ::promscrape::testing::PickUnusedPort;
using ::promscrape::testing::Subprocess;

constexpr char kPromscrape[] = "promscrape";
constexpr char kPrometheusAgent[] = "prometheus-agent";
constexpr char kVmagent[] = "vmagent";
// A side delivering less than this share of the expected samples is not
// compared: its CPU per sample would flatter or punish it.
constexpr double kMinDelivered = 0.99;
// Report series every system adds per scrape: up, scrape_duration_seconds,
// scrape_samples_scraped, scrape_samples_post_metric_relabeling,
// scrape_series_added.
constexpr int64_t kReportSeries = 5;

struct Flags {
  int64_t targets = 1000;
  int64_t series = 200;
  absl::Duration interval = absl::Seconds(10);
  absl::Duration duration = absl::Seconds(60);
  absl::Duration warmup = absl::Seconds(25);
  double churn = 0;
  std::vector<std::string> systems = {kPromscrape, kPrometheusAgent, kVmagent};
  int64_t farm_threads = 1;
  std::string sink = "tools/bench/remote_sink";
  std::string farm = "tools/bench/target_farm";
  std::string host = "tools/host/scrape_host";
  std::string plugin = "plugin/libpromscrape.so";
  std::string prometheus = "/usr/bin/prometheus";
  std::string vmagent = "/usr/bin/vmagent";
  std::string workdir;
  int64_t rounds = 1;
};

constexpr char kUsage[] =
    "usage: compare [--targets 1000] [--series 200] [--interval 10s]\n"
    "  [--duration 60s] [--warmup 25s] [--churn PERCENT]\n"
    "  [--systems promscrape,prometheus-agent,vmagent] [--farm_threads 1]\n"
    "  [--workdir DIR] [--sink PATH] [--farm PATH] [--host PATH]\n"
    "  [--plugin PATH] [--prometheus PATH] [--vmagent PATH] [--rounds 1]\n";

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    const size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    auto duration = [&value](absl::Duration* d) {
      return absl::ParseDuration(value, d) && *d > absl::ZeroDuration();
    };
    auto positive = [&value](int64_t* n) {
      return absl::SimpleAtoi(value, n) && *n > 0;
    };
    bool ok = true;
    if (arg == "--targets") {
      ok = positive(&f.targets);
    } else if (arg == "--series") {
      ok = positive(&f.series);
    } else if (arg == "--interval") {
      ok = duration(&f.interval) && f.interval >= absl::Milliseconds(100);
    } else if (arg == "--duration") {
      ok = duration(&f.duration);
    } else if (arg == "--warmup") {
      ok = duration(&f.warmup);
    } else if (arg == "--churn") {
      ok = absl::SimpleAtod(value, &f.churn) && f.churn >= 0 && f.churn <= 100;
    } else if (arg == "--systems") {
      f.systems = absl::StrSplit(value, ',', absl::SkipEmpty());
      for (const std::string& s : f.systems) {
        ok = ok && (s == kPromscrape || s == kPrometheusAgent || s == kVmagent);
      }
      ok = ok && !f.systems.empty();
    } else if (arg == "--rounds") {
      ok = positive(&f.rounds);
    } else if (arg == "--farm_threads") {
      ok = positive(&f.farm_threads);
    } else if (arg == "--workdir") {
      f.workdir = value;
    } else if (arg == "--sink") {
      f.sink = value;
    } else if (arg == "--farm") {
      f.farm = value;
    } else if (arg == "--host") {
      f.host = value;
    } else if (arg == "--plugin") {
      f.plugin = value;
    } else if (arg == "--prometheus") {
      f.prometheus = value;
    } else if (arg == "--vmagent") {
      f.vmagent = value;
    } else {
      ok = false;
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad flag \"", arg, "\" value \"", value, "\"\n", kUsage));
    }
  }
  return f;
}

// The value of `key=` in the last "remote_sink: stats" line of `output`.
int64_t SinkCount(const std::string& output, absl::string_view key) {
  const size_t line = output.rfind("remote_sink: stats ");
  if (line == std::string::npos) return 0;
  const size_t at = output.find(absl::StrCat(" ", key, "="), line);
  if (at == std::string::npos) return 0;
  const size_t begin = at + key.size() + 2;
  const size_t end = output.find_first_of(" \n", begin);
  int64_t value = 0;
  if (!absl::SimpleAtoi(output.substr(begin, end - begin), &value)) return 0;
  return value;
}

// Asks remote_sink for its counts and waits for the `n`th stats line.
std::string SinkSnapshot(Subprocess& sink, int n) {
  sink.Signal(SIGUSR1);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (;;) {
    const std::string out = sink.output();
    int seen = 0;
    for (size_t at = out.find("remote_sink: stats"); at != std::string::npos;
         at = out.find("remote_sink: stats", at + 1)) {
      ++seen;
    }
    if (seen >= n || absl::Now() > deadline) return out;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

// The 1-minute load average, or -1.
double LoadAverage() {
  double load = -1;
  const std::string text = ReadFile("/proc/loadavg");
  const std::vector<absl::string_view> words =
      absl::StrSplit(text, ' ', absl::SkipEmpty());
  if (words.empty() || !absl::SimpleAtod(words[0], &load)) return -1;
  return load;
}

struct Result {
  std::string system;
  int64_t delivered = 0;
  int64_t expected = 0;
  double seconds = 0;
  double cpu_seconds = 0;
  double startup_cpu_seconds = 0;  // from start to the window's beginning
  int64_t peak_rss = 0;
  int64_t steady_rss = 0;
  int64_t steady_anon = 0;  // mean RssAnon over the window
  int64_t steady_file = 0;  // mean RssFile over the window
  // With --churn: mean VmRSS of each whole churn cycle in the window.
  std::vector<int64_t> cycle_rss;
  double cycle_seconds = 0;
  int64_t missed = 0;
  int64_t scrapes = 0;  // requests the farm served it in the window
  int64_t sink_requests = 0;
  double load_begin = 0;
  double load_end = 0;

  double delivered_share() const {
    return expected > 0
               ? static_cast<double>(delivered) / static_cast<double>(expected)
               : 0;
  }
  double samples_per_s() const {
    return seconds > 0 ? static_cast<double>(delivered) / seconds : 0;
  }
  double cpu_us_per_sample() const {
    return delivered > 0 ? cpu_seconds * 1e6 / static_cast<double>(delivered)
                         : 0;
  }
};

class Compare {
 public:
  explicit Compare(Flags flags) : f_(std::move(flags)) {}

  absl::Status Setup() {
    for (std::string* path : {&f_.sink, &f_.farm, &f_.host, &f_.plugin,
                              &f_.prometheus, &f_.vmagent}) {
      *path = Absolute(*path);
    }
    for (const std::string& system : f_.systems) {
      const std::string& binary = system == kPromscrape ? f_.host
                                  : system == kVmagent  ? f_.vmagent
                                                        : f_.prometheus;
      if (access(binary.c_str(), X_OK) != 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "\"", binary, "\" is not executable (needed for ", system, ")"));
      }
    }
    if (f_.workdir.empty()) {
      absl::StatusOr<std::string> dir = MakeWorkDir("compare");
      if (!dir.ok()) return dir.status();
      f_.workdir = *dir;
    }
    std::fprintf(stderr, "compare: work directory %s\n", f_.workdir.c_str());

    absl::StatusOr<std::unique_ptr<Subprocess>> sink =
        Subprocess::Start({f_.sink, "--count_http_samples"});
    if (!sink.ok()) return sink.status();
    sink_ = std::move(sink).value();
    std::optional<std::string> ready =
        sink_->WaitForOutput("remote_sink: ready", absl::Seconds(30));
    if (!ready.has_value()) {
      return absl::UnavailableError(
          absl::StrCat("remote_sink did not start:\n", sink_->output()));
    }
    // "remote_sink: ready grpc=<addr> http=<addr>"
    const std::string line = ready->substr(0, ready->find('\n'));
    for (absl::string_view word : absl::StrSplit(line, ' ')) {
      if (absl::ConsumePrefix(&word, "grpc="))
        grpc_address_ = std::string(word);
      if (absl::ConsumePrefix(&word, "http="))
        http_address_ = std::string(word);
    }

    TargetFarms::Options farm_options;
    farm_options.binary = f_.farm;
    farm_options.workdir = f_.workdir;
    farm_options.targets = f_.targets;
    farm_options.series = f_.series;
    farm_options.threads = f_.farm_threads;
    // One system scrapes at a time, but a scraper that times out dials again
    // before the farm has closed the old connection: room for two each
    // (with one, Prometheus at 10,000 targets ran the farm out of sockets).
    farm_options.scrapers = 2;
    farm_options.churn_percent = f_.churn;
    absl::StatusOr<std::unique_ptr<TargetFarms>> farms =
        TargetFarms::Start(farm_options);
    if (!farms.ok()) return farms.status();
    farms_ = std::move(farms).value();
    return absl::OkStatus();
  }

  absl::StatusOr<Result> Measure(const std::string& system) {
    absl::StatusOr<std::unique_ptr<Subprocess>> process = StartSystem(system);
    if (!process.ok()) return process.status();
    const pid_t pid = (*process)->pid();
    absl::SleepFor(f_.warmup);
    if ((*process)->Wait(absl::ZeroDuration()).has_value()) {
      return absl::InternalError(
          absl::StrCat(system, " exited early:\n", (*process)->output()));
    }

    Result r;
    r.system = system;
    r.load_begin = LoadAverage();
    const std::string stats0 = farms_->Snapshot();
    const std::string sink0 = SinkSnapshot(*sink_, ++sink_snapshots_);
    const double cpu0 = CpuSeconds(pid);
    const absl::Time t0 = absl::Now();
    r.startup_cpu_seconds = cpu0;
    // Steady RSS: sampled once a second through the window; with churn,
    // also averaged per churn cycle (every series replaced once).
    int64_t rss_sum = 0, rss_samples = 0;
    int64_t anon_sum = 0, file_sum = 0, split_samples = 0;
    const absl::Duration cycle =
        f_.churn > 0 ? f_.interval * (100.0 / f_.churn) : absl::ZeroDuration();
    r.cycle_seconds = absl::ToDoubleSeconds(cycle);
    int64_t cycle_sum = 0, cycle_samples = 0;
    absl::Time cycle_end = t0 + cycle;
    for (absl::Time next = t0 + absl::Seconds(1); next < t0 + f_.duration;
         next += absl::Seconds(1)) {
      absl::SleepFor(next - absl::Now());
      // One reading, so the total and its two parts are of one instant.
      const std::string status =
          ReadFile(absl::StrCat("/proc/", pid, "/status"));
      const int64_t rss = StatusFieldBytes(status, "VmRSS:");
      if (rss > 0) {
        rss_sum += rss;
        ++rss_samples;
        cycle_sum += rss;
        ++cycle_samples;
      }
      const int64_t anon = StatusFieldBytes(status, "RssAnon:");
      const int64_t file = StatusFieldBytes(status, "RssFile:");
      if (anon > 0 && file >= 0) {
        anon_sum += anon;
        file_sum += file;
        ++split_samples;
      }
      if (cycle > absl::ZeroDuration() && next >= cycle_end) {
        if (cycle_samples > 0) r.cycle_rss.push_back(cycle_sum / cycle_samples);
        cycle_sum = cycle_samples = 0;
        cycle_end += cycle;
      }
    }
    absl::SleepFor(t0 + f_.duration - absl::Now());
    const double cpu1 = CpuSeconds(pid);
    r.seconds = absl::ToDoubleSeconds(absl::Now() - t0);
    const std::string stats1 = farms_->Snapshot();
    const std::string sink1 = SinkSnapshot(*sink_, ++sink_snapshots_);
    r.load_end = LoadAverage();
    r.cpu_seconds = cpu1 - cpu0;
    r.peak_rss = StatusBytes(pid, "VmHWM:");
    r.steady_rss =
        rss_samples > 0 ? rss_sum / rss_samples : StatusBytes(pid, "VmRSS:");
    r.steady_anon = split_samples > 0 ? anon_sum / split_samples
                                      : StatusBytes(pid, "RssAnon:");
    r.steady_file = split_samples > 0 ? file_sum / split_samples
                                      : StatusBytes(pid, "RssFile:");
    const std::string samples_key =
        system == kPromscrape ? "grpc_samples" : "http_samples";
    const std::string requests_key =
        system == kPromscrape ? "grpc_requests" : "http_requests";
    r.delivered = SinkCount(sink1, samples_key) - SinkCount(sink0, samples_key);
    r.sink_requests =
        SinkCount(sink1, requests_key) - SinkCount(sink0, requests_key);
    const double intervals = absl::FDivDuration(f_.duration, f_.interval);
    r.expected = static_cast<int64_t>(
        static_cast<double>(f_.targets) *
        static_cast<double>(f_.series + kReportSeries) * intervals);
    FarmCounts before, after;
    AddFarmStats(stats0, Scraper(system), f_.interval, before);
    AddFarmStats(stats1, Scraper(system), f_.interval, after);
    r.scrapes = after.scrapes - before.scrapes;
    // Per-target rounding of first/last request times can make the
    // difference of two cumulative counts dip below zero.
    r.missed = std::max<int64_t>(0, after.missed - before.missed);
    // Targets with no request in the window miss all of its scrapes.
    if (r.scrapes == 0) {
      r.missed =
          static_cast<int64_t>(static_cast<double>(f_.targets) * intervals);
    } else {
      r.missed += static_cast<int64_t>(
          static_cast<double>(f_.targets - after.targets_scraped) * intervals);
    }

    StopProcess(**process, absl::Seconds(60), system);
    // The logs grow with the run (hundreds of MB at 10,000 targets).
    std::filesystem::remove_all(DataDir(system));
    return r;
  }

  void Stop() {
    if (farms_ != nullptr) farms_->Stop();
    if (sink_ != nullptr) StopProcess(*sink_, absl::Seconds(10), "remote_sink");
  }

  const Flags& flags() const { return f_; }

 private:
  // The farm counts each system by the last segment of its metrics_path.
  static std::string Scraper(const std::string& system) {
    return system == kPrometheusAgent ? "prometheus" : system;
  }

  std::string DataDir(const std::string& system) const {
    return absl::StrCat(f_.workdir, "/data-", system);
  }

  absl::StatusOr<std::unique_ptr<Subprocess>> StartSystem(
      const std::string& system) {
    const std::string data = DataDir(system);
    std::filesystem::remove_all(data);
    std::filesystem::create_directories(data);
    const std::string scrape_yml =
        absl::StrCat(f_.workdir, "/prometheus.", system, ".yml");
    std::string scrape =
        ScrapeConfigYaml(f_.interval, farms_->ports(), Scraper(system));
    if (system == kPromscrape) {
      PROMSCRAPE_RETURN_IF_ERROR(WriteFile(scrape_yml, scrape));
      // The plugin's defaults except the scrape file, the stream's target
      // (the sink, not the host), the WAL directory and self-metrics (off,
      // as neither peer scrapes itself here).
      const std::string host_yml = absl::StrCat(f_.workdir, "/host.yaml");
      PROMSCRAPE_RETURN_IF_ERROR(WriteFile(
          host_yml,
          absl::StrCat(
              "listen: 127.0.0.1:0\nstorage:\n  file: /dev/null\n"
              "plugins:\n  - path: ",
              f_.plugin, "\n    config:\n      control_listen: 127.0.0.1:",
              PickUnusedPort(), "\n      scrape_config_file: ", scrape_yml,
              "\n      reload_interval: 1s"
              "\n      self_metrics:\n        enabled: false"
              "\n      remote_write:\n        target: ",
              grpc_address_, "\n        wal_dir: ", data, "/wal\n")));
      return Subprocess::Start({f_.host, "--config", host_yml});
    }
    if (system == kPrometheusAgent) {
      absl::StrAppend(&scrape, "remote_write:\n  - url: http://", http_address_,
                      "/api/v1/write\n    queue_config:\n"
                      "      max_samples_per_send: 2000\n");
      PROMSCRAPE_RETURN_IF_ERROR(WriteFile(scrape_yml, scrape));
      return Subprocess::Start(
          {f_.prometheus, "--enable-feature=agent",
           "--config.file=" + scrape_yml, "--storage.agent.path=" + data,
           absl::StrCat("--web.listen-address=127.0.0.1:", PickUnusedPort()),
           "--log.level=warn"});
    }
    PROMSCRAPE_RETURN_IF_ERROR(WriteFile(scrape_yml, scrape));
    return Subprocess::Start(
        {f_.vmagent, "-promscrape.config=" + scrape_yml,
         absl::StrCat("-remoteWrite.url=http://", http_address_,
                      "/api/v1/write"),
         "-remoteWrite.tmpDataPath=" + data,
         absl::StrCat("-httpListenAddr=127.0.0.1:", PickUnusedPort()),
         "-loggerLevel=ERROR"});
  }

  Flags f_;
  std::unique_ptr<Subprocess> sink_;
  std::string grpc_address_;
  std::string http_address_;
  int sink_snapshots_ = 0;
  std::unique_ptr<TargetFarms> farms_;
};

// Per system (in --systems order), its round of median CPU per sample (the
// lower of the middle two for an even count): the whole Result of that one
// window, so its fields belong together.
std::vector<Result> MedianRounds(
    const std::vector<std::vector<Result>>& rounds) {
  std::vector<Result> out;
  if (rounds.empty()) return out;
  for (size_t i = 0; i < rounds[0].size(); ++i) {
    std::vector<const Result*> sorted;
    for (const std::vector<Result>& round : rounds) sorted.push_back(&round[i]);
    std::sort(sorted.begin(), sorted.end(),
              [](const Result* a, const Result* b) {
                return a->cpu_us_per_sample() < b->cpu_us_per_sample();
              });
    out.push_back(*sorted[(sorted.size() - 1) / 2]);
  }
  return out;
}

// The median of `values` (the mean of the middle two for an even count).
double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  if (n == 0) return 0;
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

void PrintTable(const Flags& f, const std::vector<std::vector<Result>>& rounds) {
  const double active =
      static_cast<double>(f.targets) * static_cast<double>(f.series + 5);
  std::printf(
      "\n%lld targets x %lld series every %s, churn %.4g%%/scrape; each "
      "system alone: %s warm-up, %s window",
      static_cast<long long>(f.targets), static_cast<long long>(f.series),
      absl::FormatDuration(f.interval).c_str(), f.churn,
      absl::FormatDuration(f.warmup).c_str(),
      absl::FormatDuration(f.duration).c_str());
  if (f.rounds > 1) {
    std::printf(", %lld rounds", static_cast<long long>(f.rounds));
  }
  std::printf("\n%-17s %5s %10s %9s %8s %9s %9s %9s %9s %8s %8s %7s %7s\n",
              "system", "round", "samples/s", "delivered", "CPU s",
              "us/sample", "peak MB", "steady MB", "B/series", "anon MB",
              "file MB", "missed", "load");
  for (size_t i = 0; i < (rounds.empty() ? 0 : rounds[0].size()); ++i) {
    for (size_t round = 0; round < rounds.size(); ++round) {
      const Result& r = rounds[round][i];
      std::printf(
          "%-17s %5zu %10.0f %8.1f%% %8.2f %9.3f %9.1f %9.1f %9.0f %8.1f "
          "%8.1f %7lld %3.1f-%.1f\n",
          r.system.c_str(), round + 1, r.samples_per_s(),
          100 * r.delivered_share(), r.cpu_seconds, r.cpu_us_per_sample(),
          static_cast<double>(r.peak_rss) / 1e6,
          static_cast<double>(r.steady_rss) / 1e6,
          static_cast<double>(r.peak_rss) / active,
          static_cast<double>(r.steady_anon) / 1e6,
          static_cast<double>(r.steady_file) / 1e6,
          static_cast<long long>(r.missed), r.load_begin, r.load_end);
    }
  }
  std::printf("\n");
}

// A RESULT line per system, from its median round; with several rounds,
// also every round's CPU per sample and peak RSS per series.
void PrintResults(const Flags& f, const std::vector<Result>& medians,
                  const std::vector<std::vector<Result>>& rounds) {
  const double active =
      static_cast<double>(f.targets) * static_cast<double>(f.series + 5);
  for (size_t i = 0; i < medians.size(); ++i) {
    const Result& r = medians[i];
    std::printf(
        "RESULT system=%s samples_per_s=%.1f cpu_us_per_sample=%.3f "
        "rss_bytes_per_series=%.1f missed_scrapes=%lld delivered=%lld "
        "expected=%lld scrapes=%lld cpu_seconds=%.3f startup_cpu_seconds=%.3f "
        "peak_rss_bytes=%lld steady_rss_bytes=%lld "
        "steady_rss_bytes_per_series=%.1f sink_requests=%lld targets=%lld "
        "series=%lld churn=%.4g loadavg=%.2f-%.2f steady_rss_anon_bytes=%lld "
        "steady_rss_file_bytes=%lld anon_bytes_per_series=%.1f",
        r.system.c_str(), r.samples_per_s(), r.cpu_us_per_sample(),
        static_cast<double>(r.peak_rss) / active,
        static_cast<long long>(r.missed), static_cast<long long>(r.delivered),
        static_cast<long long>(r.expected), static_cast<long long>(r.scrapes),
        r.cpu_seconds, r.startup_cpu_seconds,
        static_cast<long long>(r.peak_rss),
        static_cast<long long>(r.steady_rss),
        static_cast<double>(r.steady_rss) / active,
        static_cast<long long>(r.sink_requests),
        static_cast<long long>(f.targets), static_cast<long long>(f.series),
        f.churn, r.load_begin, r.load_end,
        static_cast<long long>(r.steady_anon),
        static_cast<long long>(r.steady_file),
        static_cast<double>(r.steady_anon) / active);
    if (rounds.size() > 1) {
      std::string cpu, rss;
      for (const std::vector<Result>& round : rounds) {
        absl::StrAppend(&cpu, cpu.empty() ? "" : ",",
                        absl::StrFormat("%.3f", round[i].cpu_us_per_sample()));
        absl::StrAppend(
            &rss, rss.empty() ? "" : ",",
            absl::StrFormat("%.1f",
                            static_cast<double>(round[i].peak_rss) / active));
      }
      std::printf(" rounds=%zu cpu_us_per_sample_rounds=%s "
                  "rss_bytes_per_series_rounds=%s",
                  rounds.size(), cpu.c_str(), rss.c_str());
    }
    std::printf("\n");
  }
}

// Per peer: the ratios of each round whose two windows both delivered, and
// their median as the RATIO. Within a round the two windows are adjacent in
// time, so a ratio per round cancels most of this machine's slow drift in
// speed (15-40% between minutes here), which ratios of separate medians would
// keep.
void PrintRatios(const std::vector<std::vector<Result>>& rounds) {
  if (rounds.empty()) return;
  size_t ours = rounds[0].size();
  for (size_t i = 0; i < rounds[0].size(); ++i) {
    if (rounds[0][i].system == kPromscrape) ours = i;
  }
  if (ours == rounds[0].size()) return;
  for (size_t p = 0; p < rounds[0].size(); ++p) {
    if (p == ours) continue;
    const std::string& peer_name = rounds[0][p].system;
    std::vector<double> cpu, rss, anon;
    std::string reasons, cpu_list, rss_list;
    for (size_t round = 0; round < rounds.size(); ++round) {
      const Result& us = rounds[round][ours];
      const Result& peer = rounds[round][p];
      std::string reason;
      for (const Result* side : {&us, &peer}) {
        if (side->delivered_share() < kMinDelivered) {
          absl::StrAppend(
              &reason, reason.empty() ? "" : "; ", side->system, " delivered ",
              absl::StrFormat("%.1f", 100 * side->delivered_share()),
              "% of the expected samples (", side->delivered, " of ",
              side->expected, "), under ",
              absl::StrFormat("%.0f", 100 * kMinDelivered), "%");
        }
      }
      // /proc counts CPU in clock ticks (10 ms): a tiny run may show none.
      if (reason.empty() && (us.cpu_seconds <= 0 || peer.cpu_seconds <= 0)) {
        reason = absl::StrFormat(
            "no CPU time measured in the window (%.2f s ours, %.2f s %s)",
            us.cpu_seconds, peer.cpu_seconds, peer_name);
      }
      if (!reason.empty()) {
        if (rounds.size() > 1) reason = absl::StrCat("round ", round + 1, ": ", reason);
        absl::StrAppend(&reasons, reasons.empty() ? "" : "; ", reason);
        absl::StrAppend(&cpu_list, cpu_list.empty() ? "" : ",", "-");
        absl::StrAppend(&rss_list, rss_list.empty() ? "" : ",", "-");
        continue;
      }
      cpu.push_back(peer.cpu_us_per_sample() / us.cpu_us_per_sample());
      rss.push_back(static_cast<double>(peer.peak_rss) /
                    static_cast<double>(us.peak_rss));
      if (us.steady_anon > 0 && peer.steady_anon > 0) {
        anon.push_back(static_cast<double>(peer.steady_anon) /
                       static_cast<double>(us.steady_anon));
      }
      absl::StrAppend(&cpu_list, cpu_list.empty() ? "" : ",",
                      absl::StrFormat("%.2f", cpu.back()));
      absl::StrAppend(&rss_list, rss_list.empty() ? "" : ",",
                      absl::StrFormat("%.2f", rss.back()));
    }
    if (cpu.empty()) {
      std::printf("NO_RATIO vs=%s reason=\"%s\"\n", peer_name.c_str(),
                  reasons.c_str());
      continue;
    }
    std::printf("RATIO vs=%s cpu=%.2f rss=%.2f", peer_name.c_str(),
                Median(cpu), Median(rss));
    if (!anon.empty()) std::printf(" rss_anon=%.2f", Median(anon));
    std::printf("\n");
    if (rounds.size() > 1) {
      const std::string excluded =
          reasons.empty() ? "" : absl::StrCat(" excluded=\"", reasons, "\"");
      std::printf("RATIO_ROUNDS vs=%s cpu=%s rss=%s%s\n", peer_name.c_str(),
                  cpu_list.c_str(), rss_list.c_str(), excluded.c_str());
    }
  }
}

// The long-run churn check (see the header).
void PrintChurn(const std::vector<Result>& results) {
  for (const Result& r : results) {
    const size_t n = r.cycle_rss.size();
    if (n < 2) {
      if (r.cycle_seconds > 0) {
        std::printf("CHURN system=%s cycles=%zu cycle_s=%.1f settled=unknown "
                    "reason=\"fewer than two whole cycles in the window\"\n",
                    r.system.c_str(), n, r.cycle_seconds);
      }
      continue;
    }
    const double first = static_cast<double>(r.cycle_rss.front());
    const double last = static_cast<double>(r.cycle_rss.back());
    double mean_x = 0, mean_y = 0;
    for (size_t i = 0; i < n; ++i) {
      mean_x += static_cast<double>(i);
      mean_y += static_cast<double>(r.cycle_rss[i]);
    }
    mean_x /= static_cast<double>(n);
    mean_y /= static_cast<double>(n);
    double sxy = 0, sxx = 0;
    for (size_t i = 0; i < n; ++i) {
      const double dx = static_cast<double>(i) - mean_x;
      sxy += dx * (static_cast<double>(r.cycle_rss[i]) - mean_y);
      sxx += dx * dx;
    }
    const double slope_pct = 100 * (sxy / sxx) / first;
    const double last_pct = 100 * (last - first) / first;
    const bool settled = std::abs(last_pct) <= 10 && slope_pct < 1;
    std::printf(
        "CHURN system=%s cycles=%zu cycle_s=%.1f rss_first_cycle_bytes=%.0f "
        "rss_last_cycle_bytes=%.0f last_vs_first_pct=%.2f "
        "growth_per_cycle_pct=%.3f settled=%s\n",
        r.system.c_str(), n, r.cycle_seconds, first, last, last_pct, slope_pct,
        settled ? "yes" : "no");
  }
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "compare: %s\n", std::string(status.message()).c_str());
  return 1;
}

int Run(int argc, char** argv) {
  absl::StatusOr<Flags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) return Fail(flags.status());
  Compare compare(*std::move(flags));
  absl::Status setup = compare.Setup();
  if (!setup.ok()) {
    compare.Stop();
    return Fail(setup);
  }
  const Flags& f = compare.flags();
  const size_t n = f.systems.size();
  // rounds[r][i]: system i (in --systems order) in round r. Each round
  // starts one system later than the one before, so no system is always
  // measured first (right after the farm starts) or always next to the same
  // neighbour.
  std::vector<std::vector<Result>> rounds;
  for (int64_t round = 0; round < f.rounds; ++round) {
    std::vector<Result> results(n);
    for (size_t k = 0; k < n; ++k) {
      const size_t i = (k + static_cast<size_t>(round)) % n;
      std::fprintf(stderr, "compare: round %lld of %lld, measuring %s\n",
                   static_cast<long long>(round + 1),
                   static_cast<long long>(f.rounds), f.systems[i].c_str());
      absl::StatusOr<Result> r = compare.Measure(f.systems[i]);
      if (!r.ok()) {
        compare.Stop();
        return Fail(r.status());
      }
      results[i] = *std::move(r);
    }
    rounds.push_back(std::move(results));
  }
  compare.Stop();
  const std::vector<Result> medians = MedianRounds(rounds);
  PrintTable(f, rounds);
  PrintResults(f, medians, rounds);
  PrintRatios(rounds);
  PrintChurn(medians);
  return 0;
}

}  // namespace
}  // namespace promscrape::bench

int main(int argc, char** argv) { return promscrape::bench::Run(argc, argv); }
