#ifndef PLUGIN_CHECKER_CONFIG_CHECKER_H_
#define PLUGIN_CHECKER_CONFIG_CHECKER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "plugin/config/compat.h"

namespace promscrape::checker {

// The result of checking one prometheus.yml. Thread-compatible value type.
struct CheckResult {
  // Empty when the config is valid. Otherwise `errors[0]` is the error
  // `promtool check config` reports; the rest come from later, independent
  // checks (other rule files, other jobs, other files of a job) that promtool
  // stops before. All are kInvalidArgument.
  std::vector<absl::Status> errors;
  // Reported whatever the verdict, e.g. missing file_sd files.
  std::vector<std::string> warnings;

  bool ok() const { return errors.empty(); }
};

// What `promtool check config` does for one file: load and validate the
// config (config::LoadPrometheusConfigFileCollecting: every bad
// scrape_configs entry is an error and the valid ones are checked on; an
// error outside scrape_configs is the only error reported, since nothing
// else can be checked), then the checks promtool
// adds: explicitly named rule files exist; authorization/bearer credential
// files and TLS client cert/key files exist; every file_sd file parses and
// every static or file_sd target passes target creation
// (`instance 0 in group 0: no address`). Missing file_sd files are warnings,
// as in promtool. Relative paths resolve against the file's directory.
// Never fails itself: an unreadable file is an error in the result.
// `compat` is the semantics checked against (prometheus_compat): kV2 gives
// Prometheus 2.42 promtool's verdicts.
CheckResult CheckConfigFile(
    const std::string& path,
    config::PrometheusCompat compat = config::kDefaultPrometheusCompat);

// As CheckConfigFile for prometheus.yml `yaml` already in memory; relative
// paths in it resolve against `base_dir` ("" is the working directory).
CheckResult CheckConfigText(
    const std::string& yaml, absl::string_view base_dir,
    config::PrometheusCompat compat = config::kDefaultPrometheusCompat);

}  // namespace promscrape::checker

#endif  // PLUGIN_CHECKER_CONFIG_CHECKER_H_
