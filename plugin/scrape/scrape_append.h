#ifndef PLUGIN_SCRAPE_SCRAPE_APPEND_H_
#define PLUGIN_SCRAPE_SCRAPE_APPEND_H_

// CONTRACT (written before the implementation): the append step of a scrape
// loop, Prometheus' scrapeLoop.append + scrapeCache + report
// (PROMETHEUS_REFERENCE.md §5.3-§5.11). The loop runtime (scheduling, HTTP)
// lives in scrape_loop.h and calls only what is declared here.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "plugin/labels/labels.h"
#include "plugin/relabel/rule.h"
#include "plugin/scrape/sample_sink.h"
#include "plugin/textparse/parser.h"

namespace promscrape::scrape {

// What the append step needs of the target's config. Pointers must outlive
// the ScrapeAppend that holds them.
struct AppendOptions {
  // The target's public labels (Target::PublicLabels()): attached to every
  // sample with honor_labels / exported_ rules, and to report series.
  labels::Labels target_labels;
  bool honor_labels = false;
  bool honor_timestamps = true;
  bool track_timestamps_staleness = false;
  // Zero means no limit, as in Prometheus.
  uint64_t sample_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  uint64_t native_histogram_bucket_limit = 0;
  bool scrape_classic_histograms = false;
  const std::vector<relabel::Rule>* metric_relabel_rules = nullptr;
};

// Counts of one append, for the report series and the target state.
struct AppendResult {
  int64_t total = 0;        // scrape_samples_scraped
  int64_t added = 0;        // scrape_samples_post_metric_relabeling
  int64_t series_added = 0; // scrape_series_added
  absl::Status error;       // parse error, limit exceeded, invalid labels...
};

// One TYPE/HELP/UNIT entry of the metadata cache.
struct MetricMetadata {
  std::string metric;
  textparse::MetricType type = textparse::MetricType::kUnknown;
  std::string help;
  std::string unit;
};

// The per-target state that lives from scrape to scrape: the series cache
// keyed by the parser's raw series bytes (so a warm scrape allocates nothing
// per sample), the dropped-series cache, the staleness sets of the last and
// current scrape, the metadata cache, and reused parser/buffers.
//
// Thread-compatible: the loop calls it from one thread at a time (scrapes
// of one target never overlap). Metadata() may be called concurrently with
// the others (it takes an internal lock).
class ScrapeAppend {
 public:
  explicit ScrapeAppend(AppendOptions options);
  ~ScrapeAppend();

  // Replaces the options (config reload keeps the caches when the target
  // labels and relabel rules are unchanged; otherwise the caller builds a
  // new ScrapeAppend).
  const AppendOptions& options() const;

  // Parses `body` (empty for a failed scrape) whose Content-Type is
  // `content_type` as scraped at `timestamp_ms` and appends every sample to
  // `app`, with Prometheus' exact semantics: cache hit/miss, label
  // mutation (honor_labels, exported_), metric relabeling, limits, duplicate
  // detection, staleness markers for series that vanished since the last
  // successful scrape (an empty body marks every series stale). On error
  // the caller rolls `app` back and calls Append again with an empty body on
  // a fresh appender (§5.3 step 8).
  AppendResult Append(std::string_view body, std::string_view content_type,
                      int64_t timestamp_ms, Appender& app);

  // Appends StaleNaN at `timestamp_ms` for every series of the last
  // successful scrape and the report series (used when the target stops,
  // §5.6).
  void AppendStaleMarkersOnStop(int64_t timestamp_ms, Appender& app);

  // Appends the five report series (up, scrape_duration_seconds,
  // scrape_samples_scraped, scrape_samples_post_metric_relabeling,
  // scrape_series_added) at `timestamp_ms` with the target labels (§5.11).
  void AppendReport(int64_t timestamp_ms, absl::Duration duration,
                    const AppendResult& result, bool up, Appender& app);

  // A snapshot of the metadata cache, sorted by metric name.
  std::vector<MetricMetadata> Metadata() const;
};

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_SCRAPE_APPEND_H_
