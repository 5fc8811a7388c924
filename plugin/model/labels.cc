#include "plugin/model/labels.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "plugin/common/go_quote.h"
#include "plugin/model/hash.h"
#include "plugin/model/names.h"

namespace promscrape::model {
namespace {

bool ByName(const Label& a, const Label& b) { return a.name < b.name; }

}  // namespace

Labels Labels::FromUnsorted(std::vector<Label> labels) {
  std::stable_sort(labels.begin(), labels.end(), ByName);
  // Keep the last of equal names.
  std::vector<Label> out;
  out.reserve(labels.size());
  for (auto& l : labels) {
    if (!out.empty() && out.back().name == l.name) {
      out.back() = std::move(l);
    } else {
      out.push_back(std::move(l));
    }
  }
  return Labels(std::move(out));
}

Labels Labels::Of(std::initializer_list<
                  std::pair<absl::string_view, absl::string_view>> pairs) {
  std::vector<Label> v;
  v.reserve(pairs.size());
  for (const auto& [n, val] : pairs) {
    v.push_back(Label{std::string(n), std::string(val)});
  }
  return FromUnsorted(std::move(v));
}

absl::string_view Labels::Get(absl::string_view name) const {
  auto it = std::lower_bound(
      labels_.begin(), labels_.end(), name,
      [](const Label& l, absl::string_view n) { return l.name < n; });
  if (it != labels_.end() && it->name == name) return it->value;
  return {};
}

bool Labels::Has(absl::string_view name) const {
  auto it = std::lower_bound(
      labels_.begin(), labels_.end(), name,
      [](const Label& l, absl::string_view n) { return l.name < n; });
  return it != labels_.end() && it->name == name;
}

std::vector<std::pair<std::string, std::string>> Labels::pairs() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(labels_.size());
  for (const auto& l : labels_) out.emplace_back(l.name, l.value);
  return out;
}

uint64_t Labels::Hash() const {
  std::string buf;
  size_t n = 0;
  for (const auto& l : labels_) n += l.name.size() + l.value.size() + 2;
  buf.reserve(n);
  for (const auto& l : labels_) {
    buf.append(l.name);
    buf.push_back('\xff');
    buf.append(l.value);
    buf.push_back('\xff');
  }
  return XxHash64(buf);
}

std::string Labels::ToString() const {
  std::string out = "{";
  bool first = true;
  for (const auto& l : labels_) {
    if (!first) out.append(", ");
    first = false;
    if (IsValidLabelName(l.name)) {
      out.append(l.name);
    } else {
      out.append(GoQuote(l.name));
    }
    out.push_back('=');
    out.append(GoQuote(l.value));
  }
  out.push_back('}');
  return out;
}

}  // namespace promscrape::model
