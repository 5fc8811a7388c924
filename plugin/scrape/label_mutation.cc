#include "plugin/scrape/label_mutation.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "plugin/common/go_quote.h"
#include "plugin/common/utf8.h"
#include "plugin/model/names.h"
#include "plugin/relabel/relabel.h"

namespace promscrape::scrape {
namespace {

constexpr absl::string_view kExportedPrefix = "exported_";

// The value of `name` in `scraped`, and whether it is present at all (an
// empty value still counts as present for honor_labels).
bool FindScraped(absl::Span<const model::LabelView> scraped,
                 absl::string_view name, absl::string_view* value) {
  auto it = std::lower_bound(
      scraped.begin(), scraped.end(), name,
      [](const model::LabelView& l, absl::string_view n) {
        return l.name < n;
      });
  if (it == scraped.end() || it->name != name) return false;
  *value = it->value;
  return true;
}

// Go's "%.50s": at most 50 runes (an invalid byte counts as one rune).
absl::string_view TruncateRunes(absl::string_view s, size_t max_runes) {
  size_t i = 0;
  size_t runes = 0;
  while (i < s.size() && runes < max_runes) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t width = 1;
    if (c >= 0xF0) {
      width = 4;
    } else if (c >= 0xE0) {
      width = 3;
    } else if (c >= 0xC0) {
      width = 2;
    }
    if (width > 1 && (i + width > s.size() ||
                      !IsValidUtf8(s.substr(i, width)))) {
      width = 1;
    }
    i += width;
    ++runes;
  }
  return s.substr(0, i);
}

}  // namespace

SampleLabelMutator::SampleLabelMutator(const model::CompactLabels* target_labels,
                                       bool honor_labels,
                                       const std::vector<relabel::Rule>* rules)
    : target_labels_(target_labels),
      honor_labels_(honor_labels),
      rules_(rules) {}

bool SampleLabelMutator::Mutate(absl::Span<const model::LabelView> scraped,
                                model::Builder* out) {
  out->Reset(model::Labels());
  // As Prometheus' labels.Builder (NewBuilder(lset)): a name with an empty
  // value is deleted, every copy of it, so `le="",le="+Inf"` loses `le`.
  for (size_t i = 0; i < scraped.size();) {
    size_t j = i;
    bool any_empty = false;
    while (j < scraped.size() && scraped[j].name == scraped[i].name) {
      any_empty |= scraped[j].value.empty();
      ++j;
    }
    if (!any_empty) {
      for (; i < j; ++i) out->Set(scraped[i].name, scraped[i].value);
    }
    i = j;
  }
  if (honor_labels_) {
    for (const model::LabelView t : *target_labels_) {
      absl::string_view unused;
      if (!FindScraped(scraped, t.name, &unused)) out->Set(t.name, t.value);
    }
  } else {
    conflicts_.clear();
    for (const model::LabelView t : *target_labels_) {
      absl::string_view existing;
      if (FindScraped(scraped, t.name, &existing) && !existing.empty()) {
        conflicts_.push_back(
            model::Label{std::string(t.name), std::string(existing)});
      }
      out->Set(t.name, t.value);
    }
    std::stable_sort(conflicts_.begin(), conflicts_.end(),
                     [](const model::Label& a, const model::Label& b) {
                       return a.name.size() < b.name.size();
                     });
    for (const model::Label& c : conflicts_) {
      name_scratch_ = c.name;
      do {
        name_scratch_.insert(0, kExportedPrefix.data(), kExportedPrefix.size());
      } while (out->Has(name_scratch_));
      out->Set(name_scratch_, c.value);
    }
  }
  if (rules_ != nullptr && !rules_->empty()) {
    if (!relabel::Process(*out, *rules_)) return false;
  }
  return !out->current().empty();
}

model::Labels ReportSeriesLabels(absl::string_view name,
                                  const model::Labels& target_labels) {
  model::Builder b;
  b.Set(model::kMetricName, name);
  const model::Labels base = b.Build();
  for (const model::Label& t : target_labels) {
    b.Set(absl::StrCat(kExportedPrefix, t.name), base.Get(t.name));
    b.Set(t.name, t.value);
  }
  return b.Build();
}

absl::Status ValidateSeriesLabels(const std::vector<model::Label>& lset,
                                  model::NameValidation scheme) {
  bool has_name = false;
  bool valid = true;
  for (const model::Label& l : lset) {
    if (l.name == model::kMetricName) {
      has_name = true;
      if (!model::IsValidMetricName(l.value, scheme)) valid = false;
    } else if (!model::IsValidLabelName(l.name, scheme)) {
      valid = false;
    }
    if (!IsValidUtf8(l.value)) valid = false;
  }
  if (!has_name) {
    return absl::InvalidArgumentError("missing metric name (__name__ label)");
  }
  if (!valid) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid metric name or label names: ",
                     model::Labels::FromUnsorted(lset).ToString()));
  }
  return absl::OkStatus();
}

absl::Status CheckLabelLimits(const std::vector<model::Label>& lset,
                              const LabelLimits& limits) {
  absl::string_view metric;
  for (const model::Label& l : lset) {
    if (l.name == model::kMetricName) metric = l.value;
  }
  if (limits.label_limit > 0 && lset.size() > limits.label_limit) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "label_limit exceeded (metric: %s, number of labels: %d, limit: %d)",
        TruncateRunes(metric, 50), lset.size(), limits.label_limit));
  }
  for (const model::Label& l : lset) {
    if (limits.label_name_length_limit > 0 &&
        l.name.size() > limits.label_name_length_limit) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "label_name_length_limit exceeded (metric: %s, label name: %s, "
          "length: %d, limit: %d)",
          TruncateRunes(metric, 50), TruncateRunes(l.name, 50), l.name.size(),
          limits.label_name_length_limit));
    }
    if (limits.label_value_length_limit > 0 &&
        l.value.size() > limits.label_value_length_limit) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "label_value_length_limit exceeded (metric: %s, label name: %s, "
          "value: %s, length: %d, limit: %d)",
          TruncateRunes(metric, 50), TruncateRunes(l.name, 50),
          GoQuote(TruncateRunes(l.value, 50)), l.value.size(),
          limits.label_value_length_limit));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDuplicateLabelNames(
    absl::Span<const model::LabelView> scraped,
    const model::CompactLabels* overridden) {
  // A name with an empty value anywhere is deleted with every copy by
  // labels.Builder before the TSDB sees the set (SampleLabelMutator), so
  // only names without an empty value count.
  for (size_t i = 0; i < scraped.size();) {
    size_t j = i;
    bool any_empty = false;
    while (j < scraped.size() && scraped[j].name == scraped[i].name) {
      any_empty |= scraped[j].value.empty();
      ++j;
    }
    if (j - i > 1 && !any_empty &&
        (overridden == nullptr || overridden->Get(scraped[i].name).empty())) {
      return absl::InvalidArgumentError(
          absl::StrCat("label name ", GoQuote(scraped[i].name),
                       " is not unique: invalid sample"));
    }
    i = j;
  }
  return absl::OkStatus();
}

}  // namespace promscrape::scrape
