#ifndef PLUGIN_DISCOVERY_STATIC_SD_H_
#define PLUGIN_DISCOVERY_STATIC_SD_H_

#include <vector>

#include "absl/strings/string_view.h"
#include "plugin/config/scrape_config.h"
#include "plugin/discovery/target_group.h"

namespace promscrape::discovery {

// The target groups of a scrape config's `static_configs`, one per entry,
// sources "0", "1", ... as in Prometheus.
std::vector<TargetGroup> StaticTargetGroups(const config::ScrapeConfig& config);

// The target groups of a discovered document (a file_sd file, an http_sd
// answer): sources "<origin>:0", "<origin>:1", ..., each group labelled
// `meta_label`=`origin` (replacing a label of that name the document set),
// as Prometheus' file and HTTP discovery label them.
std::vector<TargetGroup> DocumentTargetGroups(
    const std::vector<config::StaticConfig>& groups, absl::string_view origin,
    absl::string_view meta_label);

}  // namespace promscrape::discovery

#endif  // PLUGIN_DISCOVERY_STATIC_SD_H_
