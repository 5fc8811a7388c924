#ifndef PLUGIN_DISCOVERY_FILE_SD_H_
#define PLUGIN_DISCOVERY_FILE_SD_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plugin/discovery/target_group.h"

namespace promscrape::discovery {

// Reads one file_sd target file (`.json`, `.yml` or `.yaml`): a list of
// `{targets: [...], labels: {...}}` groups, decoded strictly (unknown keys,
// bad label names and null groups are errors). Each group's source is
// `<path>:<index>` as in Prometheus' file discovery. Blocking file I/O.
absl::StatusOr<std::vector<TargetGroup>> ReadFileSdFile(
    const std::string& path);

}  // namespace promscrape::discovery

#endif  // PLUGIN_DISCOVERY_FILE_SD_H_
