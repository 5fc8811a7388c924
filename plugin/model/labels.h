#ifndef PLUGIN_MODEL_LABELS_H_
#define PLUGIN_MODEL_LABELS_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace promscrape::model {

// Well-known label names and prefixes (Prometheus `model/labels.go`).
inline constexpr absl::string_view kMetricName = "__name__";
inline constexpr absl::string_view kAddressLabel = "__address__";
inline constexpr absl::string_view kSchemeLabel = "__scheme__";
inline constexpr absl::string_view kMetricsPathLabel = "__metrics_path__";
inline constexpr absl::string_view kScrapeIntervalLabel = "__scrape_interval__";
inline constexpr absl::string_view kScrapeTimeoutLabel = "__scrape_timeout__";
inline constexpr absl::string_view kJobLabel = "job";
inline constexpr absl::string_view kInstanceLabel = "instance";
inline constexpr absl::string_view kReservedPrefix = "__";
inline constexpr absl::string_view kMetaLabelPrefix = "__meta_";
inline constexpr absl::string_view kTmpLabelPrefix = "__tmp_";
inline constexpr absl::string_view kParamLabelPrefix = "__param_";

struct Label {
  std::string name;
  std::string value;

  friend bool operator==(const Label&, const Label&) = default;
};

// A label as two views: what the engine hands to sinks (one label of a
// CompactLabels or SeriesLabels), what the remote-write encoder reads and
// what self-metrics append. The bytes belong to someone else; a LabelView is
// valid only as long as they are.
struct LabelView {
  absl::string_view name;
  absl::string_view value;

  constexpr LabelView() = default;
  constexpr LabelView(absl::string_view n, absl::string_view v)
      : name(n), value(v) {}
  // The parsers scan with std::string_view, which Debian's abseil does not
  // convert to absl::string_view implicitly. Exactly std::string_view only,
  // so that literals and strings keep the constructor above unambiguously.
  template <typename S,
            std::enable_if_t<std::is_same_v<S, std::string_view>, int> = 0>
  constexpr LabelView(S n, S v)
      : name(n.data(), n.size()), value(v.data(), v.size()) {}

  friend bool operator==(const LabelView& a, const LabelView& b) {
    return a.name == b.name && a.value == b.value;
  }
};

// An immutable set of labels sorted by name with unique names: the label set
// of a target or a series. Build one with `Builder` or `FromUnsorted`.
//
// Iterating yields `Label`s in name order, so gmock's
// `ElementsAre(Pair("a", "1"))`-style matchers work via `pairs()`.
//
// Thread-compatible (immutable after construction; copies are independent).
class Labels {
 public:
  using const_iterator = std::vector<Label>::const_iterator;

  Labels() = default;
  // Sorts `labels`; on duplicate names the last one wins. Empty values are
  // kept (use `Builder` for Prometheus' "empty means absent" semantics).
  static Labels FromUnsorted(std::vector<Label> labels);
  // Convenience for tests and constants: `Labels::Of({{"a","1"},{"b","2"}})`.
  static Labels Of(std::initializer_list<std::pair<absl::string_view,
                                                   absl::string_view>> pairs);

  // Returns the value of `name`, or "" when absent. The view is valid as long
  // as this set is alive and unmodified.
  absl::string_view Get(absl::string_view name) const;
  bool Has(absl::string_view name) const;

  bool empty() const { return labels_.empty(); }
  size_t size() const { return labels_.size(); }
  const_iterator begin() const { return labels_.begin(); }
  const_iterator end() const { return labels_.end(); }
  const std::vector<Label>& labels() const { return labels_; }
  // The pairs as (name, value), for gmock matchers and maps.
  std::vector<std::pair<std::string, std::string>> pairs() const;

  // Prometheus `labels.Hash()`: xxHash64 (seed 0) over `name 0xFF value 0xFF`
  // of every label in order. Bit-identical to Go's for the same labels.
  uint64_t Hash() const;

  // Prometheus `labels.String()`: `{a="1", b="2"}`; values Go-quoted, names
  // quoted only when they are not legacy-valid.
  std::string ToString() const;

  friend bool operator==(const Labels&, const Labels&) = default;

 private:
  friend class Builder;
  explicit Labels(std::vector<Label> sorted) : labels_(std::move(sorted)) {}

  std::vector<Label> labels_;
};

}  // namespace promscrape::model

#endif  // PLUGIN_MODEL_LABELS_H_
