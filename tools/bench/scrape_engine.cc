// scrape_engine: the scrape engine alone (Manager, pools, loops, HTTP
// client, parsers, append) scraping a prometheus.yml into a counting sink,
// for scrape_bench: its CPU and memory are the engine's, without the
// remote-write queue, gRPC or a host's storage.
//
//   scrape_engine --config prometheus.yml [--workers N]
//
// Runs until SIGTERM or SIGINT, then stops the engine and prints
// "<n> samples stored" (the line scrape_bench reads, as from scrape_host).

#include <signal.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "plugin/common/logging.h"
#include "plugin/config/prometheus_config.h"
#include "plugin/discovery/discovery_manager.h"
#include "plugin/metrics/registry.h"
#include "plugin/scrape/manager.h"
#include "plugin/model/sample_sink.h"

namespace promscrape::bench {
namespace {

// Counts committed samples; allocates nothing per sample.
class CountingSink : public model::SampleSink {
 public:
  std::unique_ptr<model::Appender> NewAppender() override {
    return std::make_unique<CountingAppender>(this);
  }
  int64_t committed() const { return committed_.load(); }

 private:
  class CountingAppender : public model::Appender {
   public:
    explicit CountingAppender(CountingSink* sink) : sink_(sink) {}
    model::AppendStatus Append(const model::SeriesLabels&, int64_t,
                                double) override {
      ++n_;
      return model::AppendStatus::kOk;
    }
    model::AppendStatus AppendHistogram(const model::SeriesLabels&, int64_t,
                                         const model::Histogram&) override {
      ++n_;
      return model::AppendStatus::kOk;
    }
    absl::Status Commit() override {
      sink_->committed_.fetch_add(n_, std::memory_order_relaxed);
      n_ = 0;
      return absl::OkStatus();
    }
    void Rollback() override { n_ = 0; }

   private:
    CountingSink* sink_;
    int64_t n_ = 0;
  };

  std::atomic<int64_t> committed_{0};
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "scrape_engine: %s\n", message.c_str());
  return 2;
}

int Run(int argc, char** argv) {
  std::string config_path;
  int workers = 0;
  bool inline_completions = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--config") {
      config_path = argv[i + 1];
    } else if (flag == "--workers" && absl::SimpleAtoi(argv[i + 1], &workers)) {
    } else if (flag == "--inline" &&
               absl::SimpleAtob(argv[i + 1], &inline_completions)) {
    } else {
      return Fail(absl::StrCat("bad flag \"", flag, "\""));
    }
  }
  if (config_path.empty()) {
    return Fail("usage: scrape_engine --config prometheus.yml [--workers N]");
  }
  absl::StatusOr<config::PrometheusConfig> config =
      // scrape_bench compares with Prometheus 2.42's agent: same semantics
      // (the plugin config's prometheus_compat "2").
      config::LoadPrometheusConfigFile(config_path,
                                       config::PrometheusCompat::kV2);
  if (!config.ok()) return Fail(std::string(config.status().message()));

  // Block the stop signals before any thread starts, so they reach only
  // sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Logger logger;
  metrics::Registry registry;
  CountingSink sink;
  scrape::Manager::Options options;
  options.workers = workers;
  options.inline_completions = inline_completions;
  auto manager = scrape::Manager::Create(options, sink, registry, logger);
  if (!manager.ok()) return Fail(std::string(manager.status().message()));
  auto applied = (*manager)->ApplyConfig(*config);
  if (!applied.ok()) return Fail(std::string(applied.status().message()));
  // The config's static and file targets, as the plugin feeds them.
  discovery::Manager discovery(
      {.reload_interval = absl::Seconds(1)},
      [m = manager->get()](const std::string& job,
                           const std::vector<discovery::TargetGroup>& groups) {
        m->SyncTargets(job, groups);
      },
      logger);
  discovery.ApplyConfig(*config);
  std::fprintf(stderr, "scrape_engine: running\n");

  int sig = 0;
  sigwait(&signals, &sig);
  discovery.Stop();
  (*manager)->Stop();
  std::printf("%lld samples stored\n",
              static_cast<long long>(sink.committed()));
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace promscrape::bench

int main(int argc, char** argv) { return promscrape::bench::Run(argc, argv); }
