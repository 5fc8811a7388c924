#ifndef PLUGIN_MODEL_BUILDER_H_
#define PLUGIN_MODEL_BUILDER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "plugin/model/labels.h"

namespace promscrape::model {

// Mutable label set with Prometheus' `labels.Builder` semantics: setting an
// empty value deletes the label, and `Reset` drops the base's empty values,
// so every set that passes through a Builder has no empty-valued labels.
// Relabeling and target population work on a Builder to avoid a copy per
// rule.
//
// Thread-compatible.
class Builder {
 public:
  Builder() = default;
  explicit Builder(const Labels& base) { Reset(base); }

  // Makes the builder hold `base` minus its empty-valued labels.
  void Reset(const Labels& base);

  // Sets `name` to `value`; an empty `value` deletes `name`.
  void Set(absl::string_view name, absl::string_view value);
  void Del(absl::string_view name);

  // Returns the current value of `name` or "". Valid until the next mutation.
  absl::string_view Get(absl::string_view name) const;
  bool Has(absl::string_view name) const { return !Get(name).empty(); }

  // A snapshot of the current labels, sorted.
  Labels Build() const { return Labels(labels_); }
  const std::vector<Label>& current() const { return labels_; }

 private:
  std::vector<Label>::iterator Find(absl::string_view name);

  std::vector<Label> labels_;  // Kept sorted by name.
};

}  // namespace promscrape::model

#endif  // PLUGIN_MODEL_BUILDER_H_
