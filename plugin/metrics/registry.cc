#include "plugin/metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace promscrape::metrics {
namespace {

std::string EntryKey(absl::string_view name,
                     const std::vector<LabelPair>& labels) {
  std::string key(name);
  for (const LabelPair& l : labels) {
    // 0xff never occurs in UTF-8, so the key is unambiguous.
    absl::StrAppend(&key, "\xff", l.first, "\xff", l.second);
  }
  return key;
}

// Go's strconv.FormatFloat(q, 'g', -1, 64) for the objectives we use.
std::string QuantileLabel(double q) { return absl::StrCat(q); }

}  // namespace

void Summary::Observe(double value) {
  MutexLock lock(&mu_);
  if (window_.size() < kWindow) {
    window_.push_back(value);
  } else {
    window_[next_] = value;
  }
  next_ = (next_ + 1) % kWindow;
  ++count_;
  sum_ += value;
}

Summary::Snapshot Summary::Snap() const {
  Snapshot snap;
  std::vector<double> values;
  {
    MutexLock lock(&mu_);
    snap.count = count_;
    snap.sum = sum_;
    values = window_;
  }
  std::sort(values.begin(), values.end());
  for (double q : kQuantiles) {
    if (values.empty()) {
      snap.quantiles.push_back(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    // Nearest rank: the smallest value with at least q*n values <= it.
    size_t rank = static_cast<size_t>(std::ceil(q * values.size()));
    snap.quantiles.push_back(values[rank == 0 ? 0 : rank - 1]);
  }
  return snap;
}

Metric& Registry::Counter(absl::string_view name, absl::string_view help,
                          std::vector<LabelPair> labels) {
  return *GetOrCreate(name, help, MetricType::kCounter, std::move(labels))
              .metric;
}

Metric& Registry::Gauge(absl::string_view name, absl::string_view help,
                        std::vector<LabelPair> labels) {
  return *GetOrCreate(name, help, MetricType::kGauge, std::move(labels)).metric;
}

metrics::Summary& Registry::Summary(absl::string_view name,
                                    absl::string_view help,
                                    std::vector<LabelPair> labels) {
  return *GetOrCreate(name, help, MetricType::kSummary, std::move(labels))
              .summary;
}

Registry::Entry& Registry::GetOrCreate(absl::string_view name,
                                       absl::string_view help, MetricType type,
                                       std::vector<LabelPair> labels) {
  std::sort(labels.begin(), labels.end());
  std::string key = EntryKey(name, labels);
  MutexLock lock(&mu_);
  auto [it, inserted] = entries_.try_emplace(key);
  if (inserted) {
    it->second.name = std::string(name);
    it->second.labels = std::move(labels);
    if (type == MetricType::kSummary) {
      it->second.summary = std::make_unique<metrics::Summary>();
    } else {
      it->second.metric = std::make_unique<Metric>();
    }
    families_.try_emplace(std::string(name),
                          FamilyInfo{std::string(name), std::string(help), type});
  }
  return it->second;
}

void Registry::Remove(absl::string_view name, std::vector<LabelPair> labels) {
  std::sort(labels.begin(), labels.end());
  std::string key = EntryKey(name, labels);
  MutexLock lock(&mu_);
  entries_.erase(key);
}

uint64_t Registry::AddCollector(std::vector<FamilyInfo> families,
                                CollectFn collect) {
  {
    MutexLock lock(&mu_);
    for (FamilyInfo& f : families) {
      std::string name = f.name;
      families_.try_emplace(std::move(name), std::move(f));
    }
  }
  MutexLock lock(&collectors_mu_);
  uint64_t id = next_collector_++;
  collectors_.emplace(id, std::move(collect));
  return id;
}

void Registry::RemoveCollector(uint64_t id) {
  MutexLock lock(&collectors_mu_);
  collectors_.erase(id);
}

std::vector<MetricSample> Registry::Collect() const {
  std::vector<MetricSample> out;
  {
    MutexLock lock(&collectors_mu_);
    for (const auto& [id, collect] : collectors_) collect(&out);
  }
  {
    MutexLock lock(&mu_);
    out.reserve(out.size() + entries_.size());
    for (const auto& [key, e] : entries_) {
      if (e.metric != nullptr) {
        out.push_back(MetricSample{e.name, e.labels, e.metric->Value()});
        continue;
      }
      Summary::Snapshot snap = e.summary->Snap();
      for (size_t i = 0; i < snap.quantiles.size(); ++i) {
        std::vector<LabelPair> labels = e.labels;
        labels.emplace_back("quantile", QuantileLabel(Summary::kQuantiles[i]));
        std::sort(labels.begin(), labels.end());
        out.push_back(MetricSample{e.name, std::move(labels), snap.quantiles[i]});
      }
      out.push_back(MetricSample{absl::StrCat(e.name, "_sum"), e.labels, snap.sum});
      out.push_back(MetricSample{absl::StrCat(e.name, "_count"), e.labels,
                                 static_cast<double>(snap.count)});
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
