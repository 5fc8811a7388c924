#include "plugin/model/builder.h"

#include <algorithm>

namespace promscrape::model {

void Builder::Reset(const Labels& base) {
  labels_.clear();
  labels_.reserve(base.size());
  for (const Label& l : base) {
    if (!l.value.empty()) labels_.push_back(l);
  }
}

std::vector<Label>::iterator Builder::Find(absl::string_view name) {
  return std::lower_bound(
      labels_.begin(), labels_.end(), name,
      [](const Label& l, absl::string_view n) { return l.name < n; });
}

void Builder::Set(absl::string_view name, absl::string_view value) {
  if (value.empty()) {
    Del(name);
    return;
  }
  auto it = Find(name);
  if (it != labels_.end() && it->name == name) {
    it->value.assign(value.data(), value.size());
    return;
  }
  labels_.insert(it, Label{std::string(name), std::string(value)});
}

void Builder::Del(absl::string_view name) {
  auto it = Find(name);
  if (it != labels_.end() && it->name == name) labels_.erase(it);
}

absl::string_view Builder::Get(absl::string_view name) const {
  auto it = std::lower_bound(
      labels_.begin(), labels_.end(), name,
      [](const Label& l, absl::string_view n) { return l.name < n; });
  if (it != labels_.end() && it->name == name) return it->value;
  return {};
}

}  // namespace promscrape::model
