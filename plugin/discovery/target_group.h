#ifndef PLUGIN_DISCOVERY_TARGET_GROUP_H_
#define PLUGIN_DISCOVERY_TARGET_GROUP_H_

#include <string>
#include <vector>

#include "plugin/model/labels.h"

namespace promscrape::discovery {

// A discovered target group (Prometheus' targetgroup.Group): label sets,
// each with at least `__address__` when well-formed, sharing the group
// `labels`. `source` names the group in errors ("0" for the first
// static_configs entry, as Prometheus does).
struct TargetGroup {
  std::vector<model::Labels> targets;
  model::Labels labels;
  std::string source;

  friend bool operator==(const TargetGroup&, const TargetGroup&) = default;
};

}  // namespace promscrape::discovery

#endif  // PLUGIN_DISCOVERY_TARGET_GROUP_H_
