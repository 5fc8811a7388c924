#include "plugin/relabel/relabel.h"

#include "absl/strings/str_cat.h"
#include "plugin/common/status.h"

namespace promscrape::relabel {

absl::StatusOr<std::vector<Rule>> CompileRules(absl::Span<const RuleSpec> specs,
                                               absl::string_view field) {
  std::vector<Rule> rules;
  rules.reserve(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    auto rule = Rule::Create(specs[i]);
    if (!rule.ok()) {
      return Annotate(rule.status(), absl::StrCat(field, "[", i, "]"));
    }
    rules.push_back(*std::move(rule));
  }
  return rules;
}

bool Process(model::Builder& labels, absl::Span<const Rule> rules) {
  for (const Rule& rule : rules) {
    if (!rule.Apply(labels)) return false;
  }
  return true;
}

std::optional<model::Labels> Process(const model::Labels& labels,
                                      absl::Span<const Rule> rules) {
  model::Builder builder(labels);
  if (!Process(builder, rules)) return std::nullopt;
  return builder.Build();
}

}  // namespace promscrape::relabel
