#include "plugin/scrape/scrape_append.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "plugin/common/fingerprint.h"
#include "plugin/scrape/histogram_limits.h"
#include "plugin/textparse/content_type.h"

namespace promscrape::scrape {
namespace {

constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
// Prometheus' maxAheadTime.
constexpr int64_t kMaxAheadMs = 10 * 60 * 1000;

constexpr std::array<absl::string_view, 8> kReportNames = {
    "up", "scrape_duration_seconds", "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling", "scrape_series_added",
    // extra_scrape_metrics (Prometheus' reportExtraMetrics).
    "scrape_timeout_seconds", "scrape_sample_limit", "scrape_body_size_bytes"};
constexpr size_t kBaseReportSeries = 5;

double StaleNaN() { return std::bit_cast<double>(kStaleNaNBits); }

absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

size_t BucketCount(const model::Histogram& h) {
  return h.is_float ? h.positive_counts.size() + h.negative_counts.size()
                    : h.positive_deltas.size() + h.negative_deltas.size();
}

// Scratch of the append step, one per thread and shared by every target
// appended on it: parsers and miss-path buffers keep their capacity without
// costing memory per target (about 1.5 KB each, 15 MB at 10,000 targets).
// Append never runs re-entrantly on one thread.
struct AppendScratch {
  // Per format, per (scrape_classic_histograms, scrape_native_histograms,
  // utf8_names, prometheus3_grammar, convert_classic_histograms_to_nhcb,
  // parse_start_timestamps).
  std::array<std::unique_ptr<textparse::Parser>, 3 * 64> parsers;
  std::vector<model::LabelView> scraped;
  model::Builder builder;
  PreparedSeries prepared;  // the builder's labels in the cache's form
  model::Histogram histogram;
  model::Histogram zero_histogram;  // start_timestamps kZeroSample
  model::Exemplar exemplar;
};

// {__name__="<report series i>"}, one per process.
const model::CompactLabels& NameOnly(size_t i) {
  static const auto* const names = [] {
    auto* out = new std::array<model::CompactLabels, kReportNames.size()>();
    for (size_t n = 0; n < kReportNames.size(); ++n) {
      (*out)[n] = model::CompactLabels(
          model::Labels::Of({{model::kMetricName, kReportNames[n]}}));
    }
    return out;
  }();
  return (*names)[i];
}

AppendScratch& Scratch() {
  thread_local AppendScratch scratch;
  return scratch;
}

}  // namespace

ScrapeAppend::ScrapeAppend(AppendOptions options)
    : options_(std::move(options)),
      limits_{options_.label_limit, options_.label_name_length_limit,
              options_.label_value_length_limit},
      cache_(options_.target_labels),
      mutator_(&cache_.shared_labels(), options_.honor_labels,
               options_.metric_relabel_rules),
      max_schema_(PickSchema(options_.native_histogram_min_bucket_factor)) {
  const size_t reported = options_.extra_scrape_metrics ? kReportNames.size()
                                                        : kBaseReportSeries;
  report_count_ = static_cast<uint8_t>(reported);
  bool all_share = true;
  for (size_t i = 0; i < reported && all_share; ++i) {
    all_share =
        model::SeriesLabels(NameOnly(i).payload(), cache_.shared_payload())
            .Equals(ReportSeriesLabels(kReportNames[i], options_.target_labels));
  }
  if (!all_share) {
    report_fallback_ = std::make_unique<std::vector<model::CompactLabels>>();
    for (size_t i = 0; i < reported; ++i) {
      report_fallback_->emplace_back(
          ReportSeriesLabels(kReportNames[i], options_.target_labels));
    }
  }
  parser_options_.scrape_classic_histograms =
      options_.scrape_classic_histograms;
  parser_options_.scrape_native_histograms = options_.scrape_native_histograms;
  parser_options_.convert_classic_histograms_to_nhcb =
      options_.convert_classic_histograms_to_nhcb;
  parser_options_.utf8_names = options_.utf8_names;
  parser_options_.prometheus3_grammar = options_.prometheus3_rules;
  parser_options_.parse_start_timestamps =
      options_.start_timestamps != config::StartTimestampMode::kIgnore;
  if (options_.start_timestamps == config::StartTimestampMode::kZeroSample) {
    // A zero sample goes in only after the series' previous sample.
    cache_.KeepAppendTimes();
  }
  // From here on the cache's compact copy is the only one (a vector of
  // strings per target would cost more than the compact form).
  options_.target_labels = model::Labels();
}

ScrapeAppend::~ScrapeAppend() = default;

textparse::Parser* ScrapeAppend::ParserFor(std::string_view content_type,
                                           std::string_view body,
                                           absl::Status* error) {
  // Content types repeat from scrape to scrape; remembering the last one
  // keeps media type parsing (and its allocations) off the warm path.
  if (!have_format_ || content_type != last_content_type_) {
    format_error_ = absl::OkStatus();
    if (options_.strict_content_type) {
      absl::StatusOr<textparse::FormatChoice> choice =
          textparse::ChooseFormatStrict(content_type,
                                        options_.fallback_protocol);
      if (choice.ok()) {
        format_ = choice->format;
      } else {
        format_error_ = choice.status();
      }
    } else {
      format_ = textparse::ChooseFormat(content_type).format;
    }
    last_content_type_.assign(content_type.data(), content_type.size());
    have_format_ = true;
  }
  if (!format_error_.ok()) {
    *error = format_error_;
    return nullptr;
  }
  const size_t variant =
      (parser_options_.scrape_classic_histograms ? 1 : 0) +
      (parser_options_.scrape_native_histograms ? 2 : 0) +
      (parser_options_.utf8_names ? 4 : 0) +
      (parser_options_.prometheus3_grammar ? 8 : 0) +
      (parser_options_.convert_classic_histograms_to_nhcb ? 16 : 0) +
      (parser_options_.parse_start_timestamps ? 32 : 0);
  std::unique_ptr<textparse::Parser>& parser =
      Scratch().parsers[static_cast<size_t>(format_) * 64 + variant];
  if (parser == nullptr) {
    parser = textparse::NewParser(format_, body, parser_options_);
  } else {
    parser->Reset(body);
  }
  return parser.get();
}

// The limit wrappers of Prometheus' appenderWithLimits, outermost first:
// max schema, bucket limit, sample limit, time limit.
ScrapeAppend::AddResult ScrapeAppend::AppendLimited(
    const model::SeriesLabels& series, int64_t t, int64_t st,
    bool is_histogram, textparse::Parser& parser, model::Appender& app) {
  const model::Histogram* h = nullptr;
  if (is_histogram) {
    h = &parser.histogram();
    const uint64_t limit = options_.native_histogram_bucket_limit;
    const bool reduce_schema =
        IsExponentialSchema(h->schema) && h->schema > max_schema_;
    if (reduce_schema || (limit > 0 && BucketCount(*h) > limit)) {
      // The parser's histogram is read-only; the scratch copy keeps its
      // capacity, so this allocates only while it grows.
      model::Histogram& scratch = Scratch().histogram;
      scratch = *h;
      h = &scratch;
      if (reduce_schema) ReduceResolution(&scratch, max_schema_);
      if (limit > 0 && !LimitBuckets(&scratch, limit).ok()) {
        return AddResult::kBucketLimit;
      }
    }
  }
  if (options_.sample_limit > 0 &&
      ++samples_appended_ > options_.sample_limit) {
    return AddResult::kSampleLimit;
  }
  if (t > max_time_ms_) return AddResult::kOutOfBounds;
  model::AppendStatus status;
  if (st == 0) [[likely]] {
    status = h != nullptr ? app.AppendHistogram(series, t, *h)
                          : app.Append(series, t, parser.Value());
  } else {
    status = h != nullptr ? app.AppendHistogramWithStart(series, t, st, *h)
                          : app.AppendWithStart(series, t, st, parser.Value());
  }
  if (status == model::AppendStatus::kOk) [[likely]] return AddResult::kOk;
  // A storage rejection, as Prometheus' checkAddError treats it: the sample
  // is skipped and counted, the scrape goes on.
  if (status == model::AppendStatus::kDuplicateSample) return AddResult::kDuplicate;
  if (status == model::AppendStatus::kOutOfBounds) return AddResult::kOutOfBounds;
  return AddResult::kOutOfOrder;
}

void ScrapeAppend::AppendZeroSample(const model::SeriesLabels& series,
                                    int64_t st, bool is_histogram,
                                    textparse::Parser& parser,
                                    model::Appender& app) {
  // AppendSTZeroSample / AppendHistogramSTZeroSample: outside every limit,
  // and a rejection (the storage has a newer sample) is ignored. A zero
  // histogram keeps the schema, zero threshold and custom bounds (so the
  // next sample needs no new chunk layout) and marks a counter reset.
  if (!is_histogram) {
    app.Append(series, st, 0.0);
    return;
  }
  const model::Histogram& h = parser.histogram();
  model::Histogram& zero = Scratch().zero_histogram;
  zero.is_float = h.is_float;
  zero.is_gauge = h.is_gauge;
  zero.schema = h.schema;
  zero.zero_threshold = h.zero_threshold;
  zero.zero_count = 0;
  zero.zero_count_float = 0;
  zero.count = 0;
  zero.count_float = 0;
  zero.sum = 0;
  zero.positive_spans.clear();
  zero.negative_spans.clear();
  zero.positive_deltas.clear();
  zero.negative_deltas.clear();
  zero.positive_counts.clear();
  zero.negative_counts.clear();
  zero.custom_values = h.custom_values;
  app.AppendHistogram(series, st, zero);
}

void ScrapeAppend::AppendStaleMarkers(int64_t timestamp_ms, model::Appender& app) {
  // Stale markers never count against sample_limit; out-of-bounds ones are
  // dropped like any sample. A sink's rejection of a marker (out of order:
  // the series has a newer sample) is ignored, as Prometheus does.
  if (timestamp_ms > max_time_ms_) return;
  const double stale = StaleNaN();
  cache_.ForEachStale([&](const model::SeriesLabels& series) {
    app.Append(series, timestamp_ms, stale);
  });
}

AppendResult ScrapeAppend::Append(std::string_view body,
                                  std::string_view content_type,
                                  int64_t timestamp_ms, model::Appender& app) {
  AppendResult result;
  max_time_ms_ = (options_.clock != nullptr
                      ? absl::ToUnixMillis(options_.clock->Now())
                      : timestamp_ms) +
                 kMaxAheadMs;
  samples_appended_ = 0;
  cache_.BeginIteration(timestamp_ms);

  // 2.42 parses an empty body: OpenMetrics fails it for want of `# EOF`
  // (3.x skips parsing empty bodies). Stale-marker calls pass no type.
  if (body.empty() && !options_.prometheus3_rules && !content_type.empty() &&
      textparse::ChooseFormat(content_type).format ==
          textparse::Format::kOpenMetrics) {
    result.error =
        absl::InvalidArgumentError("data does not end with # EOF");
    return result;
  }
  // An empty body is a failed scrape: only stale markers.
  if (body.empty()) {
    AppendStaleMarkers(timestamp_ms, app);
    result.cache_flush_forced = cache_.IterDone(/*flush=*/false);
    return result;
  }

  textparse::Parser* chosen = ParserFor(content_type, body, &result.error);
  if (chosen == nullptr) {
    // Prometheus 3.x: no parser for this Content-Type, the scrape fails
    // before any sample (the caller rolls back and appends stale markers).
    return result;
  }
  textparse::Parser& parser = *chosen;
  AppendScratch& scratch = Scratch();
  bool sample_limit_hit = false;
  bool bucket_limit_hit = false;
  absl::Status error;
  for (;;) {
    absl::StatusOr<textparse::Entry> next = parser.Next();
    if (!next.ok()) {
      error = next.status();
      break;
    }
    const textparse::Entry entry = *next;
    if (entry == textparse::Entry::kEof) break;
    switch (entry) {
      case textparse::Entry::kType:
        cache_.SetType(ToAbsl(parser.metadata_name()), parser.type());
        continue;
      case textparse::Entry::kHelp:
        cache_.SetHelp(ToAbsl(parser.metadata_name()), ToAbsl(parser.help()));
        continue;
      case textparse::Entry::kUnit:
        cache_.SetUnit(ToAbsl(parser.metadata_name()), ToAbsl(parser.unit()));
        continue;
      case textparse::Entry::kComment:
        continue;
      default:
        break;
    }
    const bool is_histogram = entry == textparse::Entry::kHistogram;
    ++result.total;

    const bool has_timestamp =
        options_.honor_timestamps && parser.has_timestamp();
    const int64_t t = has_timestamp ? parser.timestamp_ms() : timestamp_ms;
    // The cache knows a series by its raw text's fingerprint: one hash of
    // the line's series bytes serves every lookup below.
    const Fingerprint key = Fingerprint::Of(ToAbsl(parser.Series()));

    if (cache_.GetDropped(key)) continue;
    bool already_scraped = false;
    SeriesState* cached = cache_.Get(key, &already_scraped);
    SeriesState* series = cached;
    if (cached == nullptr) {
      parser.Labels(&scratch.scraped);
      if (!mutator_.Mutate(scratch.scraped, &scratch.builder)) {
        cache_.AddDropped(key);
        continue;
      }
      error = ValidateSeriesLabels(scratch.builder.current(),
                                   options_.name_validation);
      if (error.ok()) {
        error = CheckLabelLimits(scratch.builder.current(), limits_);
        result.label_limits_exceeded = !error.ok();
      }
      if (error.ok()) {
        error = CheckDuplicateLabelNames(
            scratch.scraped,
            options_.honor_labels ? nullptr : &cache_.shared_labels());
        if (!error.ok() &&
            (t > max_time_ms_ || t < options_.storage_min_valid_ms)) {
          // The TSDB finds repeated names; a sample too far ahead never
          // reaches it (timeLimitAppender skips it below), nor does one
          // out of its bounds, so Prometheus does not fail the scrape.
          error = absl::OkStatus();
        }
      }
      if (!error.ok()) break;
      cache_.Prepare(scratch.builder.current(), &scratch.prepared);
      series = cache_.FindSeries(scratch.prepared);
    }
    const model::SeriesLabels series_labels =
        series != nullptr ? cache_.LabelsOf(*series)
                          : cache_.LabelsOf(scratch.prepared);

    AddResult added;
    if (already_scraped && !has_timestamp && options_.prometheus3_rules) {
      added = AddResult::kDuplicate;
    } else if (series != nullptr && series->appended_iter == cache_.stamp() &&
               cache_.AppendedMs(*series) == t) {
      // Another spelling of a series already appended at `t` in this scrape;
      // Prometheus' TSDB would reject it as a duplicate.
      added = AddResult::kDuplicate;
    } else {
      int64_t st = 0;
      if (options_.start_timestamps != config::StartTimestampMode::kIgnore) {
        st = parser.StartTimestamp();
        if (options_.start_timestamps ==
                config::StartTimestampMode::kZeroSample &&
            st != 0 && st < t &&
            (series == nullptr || cache_.AppendedMs(*series) < st)) {
          AppendZeroSample(series_labels, st, is_histogram, parser, app);
        }
      }
      added = AppendLimited(series_labels, t, st, is_histogram, parser, app);
    }

    switch (added) {
      case AddResult::kOk:
        if (cached == nullptr) {
          series = cache_.Add(key, scratch.prepared);
          if (!sample_limit_hit && !bucket_limit_hit) ++result.series_added;
        }
        if (!has_timestamp || options_.track_timestamps_staleness) {
          cache_.TrackStaleness(series);
        }
        cache_.SetAppended(series, t, has_timestamp);
        // As Prometheus: the sample's exemplars go with it, stamped with
        // the sample's time when the exposition gave them none.
        while (parser.NextExemplar(&scratch.exemplar)) {
          if (!scratch.exemplar.has_timestamp) {
            scratch.exemplar.timestamp_ms = t;
            scratch.exemplar.has_timestamp = true;
          }
          app.AppendExemplar(series_labels, scratch.exemplar);
        }
        break;
      case AddResult::kDuplicate:
        ++result.duplicates;
        break;
      case AddResult::kOutOfBounds:
        ++result.out_of_bounds;
        break;
      case AddResult::kOutOfOrder:
        ++result.out_of_order;
        break;
      case AddResult::kSampleLimit:
        // Keep parsing so `total` counts every sample.
        sample_limit_hit = true;
        break;
      case AddResult::kBucketLimit:
        bucket_limit_hit = true;
        break;
    }
    // Every sample that survived relabeling, appended or not.
    ++result.added;
  }

  result.sample_limit_exceeded = sample_limit_hit;
  result.bucket_limit_exceeded = bucket_limit_hit;
  if (error.ok() && sample_limit_hit) {
    error = absl::InvalidArgumentError("sample limit exceeded");
  }
  if (error.ok() && bucket_limit_hit) {
    error = absl::InvalidArgumentError("histogram bucket limit exceeded");
  }
  if (error.ok()) {
    AppendStaleMarkers(timestamp_ms, app);
    result.cache_flush_forced = cache_.IterDone(/*flush=*/true);
  }
  result.error = std::move(error);
  return result;
}

void ScrapeAppend::AppendStaleMarkersOnStop(int64_t timestamp_ms,
                                            model::Appender& app) {
  Append("", "", timestamp_ms, app);
  const double stale = StaleNaN();
  for (size_t i = 0; i < report_count_; ++i) {
    app.Append(ReportLabels(i), timestamp_ms, stale);
  }
}

void ScrapeAppend::AppendReport(int64_t timestamp_ms, absl::Duration duration,
                                const AppendResult& result, bool up,
                                model::Appender& app) {
  const double values[kReportNames.size()] = {
      up ? 1.0 : 0.0,
      absl::ToDoubleSeconds(duration),
      static_cast<double>(result.total),
      static_cast<double>(result.added),
      static_cast<double>(result.series_added),
      absl::ToDoubleSeconds(options_.scrape_timeout),
      static_cast<double>(options_.sample_limit),
      static_cast<double>(result.body_bytes)};
  for (size_t i = 0; i < report_count_; ++i) {
    app.Append(ReportLabels(i), timestamp_ms, values[i]);
  }
}

model::SeriesLabels ScrapeAppend::ReportLabels(size_t i) const {
  if (report_fallback_ != nullptr) {
    return model::SeriesLabels((*report_fallback_)[i].payload(),
                               absl::string_view());
  }
  return model::SeriesLabels(NameOnly(i).payload(), cache_.shared_payload());
}

std::vector<MetricMetadata> ScrapeAppend::Metadata() const {
  std::vector<MetricMetadata> out;
  cache_.ForEachMetadata([&](const std::string& name, const MetaEntry& e) {
    out.push_back(MetricMetadata{name, e.type, e.help, e.unit});
  });
  std::sort(out.begin(), out.end(),
            [](const MetricMetadata& a, const MetricMetadata& b) {
              return a.metric < b.metric;
            });
  return out;
}

}  // namespace promscrape::scrape
