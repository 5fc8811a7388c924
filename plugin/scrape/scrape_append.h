#ifndef PLUGIN_SCRAPE_SCRAPE_APPEND_H_
#define PLUGIN_SCRAPE_SCRAPE_APPEND_H_

// The append step of a scrape loop: Prometheus' scrapeLoop.append,
// scrapeCache and report (scrape/scrape.go). The loop runtime (scheduling, HTTP)
// lives in scrape_loop.h and calls only what is declared here.

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "plugin/common/clock.h"
#include "plugin/model/builder.h"
#include "plugin/model/labels.h"
#include "plugin/relabel/rule.h"
#include "plugin/scrape/label_mutation.h"
#include "plugin/model/sample_sink.h"
#include "plugin/scrape/series_cache.h"
#include "plugin/config/compat.h"
#include "plugin/model/histogram.h"
#include "plugin/textparse/content_type.h"
#include "plugin/textparse/parser.h"

namespace promscrape::scrape {

using model::MetricMetadata;

// What the append step needs of the target's config. Pointers must outlive
// the ScrapeAppend that holds them.
struct AppendOptions {
  // The target's public labels (Target::PublicLabels()): attached to every
  // sample with honor_labels / exported_ rules, and to report series.
  // ScrapeAppend keeps them in compact form only: its options() show them
  // empty.
  model::Labels target_labels;
  bool honor_labels = false;
  bool honor_timestamps = true;
  bool track_timestamps_staleness = false;
  // Zero means no limit, as in Prometheus.
  uint64_t sample_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  uint64_t native_histogram_bucket_limit = 0;
  // Native histograms with a finer schema than this factor allows are
  // reduced (Prometheus' maxSchemaAppender); 0 keeps every schema.
  double native_histogram_min_bucket_factor = 0;
  bool scrape_classic_histograms = false;
  // Protobuf: false exposes native histograms as classic series only.
  bool scrape_native_histograms = true;
  // Text and OpenMetrics (3.x convert_classic_histograms_to_nhcb): classic
  // histograms are stored as native histograms with custom buckets, their
  // classic series only with scrape_classic_histograms.
  bool convert_classic_histograms_to_nhcb = false;
  // Start (created) timestamps, Prometheus 3.x' ParseST and
  // created-timestamp-zero-ingestion (scrape.go's append): kAttach reads
  // them (OpenMetrics `_created` lines stop being series) and hands each
  // sample to the sink with its start timestamp (AppendWithStart);
  // kZeroSample also appends a 0 at the start timestamp when it is before
  // the sample and after the series' previous sample (the TSDB and agent
  // refuse it otherwise: ErrOutOfOrderST), not counted against limits.
  config::StartTimestampMode start_timestamps =
      config::StartTimestampMode::kIgnore;
  const std::vector<relabel::Rule>* metric_relabel_rules = nullptr;
  // Prometheus 3.x semantics (prometheus_compat "3"); the defaults are 2.x'.
  // How final metric and label names are validated
  // (metric_name_validation_scheme): a name invalid under it fails the scrape.
  model::NameValidation name_validation = model::NameValidation::kLegacy;
  // The parser accepts the quoted-name syntax (ParserOptions::utf8_names).
  bool utf8_names = false;
  // 3.x' parsing and append rules where 2.42 differs (tests/difffuzz found
  // them): the parsers' 3.x grammar (ParserOptions::prometheus3_grammar); a
  // series repeated in one scrape without a timestamp is a duplicate even
  // when its earlier sample had one (2.42 appends it at the scrape time);
  // an empty body is an empty scrape whatever its Content-Type (2.42 fails
  // an empty OpenMetrics body: no `# EOF`).
  bool prometheus3_rules = false;
  // 3.x textparse.New: a blank, unparsable or unknown Content-Type fails the
  // scrape unless `fallback_protocol` (fallback_scrape_protocol) is set.
  // False: 2.x, which parses such bodies as Prometheus text.
  bool strict_content_type = false;
  std::optional<textparse::ScrapeProtocol> fallback_protocol;
  // "Now" for the out-of-bounds check (samples more than 10 minutes in the
  // future are skipped). Null uses the scrape timestamp as now. Must outlive
  // the ScrapeAppend.
  const Clock* clock = nullptr;
  // 3.x `extra_scrape_metrics`: AppendReport adds scrape_timeout_seconds
  // (`scrape_timeout`), scrape_sample_limit (`sample_limit`) and
  // scrape_body_size_bytes (AppendResult::body_bytes).
  bool extra_scrape_metrics = false;
  absl::Duration scrape_timeout;
  // The lower edge of the appendable window of a TSDB the sink stands for
  // (Prometheus' head: about an hour behind its newest sample). The TSDB
  // drops an older sample as out of bounds before it looks for repeated
  // label names, so such a sample does not fail the scrape. Unknown behind
  // remote write: the default checks every sample. tests/difffuzz sets it.
  int64_t storage_min_valid_ms = std::numeric_limits<int64_t>::min();
};

// Counts of one append, for the report series and the target state.
struct AppendResult {
  int64_t total = 0;        // scrape_samples_scraped
  int64_t added = 0;        // scrape_samples_post_metric_relabeling
  int64_t series_added = 0; // scrape_series_added
  // scrape_body_size_bytes (with extra_scrape_metrics), set by the caller:
  // the body's size, 0 when the scrape failed, -1 when it failed for
  // exceeding body_size_limit (Prometheus' bytesRead).
  int64_t body_bytes = 0;
  absl::Status error;       // parse error, limit exceeded, invalid labels...
  // Samples skipped without failing the scrape (Prometheus logs and counts
  // them: prometheus_target_scrapes_sample_{duplicate_timestamp,
  // out_of_bounds,out_of_order}_total): repeated within the scrape, more
  // than 10 minutes ahead, or rejected by the sink (AppendStatus).
  int64_t duplicates = 0;
  int64_t out_of_bounds = 0;
  int64_t out_of_order = 0;
  // The cache grew without successful scrapes and was flushed
  // (prometheus_target_scrapes_cache_flush_forced_total).
  bool cache_flush_forced = false;
  // Which limit failed the scrape, for Prometheus' exceeded-limit counters
  // (prometheus_target_scrapes_exceeded_{sample,native_histogram_bucket}_
  // limit_total, prometheus_target_scrape_pool_exceeded_label_limits_total).
  bool sample_limit_exceeded = false;
  bool bucket_limit_exceeded = false;
  bool label_limits_exceeded = false;
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

  ScrapeAppend(const ScrapeAppend&) = delete;
  ScrapeAppend& operator=(const ScrapeAppend&) = delete;

  // The options this instance was built with. (A config reload that keeps
  // the caches must keep target labels and relabel rules; otherwise the
  // caller builds a new ScrapeAppend.)
  const AppendOptions& options() const { return options_; }

  // Parses `body` (empty for a failed scrape) whose Content-Type is
  // `content_type` as scraped at `timestamp_ms` and appends every sample to
  // `app`, with Prometheus' exact semantics: cache hit/miss, label
  // mutation (honor_labels, exported_), metric relabeling, limits, duplicate
  // detection, staleness markers for series that vanished since the last
  // successful scrape (an empty body marks every series stale). On error
  // the caller rolls `app` back and calls Append again with an empty body on
  // a fresh appender.
  //
  // `result.error` (kInvalidArgument) carries parse errors, invalid or
  // missing names, label limits, "sample limit exceeded" and "histogram
  // bucket limit exceeded"; duplicates, samples more than 10 minutes ahead
  // and samples the sink rejects (AppendStatus) are skipped and counted, not
  // errors. A skipped sample's series is not tracked for staleness in this
  // scrape (so it gets a StaleNaN if it was present in the last one), and a
  // skipped new series is not cached and not counted in series_added. The body need only outlive
  // the call. Once a body has been seen, appending it again allocates
  // nothing (tests/scrape/scrape_append_alloc_test.cc).
  AppendResult Append(std::string_view body, std::string_view content_type,
                      int64_t timestamp_ms, model::Appender& app);

  // Appends StaleNaN at `timestamp_ms` for every series of the last
  // successful scrape and the report series (used when the target stops).
  // Prometheus skips this when the loop never scraped; that is the
  // caller's call (the report markers are written regardless).
  void AppendStaleMarkersOnStop(int64_t timestamp_ms, model::Appender& app);

  // Appends the five report series (up, scrape_duration_seconds,
  // scrape_samples_scraped, scrape_samples_post_metric_relabeling,
  // scrape_series_added), and the three of `extra_scrape_metrics` when set,
  // at `timestamp_ms` with the target labels.
  void AppendReport(int64_t timestamp_ms, absl::Duration duration,
                    const AppendResult& result, bool up, model::Appender& app);

  // A snapshot of the metadata cache, sorted by metric name.
  std::vector<MetricMetadata> Metadata() const;
  // Calls `f(const std::string& metric, const MetaEntry&)` for each entry of
  // the metadata cache, in unspecified order, with its lock held: no copy
  // (the periodic metadata send visits every target's cache).
  template <typename F>
  void ForEachMetadata(F f) const {
    cache_.ForEachMetadata(f);
  }

  // Number of raw series keys in the series cache.
  size_t SeriesCacheSizeForTest() const { return cache_.series_size(); }

 private:
  enum class AddResult { kOk, kDuplicate, kOutOfBounds, kOutOfOrder,
                         kSampleLimit, kBucketLimit };

  // The parser for this body, or nullptr with `*error` set when the
  // Content-Type fails the scrape (strict_content_type).
  textparse::Parser* ParserFor(std::string_view content_type,
                               std::string_view body, absl::Status* error);
  // `st`: the sample's start timestamp, 0 for none.
  AddResult AppendLimited(const model::SeriesLabels& series, int64_t t,
                          int64_t st, bool is_histogram,
                          textparse::Parser& parser, model::Appender& app);
  // start_timestamps kZeroSample: a 0 (or an empty histogram) at `st`.
  void AppendZeroSample(const model::SeriesLabels& series, int64_t st,
                        bool is_histogram, textparse::Parser& parser,
                        model::Appender& app);
  void AppendStaleMarkers(int64_t timestamp_ms, model::Appender& app);

  // options_.target_labels is emptied once the cache holds them compact
  // (cache_.shared_labels(), what the mutator reads).
  AppendOptions options_;
  LabelLimits limits_;
  SeriesCache cache_;
  SampleLabelMutator mutator_;
  // up, scrape_duration_seconds, scrape_samples_scraped,
  // scrape_samples_post_metric_relabeling, scrape_series_added; then
  // scrape_timeout_seconds, scrape_sample_limit, scrape_body_size_bytes
  // with extra_scrape_metrics.
  // Report series i's labels: the process-wide {__name__} payload plus the
  // target labels the cache holds (the usual case: nothing per target), or,
  // when those are not the same set (the target labels name a report
  // series' own name), report_fallback_[i].
  model::SeriesLabels ReportLabels(size_t i) const;
  uint8_t report_count_ = 0;
  std::unique_ptr<std::vector<model::CompactLabels>> report_fallback_;

  // Per-target append state. (Parsers and miss-path buffers are per
  // thread, shared by all targets: see AppendScratch in the .cc.)
  textparse::ParserOptions parser_options_;
  bool have_format_ = false;
  std::string last_content_type_;
  textparse::Format format_ = textparse::Format::kPromText;
  absl::Status format_error_;  // The strict choice's error for last_content_type_.
  uint64_t samples_appended_ = 0;  // Against sample_limit (limitAppender).
  int64_t max_time_ms_ = 0;        // timeLimitAppender's bound.
  int32_t max_schema_;             // From native_histogram_min_bucket_factor.
};

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_SCRAPE_APPEND_H_
