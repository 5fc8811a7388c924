#include "tools/bench/bench_farm.h"

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "tools/bench/bench_process.h"

namespace promscrape::bench {

using ::promscrape::testing::Subprocess;

std::string ScrapeConfigYaml(absl::Duration interval,
                             const std::vector<int>& ports,
                             const std::string& scraper) {
  const int64_t interval_ms = absl::ToInt64Milliseconds(interval);
  const int64_t timeout_ms = std::min<int64_t>(interval_ms, 10000);
  std::string yaml = absl::StrCat(
      "global:\n  scrape_interval: ", interval_ms,
      "ms\n  scrape_timeout: ", timeout_ms,
      "ms\nscrape_configs:\n  - job_name: node\n",
      "    metrics_path: /metrics/", scraper,
      "\n    static_configs:\n      - labels:\n          env: bench\n",
      "        targets:\n");
  for (int port : ports) {
    absl::StrAppend(&yaml, "          - 127.0.0.1:", port, "\n");
  }
  return yaml;
}

void AddFarmStats(const std::string& stats, const std::string& scraper,
                  absl::Duration interval, FarmCounts& counts) {
  const double interval_ms = absl::ToDoubleMilliseconds(interval);
  for (absl::string_view line :
       absl::StrSplit(stats, '\n', absl::SkipEmpty())) {
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

absl::StatusOr<std::unique_ptr<TargetFarms>> TargetFarms::Start(
    const Options& options) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);

  // A --workdir given but not made yet: the farms write their ports there.
  std::error_code ec;
  std::filesystem::create_directories(options.workdir, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot create work directory ", options.workdir, ": ", ec.message()));
  }
  std::unique_ptr<TargetFarms> farms(new TargetFarms(options));
  const int64_t per_farm = std::max<int64_t>(
      1, (static_cast<int64_t>(limit.rlim_cur) - 200) / (1 + options.scrapers));
  const int64_t processes = (options.targets + per_farm - 1) / per_farm;
  for (int64_t i = 0; i < processes; ++i) {
    const int64_t n = std::min(per_farm, options.targets - i * per_farm);
    const std::string ports_file = absl::StrCat(options.workdir, "/ports.", i);
    auto farm = Subprocess::Start(
        {options.binary, "--targets", absl::StrCat(n), "--series",
         absl::StrCat(options.series), "--threads",
         absl::StrCat(options.threads), "--churn",
         absl::StrCat(options.churn_percent), "--ports_file", ports_file,
         "--stats_file", absl::StrCat(options.workdir, "/stats.", i)});
    if (!farm.ok()) return farm.status();
    if (!(*farm)->WaitForOutput("target_farm: ready", absl::Seconds(120))) {
      return absl::UnavailableError(
          absl::StrCat("target_farm did not start:\n", (*farm)->output()));
    }
    for (absl::string_view line :
         absl::StrSplit(ReadFile(ports_file), '\n', absl::SkipEmpty())) {
      int port = 0;
      if (absl::SimpleAtoi(line, &port)) farms->ports_.push_back(port);
    }
    farms->farms_.push_back(std::move(farm).value());
  }
  return farms;
}

std::string TargetFarms::Snapshot() {
  ++snapshots_;
  for (auto& farm : farms_) farm->Signal(SIGUSR1);
  // Each SIGUSR1 prints one more "stats written" line.
  const std::string needle = "target_farm: stats written";
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  for (auto& farm : farms_) {
    for (;;) {
      const std::string out = farm->output();
      int seen = 0;
      for (size_t at = out.find(needle); at != std::string::npos;
           at = out.find(needle, at + 1)) {
        ++seen;
      }
      if (seen >= snapshots_) break;
      if (absl::Now() > deadline) {
        std::fprintf(stderr, "bench: a target_farm wrote no stats\n");
        break;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  std::string stats;
  for (size_t i = 0; i < farms_.size(); ++i) {
    stats += ReadFile(absl::StrCat(options_.workdir, "/stats.", i));
  }
  return stats;
}

void TargetFarms::Stop() {
  for (auto& farm : farms_) {
    StopProcess(*farm, absl::Seconds(60), "target_farm");
  }
}

}  // namespace promscrape::bench
