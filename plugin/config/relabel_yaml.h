#ifndef PLUGIN_CONFIG_RELABEL_YAML_H_
#define PLUGIN_CONFIG_RELABEL_YAML_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "plugin/model/names.h"
#include "plugin/relabel/rule.h"
#include "yaml-cpp/yaml.h"

// YAML <-> relabel::RuleSpec for `relabel_configs` / `metric_relabel_configs`.
namespace promscrape::config {

// Decodes a list of `<relabel_config>` and compiles it. `null_error` is
// Prometheus' message for a null list element ("empty or null target
// relabeling rule in scrape config"). Errors name the entry:
// `relabel_configs[1]: ...` (`field` is the list's key). Names are
// validated with `name_validation` (the job's metric_name_validation_scheme);
// `dot_matches_newline` is Prometheus 3.x' regex compilation (see
// relabel::RuleSpec).
absl::Status DecodeRelabelConfigs(const YAML::Node& node,
                                  absl::string_view field,
                                  absl::string_view null_error,
                                  model::NameValidation name_validation,
                                  bool dot_matches_newline,
                                  std::vector<relabel::RuleSpec>* specs,
                                  std::vector<relabel::Rule>* rules);

// Emits a list of rules as YAML.
void EmitRelabelConfigs(const std::vector<relabel::RuleSpec>& specs,
                        YAML::Emitter& out);

}  // namespace promscrape::config

#endif  // PLUGIN_CONFIG_RELABEL_YAML_H_
