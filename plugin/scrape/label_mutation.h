#ifndef PLUGIN_SCRAPE_LABEL_MUTATION_H_
#define PLUGIN_SCRAPE_LABEL_MUTATION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "plugin/model/builder.h"
#include "plugin/model/compact_labels.h"
#include "plugin/model/labels.h"
#include "plugin/model/names.h"
#include "plugin/relabel/rule.h"
#include "plugin/textparse/parser.h"

// Label mutation of scraped series and report series (Prometheus'
// mutateSampleLabels / mutateReportSampleLabels) and the validation of
// the result. Runs only on series-cache misses.
namespace promscrape::scrape {

// Attaches the target labels to a scraped series (honor_labels or the
// exported_ conflict rule), then applies metric_relabel_configs.
//
// Thread-compatible: the scratch buffers make `Mutate` non-reentrant.
class SampleLabelMutator {
 public:
  // `target_labels` are the target's public labels; they and `rules` (may
  // be null) must outlive the mutator (the owner's copy is used, not a
  // third one per target).
  SampleLabelMutator(const model::CompactLabels* target_labels,
                     bool honor_labels,
                     const std::vector<relabel::Rule>* rules);

  // Fills `*out` with the final labels of the series whose parsed labels
  // (sorted, `__name__` included, empty values present) are `scraped`.
  // Returns false when relabeling dropped the series or left it empty.
  bool Mutate(absl::Span<const model::LabelView> scraped,
              model::Builder* out);

 private:
  const model::CompactLabels* target_labels_;
  bool honor_labels_;
  const std::vector<relabel::Rule>* rules_;
  std::vector<model::Label> conflicts_;
  std::string name_scratch_;
};

// The labels of a report series named `name`: the target labels win, and a
// clashing value would move to exported_<name>.
model::Labels ReportSeriesLabels(absl::string_view name,
                                  const model::Labels& target_labels);

// Label limits of one target; zero means no limit.
struct LabelLimits {
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
};

// Checks a final label set: `__name__` present ("missing metric name
// (__name__ label)"), then names and values valid ("invalid metric name or
// label names: {...}"), names with `scheme` (labels.Labels.IsValid).
// kInvalidArgument.
absl::Status ValidateSeriesLabels(
    const std::vector<model::Label>& lset,
    model::NameValidation scheme = model::NameValidation::kLegacy);

// Checks a valid final label set against `limits` with Prometheus' messages,
// e.g. "label_limit exceeded (metric: m, number of labels: 6, limit: 5)";
// names and values are truncated to 50 runes as Go's %.50s. Every label
// counts, `__name__` included. kInvalidArgument.
absl::Status CheckLabelLimits(const std::vector<model::Label>& lset,
                              const LabelLimits& limits);

// Checks `scraped` (sorted) for a repeated label name, which Prometheus'
// TSDB rejects: `label name "le" is not unique: invalid sample`. Names in
// `overridden` (the target labels when honor_labels is false) are skipped:
// the target's value replaces every copy and the first scraped one becomes
// `exported_<name>`, so Prometheus stores the sample; and a name with an
// empty value anywhere does not count (labels.Builder deletes every copy of
// it first). tests/difffuzz found both against 2.42.
absl::Status CheckDuplicateLabelNames(
    absl::Span<const model::LabelView> scraped,
    const model::CompactLabels* overridden = nullptr);

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_LABEL_MUTATION_H_
