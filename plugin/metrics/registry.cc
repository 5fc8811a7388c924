#include "plugin/metrics/registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace promscrape::metrics {

Metric& Registry::Counter(absl::string_view name, absl::string_view help,
                          std::vector<LabelPair> labels) {
  return GetOrCreate(name, help, MetricType::kCounter, std::move(labels));
}

Metric& Registry::Gauge(absl::string_view name, absl::string_view help,
                        std::vector<LabelPair> labels) {
  return GetOrCreate(name, help, MetricType::kGauge, std::move(labels));
}

Metric& Registry::GetOrCreate(absl::string_view name, absl::string_view help,
                              MetricType type,
                              std::vector<LabelPair> labels) {
  std::sort(labels.begin(), labels.end());
  std::string key(name);
  for (const LabelPair& l : labels) {
    // 0xff never occurs in UTF-8, so the key is unambiguous.
    absl::StrAppend(&key, "\xff", l.first, "\xff", l.second);
  }
  MutexLock lock(&mu_);
  auto [it, inserted] = entries_.try_emplace(key);
  if (inserted) {
    it->second.name = std::string(name);
    it->second.labels = std::move(labels);
    it->second.metric = std::make_unique<Metric>();
    families_.try_emplace(std::string(name),
                          FamilyInfo{std::string(name), std::string(help), type});
  }
  return *it->second.metric;
}

std::vector<MetricSample> Registry::Collect() const {
  std::vector<MetricSample> out;
  {
    MutexLock lock(&mu_);
    out.reserve(entries_.size());
    for (const auto& [key, e] : entries_) {
      out.push_back(MetricSample{e.name, e.labels, e.metric->Value()});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const MetricSample& a, const MetricSample& b) {
              return std::tie(a.name, a.labels) < std::tie(b.name, b.labels);
            });
  return out;
}

std::vector<FamilyInfo> Registry::Families() const {
  std::vector<FamilyInfo> out;
  {
    MutexLock lock(&mu_);
    for (const auto& [name, f] : families_) out.push_back(f);
  }
  std::sort(out.begin(), out.end(),
            [](const FamilyInfo& a, const FamilyInfo& b) {
              return a.name < b.name;
            });
  return out;
}

}  // namespace promscrape::metrics
