#include "plugin/metrics/self_metrics.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "plugin/common/thread_name.h"
#include "plugin/model/compact_labels.h"
#include "plugin/model/labels.h"

namespace promscrape::metrics {

SelfMetrics::SelfMetrics(Options options, Registry& registry,
                         model::SampleSink& sink, const Clock& clock,
                         const Logger& logger)
    : options_(std::move(options)),
      registry_(registry),
      sink_(sink),
      clock_(clock),
      logger_(logger),
      self_scrapes_(registry.Counter(
          "promscrape_self_scrapes_total",
          "Times the plugin appended its own metrics.")) {}

SelfMetrics::~SelfMetrics() { Stop(); }

void SelfMetrics::Start() {
  AppendOnce(clock_.Now());
  thread_ = std::thread([this] {
    SetCurrentThreadName("ps-self-metrics");
    Run();
  });
}

void SelfMetrics::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void SelfMetrics::Run() {
  const absl::Duration interval = options_.interval;
  // Start appended at "now"; keep a regular grid from it.
  absl::Time next = clock_.Now() + interval;
  MutexLock lock(&mu_);
  while (!stopping_) {
    absl::Duration wait = next - clock_.Now();
    if (wait > absl::ZeroDuration()) {
      cv_.WaitWithTimeout(&mu_, wait);
      continue;
    }
    mu_.Unlock();
    AppendOnce(next);
    mu_.Lock();
    next += interval;
    // After a long stall, skip the missed ticks instead of bursting.
    absl::Time now = clock_.Now();
    if (next < now) next = now + interval - (now - next) % interval;
  }
}

void SelfMetrics::AppendOnce(absl::Time now) {
  self_scrapes_.Increment();
  const int64_t ts = absl::ToUnixMillis(now);
  std::vector<MetricSample> samples = registry_.Collect();
  samples.push_back({"up", {}, 1});
  std::unique_ptr<model::Appender> appender = sink_.NewAppender();
  std::vector<std::pair<absl::string_view, absl::string_view>> labels;
  for (const MetricSample& s : samples) {
    labels.clear();
    labels.emplace_back(model::kMetricName, s.name);
    labels.emplace_back(model::kInstanceLabel, options_.instance);
    labels.emplace_back(model::kJobLabel, options_.job);
    for (const LabelPair& l : s.labels) labels.emplace_back(l.first, l.second);
    std::sort(labels.begin(), labels.end());
    labels_buffer_.clear();
    for (const auto& [name, value] : labels) {
      model::CompactLabels::AppendEncoded(name, value, &labels_buffer_);
    }
    appender->Append(model::SeriesLabels(labels_buffer_, {}), ts, s.value);
  }
  absl::Status status = appender->Commit();
  if (!status.ok()) logger_.Warning("self metrics: ", status.ToString());
}

}  // namespace promscrape::metrics
