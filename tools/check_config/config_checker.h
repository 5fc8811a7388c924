#ifndef TOOLS_CHECK_CONFIG_CONFIG_CHECKER_H_
#define TOOLS_CHECK_CONFIG_CONFIG_CHECKER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace promscrape::tools {

// The result of checking one prometheus.yml.
struct CheckResult {
  absl::Status status;                // OK or the first error.
  std::vector<std::string> warnings;  // E.g. missing file_sd files.
};

// What `promtool check config` does for one file: load and validate the
// config (config::LoadPrometheusConfigFile), then the checks promtool adds:
// explicitly named rule files exist; authorization/bearer credential files
// and TLS client cert/key files exist and come in pairs; every static
// target passes target creation (`instance 0 in group 0: no address`).
// Missing file_sd files are warnings, as in promtool.
CheckResult CheckConfigFile(const std::string& path);

}  // namespace promscrape::tools

#endif  // TOOLS_CHECK_CONFIG_CONFIG_CHECKER_H_
