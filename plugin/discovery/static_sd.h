#ifndef PLUGIN_DISCOVERY_STATIC_SD_H_
#define PLUGIN_DISCOVERY_STATIC_SD_H_

#include <vector>

#include "plugin/config/scrape_config.h"
#include "plugin/discovery/target_group.h"

namespace promscrape::discovery {

// The target groups of a scrape config's `static_configs`, one per entry,
// sources "0", "1", ... as in Prometheus.
std::vector<TargetGroup> StaticTargetGroups(const config::ScrapeConfig& config);

}  // namespace promscrape::discovery

#endif  // PLUGIN_DISCOVERY_STATIC_SD_H_
