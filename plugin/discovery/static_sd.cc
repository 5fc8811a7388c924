#include "plugin/discovery/static_sd.h"

#include <utility>

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

}  // namespace promscrape::discovery
