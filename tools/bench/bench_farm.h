#ifndef TOOLS_BENCH_BENCH_FARM_H_
#define TOOLS_BENCH_BENCH_FARM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/testutil/subprocess.h"

namespace promscrape::bench {

// The target farm (target_farm) as benchmarks drive it: one or more farm
// processes holding `targets` 127.0.0.1 targets between them, the
// prometheus.yml that scrapes them, and the farm's per-scraper request
// counts. Scrapers are told apart by the last segment of metrics_path.

// The `global` and `scrape_configs` sections of a prometheus.yml scraping
// `ports` every `interval` (timeout min(interval, 10s)) as job "node" with
// metrics_path /metrics/<scraper>.
std::string ScrapeConfigYaml(absl::Duration interval,
                             const std::vector<int>& ports,
                             const std::string& scraper);

// What the farm saw from one scraper.
struct FarmCounts {
  int64_t scrapes = 0;
  // Per target, scrapes missing between its first and last request.
  int64_t missed = 0;
  int64_t targets_scraped = 0;
};

// Adds the farm's stats file lines for `scraper` into `counts`.
void AddFarmStats(const std::string& stats, const std::string& scraper,
                  absl::Duration interval, FarmCounts& counts);

// The running farm processes. Thread-compatible.
class TargetFarms {
 public:
  struct Options {
    std::string binary;   // target_farm
    std::string workdir;  // ports.<i> and stats.<i> go here
    int64_t targets = 1;
    int64_t series = 10;
    int64_t threads = 1;  // epoll threads per farm process
    // Concurrent scrapers: each target holds a listener plus one connection
    // per scraper, so the number of processes follows from RLIMIT_NOFILE.
    int64_t scrapers = 1;
    // Percent of each target's series replaced on every scrape (--churn).
    double churn_percent = 0;
  };

  // Raises this process's RLIMIT_NOFILE to its hard limit (children inherit
  // it) and starts the farms; returns once every target listens.
  static absl::StatusOr<std::unique_ptr<TargetFarms>> Start(
      const Options& options);

  const std::vector<int>& ports() const { return ports_; }
  size_t processes() const { return farms_.size(); }

  // Asks every farm for its counts so far (SIGUSR1), waits for them and
  // returns the concatenated stats lines (see target_farm.cc).
  std::string Snapshot();

  // Stops the farms; afterwards the stats files hold the final counts.
  void Stop();

 private:
  explicit TargetFarms(Options options) : options_(std::move(options)) {}

  const Options options_;
  std::vector<std::unique_ptr<testing::Subprocess>> farms_;
  std::vector<int> ports_;
  int snapshots_ = 0;
};

}  // namespace promscrape::bench

#endif  // TOOLS_BENCH_BENCH_FARM_H_
