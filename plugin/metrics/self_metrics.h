#ifndef PLUGIN_METRICS_SELF_METRICS_H_
#define PLUGIN_METRICS_SELF_METRICS_H_

#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "plugin/common/clock.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/metrics/registry.h"
#include "plugin/model/sample_sink.h"

namespace promscrape::metrics {

// Appends the plugin's own metrics (everything in a Registry, plus
// `up 1`) to the same sink as the scrapes, as one scrape of job `job` and
// instance `instance` every `interval`: one appender, committed whole.
//
// Thread-safe. Start appends once on the caller's thread (so even a plugin
// stopped at once has reported itself), then runs a thread of its own until
// Stop. `registry`, `sink`, `clock` and `logger` must outlive it.
class SelfMetrics {
 public:
  struct Options {
    std::string job = "promscrape";
    std::string instance;
    absl::Duration interval = absl::Seconds(15);
  };

  SelfMetrics(Options options, Registry& registry, model::SampleSink& sink,
              const Clock& clock, const Logger& logger);
  SelfMetrics(const SelfMetrics&) = delete;
  SelfMetrics& operator=(const SelfMetrics&) = delete;
  // Equivalent to Stop().
  ~SelfMetrics();

  void Start() ABSL_LOCKS_EXCLUDED(mu_);
  // Joins the thread. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // One self scrape stamped `now`.
  void AppendOnce(absl::Time now);

 private:
  void Run() ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  Registry& registry_;
  model::SampleSink& sink_;
  const Clock& clock_;
  const Logger& logger_;
  Metric& self_scrapes_;
  // The encoded labels of the sample being appended (reused).
  std::string labels_buffer_;

  Mutex mu_;
  CondVar cv_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace promscrape::metrics

#endif  // PLUGIN_METRICS_SELF_METRICS_H_
