#include "plugin/discovery/static_sd.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "plugin/model/labels.h"

namespace promscrape::discovery {

std::vector<TargetGroup> StaticTargetGroups(
    const config::ScrapeConfig& config) {
  std::vector<TargetGroup> groups;
  for (size_t i = 0; i < config.static_configs.size(); ++i) {
    const auto& sc = config.static_configs[i];
    TargetGroup g;
    g.source = absl::StrCat(i);
    g.labels = sc.labels;
    for (const auto& t : sc.targets) {
      g.targets.push_back(model::Labels::Of({{model::kAddressLabel, t}}));
    }
    groups.push_back(std::move(g));
  }
  return groups;
}

std::vector<TargetGroup> DocumentTargetGroups(
    const std::vector<config::StaticConfig>& groups, absl::string_view origin,
    absl::string_view meta_label) {
  std::vector<TargetGroup> out;
  out.reserve(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    TargetGroup g;
    g.source = absl::StrCat(origin, ":", i);
    std::vector<model::Label> labels;
    for (const auto& l : groups[i].labels) {
      if (l.name != meta_label) labels.push_back(l);
    }
    labels.push_back({std::string(meta_label), std::string(origin)});
    g.labels = model::Labels::FromUnsorted(std::move(labels));
    for (const auto& t : groups[i].targets) {
      g.targets.push_back(model::Labels::Of({{model::kAddressLabel, t}}));
    }
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace promscrape::discovery
