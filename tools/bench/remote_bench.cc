// remote_bench: the cost of the plugin's outgoing remote-write side, and the
// plugin end to end next to Prometheus 2.42 in agent mode.
//
//   bazel run -c opt //tools/bench:remote_bench -- [--stream_duration 10s]
//       [--targets 1000 --series 100 --interval 10s --e2e_duration 60s]
//
// Three parts, each a flag (--stream, --wal_cost, --e2e; all on by default):
//
// (a) Stream throughput. A WriteQueue in this process (write_queue.h) sends
//     to remote_sink, a separate process that acks every request at once and
//     discards it. Producer threads append pre-encoded records
//     (AppendRecords, --records_per_append samples a call, as the queue sink
//     does per scrape) as fast as the queue takes them: a producer waits
//     while more than half of `capacity` is pending, so the sender, not the
//     memory bound, sets the pace and nothing is dropped. After --warmup,
//     over --stream_duration: samples acknowledged per second
//     (promscrape_remote_samples_sent_total), CPU of this whole process
//     (utime+stime, /proc/self/stat: producers, queue, WAL, gRPC) per
//     acknowledged sample, the wall time of AppendRecords (p50/p99/max: what
//     a scrape waits for), and the sink's CPU per sample for scale. Cases:
//     WAL off (wal_dir ""), WAL on (fsync at most once a second, the
//     default), WAL with fsync on every append (wal_fsync_interval 0s), all
//     with the default protocol ("auto": WriteV2, which remote_sink serves).
//     With --protocols (on by default) also the stream's two shapes side by
//     side, WAL off: protocol_v1 (Write, records sent as queued) and
//     protocol_v2 (WriteV2, each request transcoded as it is written), with
//     request bytes per sample (promscrape_remote_sent_bytes_total: protobuf
//     before gRPC's framing; the stream is not compressed).
// (b) WAL write cost. WriteAheadLog::AppendBatch of one record per scrape
//     exactly as the queue writes it (sample count + the scrape's records),
//     then Ack and MaybeSync, in a loop on this thread: thread CPU and wall
//     time per sample, fsync at most 1/s and on every append.
// (c) End to end, side by side in one run: target_farm serves --targets
//     targets of --series series; Prometheus (`--enable-feature=agent`)
//     scrapes them and remote-writes (max_samples_per_send 2000, as ours) to
//     remote_sink's HTTP receiver (204, body dropped); scrape_host with
//     libpromscrape.so scrapes the same targets (metrics_path tells them
//     apart) with the WAL on (default fsync interval) and streams to
//     remote_sink's gRPC service (remote_write.target; the host's own
//     receiver stays idle, so the scrape_host process is the plugin's cost).
//     After --e2e_warmup, over --e2e_duration: CPU of each process from
//     /proc/<pid>/stat per scraped sample (scrapes the farm served in the
//     window x (series + 5 report series)), and the ratio agent / ours.
//
// Output: machine-readable lines (STREAM, WAL, E2E, RATIO; the smoke test
// checks them), then a table.

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
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
#include "absl/types/span.h"
#include "plugin/common/clock.h"
#include "plugin/common/logging.h"
#include "plugin/common/status.h"
#include "plugin/common/varint.h"
#include "plugin/metrics/registry.h"
#include "plugin/remote/wal/wal.h"
#include "plugin/remote/wire_encoder.h"
#include "plugin/remote/write_queue.h"
#include "tests/testutil/subprocess.h"
#include "tools/bench/bench_farm.h"
#include "tools/bench/bench_process.h"

namespace promscrape::bench {
namespace {

using ::promscrape::testing::PickUnusedPort;
using ::promscrape::testing::Subprocess;

struct Flags {
  bool stream = true;
  bool wal_cost = true;
  bool e2e = true;
  bool protocols = true;
  absl::Duration warmup = absl::Seconds(2);
  absl::Duration stream_duration = absl::Seconds(10);
  absl::Duration wal_duration = absl::Seconds(3);
  int64_t records_per_append = 100;
  int64_t producers = 1;
  int64_t targets = 1000;
  int64_t series = 100;
  absl::Duration interval = absl::Seconds(10);
  absl::Duration e2e_warmup = absl::Seconds(25);
  absl::Duration e2e_duration = absl::Seconds(60);
  bool reference = true;
  std::string sink = "tools/bench/remote_sink";
  std::string farm = "tools/bench/target_farm";
  std::string host = "tools/host/scrape_host";
  std::string plugin = "plugin/libpromscrape.so";
  std::string prometheus = "/usr/bin/prometheus";
  std::string workdir;
};

constexpr char kUsage[] =
    "usage: remote_bench [--stream=true|false] [--wal_cost=true|false]\n"
    "  [--e2e=true|false] [--protocols=true|false] [--warmup 2s]\n"
    "  [--stream_duration 10s]\n"
    "  [--wal_duration 3s] [--records_per_append 100] [--producers 1]\n"
    "  [--targets 1000] [--series 100] [--interval 10s] [--e2e_warmup 25s]\n"
    "  [--e2e_duration 60s] [--reference=true|false] [--workdir DIR]\n"
    "  [--sink PATH] [--farm PATH] [--host PATH] [--plugin PATH]\n"
    "  [--prometheus PATH]\n";

absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    const size_t eq = arg.find('=');
    const bool boolean = arg == "--stream" || arg == "--wal_cost" ||
                         arg == "--e2e" || arg == "--reference" ||
                         arg == "--protocols";
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (boolean) {
      value = "true";
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
    if (arg == "--stream") {
      ok = absl::SimpleAtob(value, &f.stream);
    } else if (arg == "--wal_cost") {
      ok = absl::SimpleAtob(value, &f.wal_cost);
    } else if (arg == "--e2e") {
      ok = absl::SimpleAtob(value, &f.e2e);
    } else if (arg == "--protocols") {
      ok = absl::SimpleAtob(value, &f.protocols);
    } else if (arg == "--reference") {
      ok = absl::SimpleAtob(value, &f.reference);
    } else if (arg == "--warmup") {
      ok = duration(&f.warmup);
    } else if (arg == "--stream_duration") {
      ok = duration(&f.stream_duration);
    } else if (arg == "--wal_duration") {
      ok = duration(&f.wal_duration);
    } else if (arg == "--records_per_append") {
      ok = positive(&f.records_per_append);
    } else if (arg == "--producers") {
      ok = positive(&f.producers);
    } else if (arg == "--targets") {
      ok = positive(&f.targets);
    } else if (arg == "--series") {
      ok = positive(&f.series);
    } else if (arg == "--interval") {
      ok = duration(&f.interval) && f.interval >= absl::Milliseconds(100);
    } else if (arg == "--e2e_warmup") {
      ok = duration(&f.e2e_warmup);
    } else if (arg == "--e2e_duration") {
      ok = duration(&f.e2e_duration);
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
    } else if (arg == "--workdir") {
      f.workdir = value;
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

const Logger& QuietLogger() {
  static const Logger* logger =
      new Logger([](LogLevel level, absl::string_view message) {
        if (level >= LogLevel::kError) {
          std::fprintf(stderr, "remote_bench: %.*s\n",
                       static_cast<int>(message.size()), message.data());
        }
      });
  return *logger;
}

double MetricValue(const metrics::Registry& registry, absl::string_view name) {
  double sum = 0;
  for (const metrics::MetricSample& m : registry.Collect()) {
    if (m.name == name) sum += m.value;
  }
  return sum;
}

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A label of the synthetic series (what wire::AppendSampleRecord reads).
struct BenchLabel {
  absl::string_view name;
  absl::string_view value;
};

// `chunks` scrapes' worth of encoded `timeseries` records, `per_chunk`
// distinct node_exporter-like series each (the queue sink's AppendRecords
// argument for one scrape).
//
// NOTE: the queue sink hands over records it has just encoded, so they are
// in cache; kChunks stays small (8 x ~13 KB) so that the appends here find
// them in cache too. With 100 chunks (1.3 MB) the queue's record validation
// took 11% of the CPU profile in cache misses that a scrape does not pay.
constexpr int64_t kChunks = 8;
std::vector<std::string> EncodeChunks(int64_t chunks, int64_t per_chunk) {
  static constexpr const char* kNames[] = {
      "node_cpu_seconds_total", "node_network_receive_bytes_total",
      "node_filesystem_avail_bytes", "node_disk_io_time_seconds_total",
      "node_memory_MemAvailable_bytes"};
  const int64_t timestamp_ms = absl::ToUnixMillis(absl::Now());
  std::vector<std::string> out;
  for (int64_t c = 0; c < chunks; ++c) {
    std::string records;
    const std::string instance =
        absl::StrCat("10.0.", c / 250, ".", c % 250, ":9100");
    for (int64_t r = 0; r < per_chunk; ++r) {
      const std::string series = absl::StrCat(r);
      const BenchLabel labels[] = {{"__name__", kNames[r % 5]},
                                   {"device", series},
                                   {"env", "bench"},
                                   {"instance", instance},
                                   {"job", "node"}};
      remote::wire::AppendSampleRecord(&records, labels, timestamp_ms,
                                       static_cast<double>(c * per_chunk + r));
    }
    out.push_back(std::move(records));
  }
  return out;
}

// Quantile `q` of `values` (sorted in place), or 0 when empty.
double Quantile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t at =
      std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  return values[at];
}

// The "stats" line remote_sink printed last: the value of `key` in it.
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

struct StreamCase {
  std::string name;
  bool wal = false;
  absl::Duration fsync_interval = absl::Seconds(1);
  remote::WriteQueue::Protocol protocol = remote::WriteQueue::Protocol::kAuto;
};

struct StreamResult {
  std::string name;
  double samples_per_s = 0;
  double cpu_us_per_sample = 0;
  double sink_cpu_us_per_sample = 0;
  double append_p50_us = 0;
  double append_p99_us = 0;
  double append_max_us = 0;
  double dropped = 0;
  // The stream's shape in the end ("v1" or "v2") and its request bytes per
  // acknowledged sample.
  std::string protocol;
  double bytes_per_sample = 0;
  // With a log: fsyncs over the whole case and how long the last one took.
  uint64_t fsyncs = 0;
  double last_fsync_ms = 0;
};

absl::StatusOr<StreamResult> RunStreamCase(const Flags& f, const StreamCase& c,
                                           Subprocess& sink,
                                           const std::string& sink_address,
                                           int* sink_snapshots) {
  metrics::Registry registry;
  remote::WriteQueue::Options options;
  options.target = sink_address;
  options.protocol = c.protocol;
  if (c.wal) {
    options.wal_dir = absl::StrCat(f.workdir, "/wal-", c.name);
    std::filesystem::remove_all(options.wal_dir);
    options.wal_options.fsync_interval = c.fsync_interval;
  }
  absl::StatusOr<std::unique_ptr<remote::WriteQueue>> created =
      remote::WriteQueue::Create(options, registry, QuietLogger());
  if (!created.ok()) return created.status();
  remote::WriteQueue& queue = **created;

  const std::vector<std::string> chunks =
      EncodeChunks(kChunks, f.records_per_append);
  std::atomic<bool> stop{false};
  std::atomic<bool> measuring{false};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(f.producers));
  std::vector<std::thread> producers;
  for (int64_t p = 0; p < f.producers; ++p) {
    producers.emplace_back([&, p] {
      std::vector<double>& mine = latencies[static_cast<size_t>(p)];
      size_t next = static_cast<size_t>(p);
      while (!stop.load(std::memory_order_relaxed)) {
        // Back-pressure: the sender, not `capacity`, sets the pace.
        if (queue.PendingSamples() > options.capacity / 2) {
          absl::SleepFor(absl::Microseconds(200));
          continue;
        }
        const absl::Time begin = absl::Now();
        absl::Status s = queue.AppendRecords(chunks[next % chunks.size()],
                                             f.records_per_append);
        const absl::Time end = absl::Now();
        if (!s.ok() && !absl::IsResourceExhausted(s)) break;
        if (measuring.load(std::memory_order_relaxed)) {
          mine.push_back(absl::ToDoubleMicroseconds(end - begin));
        }
        next += static_cast<size_t>(f.producers);
      }
    });
  }
  absl::SleepFor(f.warmup);
  const pid_t self = getpid();
  measuring = true;
  const absl::Time t0 = absl::Now();
  const double cpu0 = CpuSeconds(self);
  const double sink_cpu0 = CpuSeconds(sink.pid());
  const double sent0 =
      MetricValue(registry, "promscrape_remote_samples_sent_total");
  const double bytes0 =
      MetricValue(registry, "promscrape_remote_sent_bytes_total");
  absl::SleepFor(f.stream_duration);
  const double sent1 =
      MetricValue(registry, "promscrape_remote_samples_sent_total");
  const double bytes1 =
      MetricValue(registry, "promscrape_remote_sent_bytes_total");
  const double cpu1 = CpuSeconds(self);
  const double sink_cpu1 = CpuSeconds(sink.pid());
  const absl::Time t1 = absl::Now();
  measuring = false;
  stop = true;
  for (std::thread& t : producers) t.join();
  StreamResult r;
  if (queue.wal() != nullptr) {
    const remote::wal::WriteAheadLog::Stats stats = queue.wal()->stats();
    r.fsyncs = stats.fsyncs;
    r.last_fsync_ms = absl::ToDoubleMilliseconds(stats.last_fsync_duration);
  }
  absl::Status stopped = queue.Stop(absl::Seconds(60));
  if (!stopped.ok()) {
    std::fprintf(stderr, "remote_bench: %s: %s\n", c.name.c_str(),
                 stopped.ToString().c_str());
  }
  // The sink's count confirms delivery (it includes warm-up and drain).
  const std::string sink_out = SinkSnapshot(sink, ++*sink_snapshots);
  std::fprintf(stderr, "remote_bench: %s: sink total grpc_samples=%lld\n",
               c.name.c_str(),
               static_cast<long long>(SinkCount(sink_out, "grpc_samples")));

  r.name = c.name;
  r.protocol = queue.stream_v2() ? "v2" : "v1";
  const double samples = sent1 - sent0;
  if (samples > 0) r.bytes_per_sample = (bytes1 - bytes0) / samples;
  r.samples_per_s = samples / absl::ToDoubleSeconds(t1 - t0);
  if (samples > 0) {
    r.cpu_us_per_sample = (cpu1 - cpu0) * 1e6 / samples;
    r.sink_cpu_us_per_sample = (sink_cpu1 - sink_cpu0) * 1e6 / samples;
  }
  std::vector<double> all;
  for (const auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  r.append_p50_us = Quantile(all, 0.5);
  r.append_p99_us = Quantile(all, 0.99);
  r.append_max_us = all.empty() ? 0 : all.back();
  r.dropped = MetricValue(registry, "promscrape_remote_samples_dropped_total");
  created->reset();  // Closes the log before its directory goes.
  if (c.wal) std::filesystem::remove_all(options.wal_dir);
  return r;
}

struct WalResult {
  std::string name;
  double cpu_us_per_sample = 0;
  double wall_us_per_sample = 0;
  uint64_t fsyncs = 0;
};

absl::StatusOr<WalResult> RunWalCase(const Flags& f, const std::string& name,
                                     absl::Duration fsync_interval) {
  const std::string dir = absl::StrCat(f.workdir, "/walcost-", name);
  std::filesystem::remove_all(dir);
  remote::wal::WriteAheadLog::Options options;
  options.fsync_interval = fsync_interval;
  absl::StatusOr<std::unique_ptr<remote::wal::WriteAheadLog>> wal =
      remote::wal::WriteAheadLog::Open(dir, options, Clock::Real(),
                                       QuietLogger());
  if (!wal.ok()) return wal.status();
  const std::vector<std::string> chunks =
      EncodeChunks(kChunks, f.records_per_append);
  // As WriteQueue::AppendRecordsWal: one log record per call, the sample
  // count then the records.
  std::vector<std::string> payloads;
  for (const std::string& records : chunks) {
    char head[10];
    std::string payload(
        head, static_cast<size_t>(
                  PutVarint(head, static_cast<uint64_t>(f.records_per_append)) -
                  head));
    payload += records;
    payloads.push_back(std::move(payload));
  }
  int64_t samples = 0;
  const absl::Time t0 = absl::Now();
  const double cpu0 = ThreadCpuSeconds();
  for (size_t i = 0; absl::Now() - t0 < f.wal_duration; ++i) {
    const absl::string_view payload = payloads[i % payloads.size()];
    absl::StatusOr<uint64_t> at =
        (*wal)->AppendBatch(absl::MakeConstSpan(&payload, 1));
    if (!at.ok()) return at.status();
    (*wal)->Ack(*at + 1);
    PROMSCRAPE_RETURN_IF_ERROR((*wal)->MaybeSync());
    samples += f.records_per_append;
  }
  const double cpu = ThreadCpuSeconds() - cpu0;
  const double wall = absl::ToDoubleSeconds(absl::Now() - t0);
  WalResult r;
  r.name = name;
  r.cpu_us_per_sample = cpu * 1e6 / static_cast<double>(samples);
  r.wall_us_per_sample = wall * 1e6 / static_cast<double>(samples);
  r.fsyncs = (*wal)->stats().fsyncs;
  wal->reset();
  std::filesystem::remove_all(dir);
  return r;
}

struct E2eResult {
  std::string engine;
  double samples_per_s = 0;
  double cpu_us_per_sample = 0;
  double cpu_cores = 0;
  int64_t peak_rss = 0;
  int64_t samples = 0;
  // Samples the sink got in the window (ours; -1 for Prometheus, whose
  // snappy bodies the sink does not decode) and requests it got.
  int64_t delivered = -1;
  int64_t sink_requests = 0;
  // Ours: CPU seconds in the window by thread name.
  std::map<std::string, double> threads;
};

struct E2eResults {
  E2eResult ours;
  std::optional<E2eResult> prometheus;
};

absl::StatusOr<E2eResults> RunEndToEnd(const Flags& f, Subprocess& sink,
                                       const std::string& grpc_address,
                                       const std::string& http_address,
                                       int* sink_snapshots) {
  TargetFarms::Options farm_options;
  farm_options.binary = f.farm;
  farm_options.workdir = f.workdir;
  farm_options.targets = f.targets;
  farm_options.series = f.series;
  farm_options.scrapers = f.reference ? 2 : 1;
  absl::StatusOr<std::unique_ptr<TargetFarms>> farms =
      TargetFarms::Start(farm_options);
  if (!farms.ok()) return farms.status();
  const std::vector<int>& ports = (*farms)->ports();

  const std::string ours_yml = f.workdir + "/prometheus.promscrape.yml";
  const std::string ref_yml = f.workdir + "/prometheus.reference.yml";
  const std::string host_yml = f.workdir + "/host.yaml";
  PROMSCRAPE_RETURN_IF_ERROR(
      WriteFile(ours_yml, ScrapeConfigYaml(f.interval, ports, "promscrape")));
  PROMSCRAPE_RETURN_IF_ERROR(WriteFile(
      ref_yml, absl::StrCat(ScrapeConfigYaml(f.interval, ports, "prometheus"),
                            "remote_write:\n  - url: http://", http_address,
                            "/api/v1/write\n    queue_config:\n"
                            "      max_samples_per_send: 2000\n")));
  // The plugin's defaults except the scrape file, the stream's target (the
  // sink, not the host) and the WAL directory.
  PROMSCRAPE_RETURN_IF_ERROR(WriteFile(
      host_yml,
      absl::StrCat("listen: 127.0.0.1:0\nstorage:\n  file: /dev/null\n"
                   "plugins:\n  - path: ",
                   f.plugin, "\n    config:\n      control_listen: 127.0.0.1:",
                   PickUnusedPort(), "\n      scrape_config_file: ", ours_yml,
                   "\n      reload_interval: 1s"
                   "\n      self_metrics:\n        enabled: false"
                   "\n      remote_write:\n        target: ",
                   grpc_address, "\n        wal_dir: ", f.workdir,
                   "/plugin-wal\n")));

  absl::StatusOr<std::unique_ptr<Subprocess>> host =
      Subprocess::Start({f.host, "--config", host_yml});
  if (!host.ok()) return host.status();
  std::unique_ptr<Subprocess> prometheus;
  if (f.reference) {
    auto p = Subprocess::Start(
        {f.prometheus, "--enable-feature=agent", "--config.file=" + ref_yml,
         "--storage.agent.path=" + f.workdir + "/agent",
         absl::StrCat("--web.listen-address=127.0.0.1:", PickUnusedPort()),
         "--log.level=warn"});
    if (!p.ok()) return p.status();
    prometheus = std::move(p).value();
  }
  absl::SleepFor(f.e2e_warmup);

  // The window: CPU and farm counts at both ends.
  const std::string stats0 = (*farms)->Snapshot();
  const absl::Time t0 = absl::Now();
  const double host_cpu0 = CpuSeconds((*host)->pid());
  const std::map<std::string, double> threads0 =
      CpuSecondsByThread((*host)->pid());
  const double prom_cpu0 = prometheus ? CpuSeconds(prometheus->pid()) : 0;
  const std::string sink0 = SinkSnapshot(sink, ++*sink_snapshots);
  absl::SleepFor(f.e2e_duration);
  const std::string stats1 = (*farms)->Snapshot();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - t0);
  const double host_cpu1 = CpuSeconds((*host)->pid());
  const std::map<std::string, double> threads1 =
      CpuSecondsByThread((*host)->pid());
  const double prom_cpu1 = prometheus ? CpuSeconds(prometheus->pid()) : 0;
  const std::string sink1 = SinkSnapshot(sink, ++*sink_snapshots);
  auto sink_delta = [&sink0, &sink1](absl::string_view key) {
    return SinkCount(sink1, key) - SinkCount(sink0, key);
  };

  E2eResults out;
  auto fill = [&](E2eResult& r, const std::string& scraper, double cpu,
                  pid_t pid) {
    FarmCounts before, after;
    AddFarmStats(stats0, scraper, f.interval, before);
    AddFarmStats(stats1, scraper, f.interval, after);
    r.samples = (after.scrapes - before.scrapes) * (f.series + 5);
    r.samples_per_s = static_cast<double>(r.samples) / seconds;
    r.cpu_cores = cpu / seconds;
    if (r.samples > 0) {
      r.cpu_us_per_sample = cpu * 1e6 / static_cast<double>(r.samples);
    }
    r.peak_rss = StatusBytes(pid, "VmHWM:");
  };
  out.ours.engine = "promscrape";
  fill(out.ours, "promscrape", host_cpu1 - host_cpu0, (*host)->pid());
  out.ours.delivered = sink_delta("grpc_samples");
  out.ours.sink_requests = sink_delta("grpc_requests");
  for (const auto& [name, seconds] : threads1) {
    const auto before = threads0.find(name);
    out.ours.threads[name] =
        seconds - (before == threads0.end() ? 0 : before->second);
  }
  if (prometheus) {
    out.prometheus.emplace();
    out.prometheus->engine = "prometheus_agent";
    fill(*out.prometheus, "prometheus", prom_cpu1 - prom_cpu0,
         prometheus->pid());
    out.prometheus->sink_requests = sink_delta("http_requests");
  }
  StopProcess(**host, absl::Seconds(60), "scrape_host");
  if (prometheus) StopProcess(*prometheus, absl::Seconds(60), "prometheus");
  (*farms)->Stop();
  // The logs grow with the run (hundreds of MB at 10,000 targets).
  std::filesystem::remove_all(f.workdir + "/plugin-wal");
  std::filesystem::remove_all(f.workdir + "/agent");
  return out;
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "remote_bench: %s\n",
               std::string(status.message()).c_str());
  return 1;
}

int Run(int argc, char** argv) {
  absl::StatusOr<Flags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) return Fail(flags.status());
  Flags& f = *flags;
  for (std::string* path :
       {&f.sink, &f.farm, &f.host, &f.plugin, &f.prometheus}) {
    *path = Absolute(*path);
  }
  if (f.workdir.empty()) {
    absl::StatusOr<std::string> dir = MakeWorkDir("remote_bench");
    if (!dir.ok()) return Fail(dir.status());
    f.workdir = *dir;
  }
  std::fprintf(stderr, "remote_bench: work directory %s\n", f.workdir.c_str());

  absl::StatusOr<std::unique_ptr<Subprocess>> sink =
      Subprocess::Start({f.sink});
  if (!sink.ok()) return Fail(sink.status());
  std::optional<std::string> ready =
      (*sink)->WaitForOutput("remote_sink: ready", absl::Seconds(30));
  if (!ready.has_value()) {
    return Fail(absl::UnavailableError(
        absl::StrCat("remote_sink did not start:\n", (*sink)->output())));
  }
  // "remote_sink: ready grpc=<addr> http=<addr>"
  std::string grpc_address, http_address;
  for (absl::string_view word : absl::StrSplit(*ready, ' ')) {
    if (absl::ConsumePrefix(&word, "grpc=")) grpc_address = std::string(word);
    if (absl::ConsumePrefix(&word, "http=")) http_address = std::string(word);
  }
  int sink_snapshots = 0;

  std::vector<StreamResult> stream;
  if (f.stream) {
    std::vector<StreamCase> cases = {
        {"wal_off", false},
        {"wal_fsync_1s", true, absl::Seconds(1)},
        {"wal_fsync_every_append", true, absl::ZeroDuration()}};
    if (f.protocols) {
      cases.push_back({"protocol_v1", false, absl::Seconds(1),
                       remote::WriteQueue::Protocol::kV1});
      cases.push_back({"protocol_v2", false, absl::Seconds(1),
                       remote::WriteQueue::Protocol::kV2});
    }
    for (const StreamCase& c : cases) {
      absl::StatusOr<StreamResult> r =
          RunStreamCase(f, c, **sink, grpc_address, &sink_snapshots);
      if (!r.ok()) return Fail(r.status());
      std::printf(
          "STREAM case=%s samples_per_s=%.0f cpu_us_per_sample=%.3f "
          "append_p50_us=%.1f append_p99_us=%.1f append_max_us=%.1f "
          "sink_cpu_us_per_sample=%.3f dropped=%.0f producers=%lld "
          "records_per_append=%lld wal_fsyncs=%llu wal_last_fsync_ms=%.1f "
          "protocol=%s bytes_per_sample=%.1f\n",
          r->name.c_str(), r->samples_per_s, r->cpu_us_per_sample,
          r->append_p50_us, r->append_p99_us, r->append_max_us,
          r->sink_cpu_us_per_sample, r->dropped,
          static_cast<long long>(f.producers),
          static_cast<long long>(f.records_per_append),
          static_cast<unsigned long long>(r->fsyncs), r->last_fsync_ms,
          r->protocol.c_str(), r->bytes_per_sample);
      std::fflush(stdout);
      stream.push_back(*r);
    }
    const StreamResult* v1 = nullptr;
    const StreamResult* v2 = nullptr;
    for (const StreamResult& r : stream) {
      if (r.name == "protocol_v1") v1 = &r;
      if (r.name == "protocol_v2") v2 = &r;
    }
    if (v1 != nullptr && v2 != nullptr && v1->cpu_us_per_sample > 0 &&
        v1->bytes_per_sample > 0 && v1->samples_per_s > 0) {
      std::printf(
          "PROTOCOL_RATIO cpu_v2_over_v1=%.2f bytes_v2_over_v1=%.2f "
          "samples_per_s_v2_over_v1=%.2f\n",
          v2->cpu_us_per_sample / v1->cpu_us_per_sample,
          v2->bytes_per_sample / v1->bytes_per_sample,
          v2->samples_per_s / v1->samples_per_s);
      std::fflush(stdout);
    }
  }
  std::vector<WalResult> wal;
  if (f.wal_cost) {
    for (const auto& [name, interval] :
         {std::pair<std::string, absl::Duration>{"fsync_1s", absl::Seconds(1)},
          {"fsync_every_append", absl::ZeroDuration()}}) {
      absl::StatusOr<WalResult> r = RunWalCase(f, name, interval);
      if (!r.ok()) return Fail(r.status());
      std::printf(
          "WAL case=%s cpu_us_per_sample=%.3f wall_us_per_sample=%.3f "
          "fsyncs=%llu records_per_append=%lld\n",
          r->name.c_str(), r->cpu_us_per_sample, r->wall_us_per_sample,
          static_cast<unsigned long long>(r->fsyncs),
          static_cast<long long>(f.records_per_append));
      std::fflush(stdout);
      wal.push_back(*r);
    }
  }
  std::optional<E2eResults> e2e;
  std::string ours_threads;
  if (f.e2e) {
    absl::StatusOr<E2eResults> r =
        RunEndToEnd(f, **sink, grpc_address, http_address, &sink_snapshots);
    if (!r.ok()) return Fail(r.status());
    e2e = *r;
    auto print = [&f](const E2eResult& e) {
      std::printf(
          "E2E engine=%s samples_per_s=%.0f cpu_us_per_sample=%.3f "
          "cpu_cores=%.3f peak_rss_bytes=%lld samples=%lld delivered=%lld "
          "sink_requests=%lld targets=%lld series=%lld interval_s=%g\n",
          e.engine.c_str(), e.samples_per_s, e.cpu_us_per_sample, e.cpu_cores,
          static_cast<long long>(e.peak_rss), static_cast<long long>(e.samples),
          static_cast<long long>(e.delivered),
          static_cast<long long>(e.sink_requests),
          static_cast<long long>(f.targets), static_cast<long long>(f.series),
          absl::ToDoubleSeconds(f.interval));
    };
    print(e2e->ours);
    // Where our process's CPU went, per thread name (ps-http: scrape, parse,
    // append, WAL write; ps-remote-write: the stream's sender; ps-rw-acks:
    // acks and WAL checkpoints; the rest: gRPC, the host's idle server).
    for (const auto& [name, seconds] : e2e->ours.threads) {
      if (seconds <= 0 || e2e->ours.samples <= 0) continue;
      absl::StrAppendFormat(
          &ours_threads, " %s=%.3f", name,
          seconds * 1e6 / static_cast<double>(e2e->ours.samples));
    }
    std::printf(
        "E2E_THREADS engine=promscrape cpu_us_per_sample_by_thread:%s\n",
        ours_threads.c_str());
    if (e2e->prometheus) {
      print(*e2e->prometheus);
      std::printf("RATIO cpu=%.2f\n", e2e->ours.cpu_us_per_sample > 0
                                          ? e2e->prometheus->cpu_us_per_sample /
                                                e2e->ours.cpu_us_per_sample
                                          : 0.0);
    }
    std::fflush(stdout);
  }
  const std::string sink_output =
      StopProcess(**sink, absl::Seconds(30), "remote_sink");

  // The table.
  if (!stream.empty()) {
    std::printf(
        "\n(a) stream to a discarding host, %lld producer(s), %lld "
        "samples per append\n"
        "%-24s %5s %12s %14s %12s %12s %12s %10s\n",
        static_cast<long long>(f.producers),
        static_cast<long long>(f.records_per_append), "case", "proto",
        "samples/s", "CPU us/sample", "append p50", "append p99",
        "sink us/smp", "B/sample");
    for (const StreamResult& r : stream) {
      std::printf("%-24s %5s %12.0f %14.3f %10.1fus %10.1fus %12.3f %10.1f\n",
                  r.name.c_str(), r.protocol.c_str(), r.samples_per_s,
                  r.cpu_us_per_sample, r.append_p50_us, r.append_p99_us,
                  r.sink_cpu_us_per_sample, r.bytes_per_sample);
    }
  }
  if (!wal.empty()) {
    std::printf(
        "\n(b) WAL write, one record per append of %lld samples\n"
        "%-24s %14s %15s %8s\n",
        static_cast<long long>(f.records_per_append), "case", "CPU us/sample",
        "wall us/sample", "fsyncs");
    for (const WalResult& r : wal) {
      std::printf("%-24s %14.3f %15.3f %8llu\n", r.name.c_str(),
                  r.cpu_us_per_sample, r.wall_us_per_sample,
                  static_cast<unsigned long long>(r.fsyncs));
    }
  }
  if (e2e) {
    std::printf(
        "\n(c) end to end, %lld targets x %lld series every %gs, %gs window\n"
        "%-24s %12s %14s %10s %12s\n",
        static_cast<long long>(f.targets), static_cast<long long>(f.series),
        absl::ToDoubleSeconds(f.interval),
        absl::ToDoubleSeconds(f.e2e_duration), "process", "samples/s",
        "CPU us/sample", "CPU cores", "peak RSS MB");
    for (const E2eResult* r :
         {&e2e->ours, e2e->prometheus ? &*e2e->prometheus : nullptr}) {
      if (r == nullptr) continue;
      std::printf("%-24s %12.0f %14.3f %10.3f %12.1f\n", r->engine.c_str(),
                  r->samples_per_s, r->cpu_us_per_sample, r->cpu_cores,
                  static_cast<double>(r->peak_rss) / 1e6);
    }
    std::printf("promscrape by thread, us/sample:%s\n", ours_threads.c_str());
    if (e2e->prometheus && e2e->ours.cpu_us_per_sample > 0) {
      std::printf(
          "CPU ratio agent / ours: %.2f\n",
          e2e->prometheus->cpu_us_per_sample / e2e->ours.cpu_us_per_sample);
    }
  }
  std::fflush(stdout);
  const size_t last = sink_output.rfind("remote_sink: stats");
  if (last != std::string::npos) {
    std::fprintf(stderr, "remote_bench: sink final: %s",
                 sink_output.substr(last).c_str());
  }
  return 0;
}

}  // namespace
}  // namespace promscrape::bench

int main(int argc, char** argv) { return promscrape::bench::Run(argc, argv); }
