#ifndef PLUGIN_RELABEL_RELABEL_H_
#define PLUGIN_RELABEL_RELABEL_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "plugin/model/builder.h"
#include "plugin/model/labels.h"
#include "plugin/relabel/rule.h"

// Applying a list of relabel rules (Prometheus `relabel.Process`).
namespace promscrape::relabel {

// Validates and compiles `specs`. The error names the failing entry:
// `relabel_configs[1]: error parsing regexp: ...` (`field` is the prefix).
absl::StatusOr<std::vector<Rule>> CompileRules(
    absl::Span<const RuleSpec> specs,
    absl::string_view field = "relabel_configs");

// Applies `rules` in order to `labels` in place; stops at the first rule that
// drops and returns false. An empty rule list keeps everything.
bool Process(model::Builder& labels, absl::Span<const Rule> rules);

// Convenience: returns the relabeled set, or nullopt when dropped.
std::optional<model::Labels> Process(const model::Labels& labels,
                                      absl::Span<const Rule> rules);

}  // namespace promscrape::relabel

#endif  // PLUGIN_RELABEL_RELABEL_H_
