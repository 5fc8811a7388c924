#include "plugin/config/relabel_yaml.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "plugin/common/status.h"
#include "plugin/config/yaml_reader.h"

namespace promscrape::config {
namespace {

using internal::MapReader;

absl::Status DecodeOne(const YAML::Node& node, relabel::RuleSpec* spec) {
  PROMSCRAPE_ASSIGN_OR_RETURN(MapReader r,
                              MapReader::Create(node, "relabel.Config"));
  YAML::Node n = r.Take("source_labels");
  spec->source_labels_set = !internal::IsNullNode(n);
  PROMSCRAPE_RETURN_IF_ERROR(
      internal::DecodeStringList(n, &spec->source_labels));
  PROMSCRAPE_RETURN_IF_ERROR(
      internal::DecodeString(r.Take("separator"), &spec->separator));
  n = r.Take("regex");
  // NOTE: an explicit `regex: null` counts as set (keepequal rejects it, as
  // Prometheus compares regexes by identity) and compiles the empty pattern.
  spec->regex_set = n.IsDefined();
  if (n.IsDefined() && n.IsNull()) {
    spec->regex.clear();
  } else if (n.IsDefined()) {
    PROMSCRAPE_RETURN_IF_ERROR(internal::DecodeString(n, &spec->regex));
  }
  PROMSCRAPE_RETURN_IF_ERROR(
      internal::DecodeUint(r.Take("modulus"), &spec->modulus));
  PROMSCRAPE_RETURN_IF_ERROR(
      internal::DecodeString(r.Take("target_label"), &spec->target_label));
  PROMSCRAPE_RETURN_IF_ERROR(
      internal::DecodeString(r.Take("replacement"), &spec->replacement));
  n = r.Take("action");
  if (n.IsDefined() && n.IsNull()) {
    // yaml.v2 zeroes the action; Validate() then rejects it.
    return absl::InvalidArgumentError("relabel action cannot be empty");
  }
  if (n.IsDefined()) {
    std::string action;
    PROMSCRAPE_RETURN_IF_ERROR(internal::DecodeString(n, &action));
    PROMSCRAPE_ASSIGN_OR_RETURN(spec->action, relabel::ParseAction(action));
  }
  return r.Finish();
}

}  // namespace

absl::Status DecodeRelabelConfigs(const YAML::Node& node,
                                  absl::string_view field,
                                  absl::string_view null_error,
                                  model::NameValidation name_validation,
                                  bool dot_matches_newline,
                                  std::vector<relabel::RuleSpec>* specs,
                                  std::vector<relabel::Rule>* rules) {
  if (internal::IsNullNode(node)) return absl::OkStatus();
  if (!node.IsSequence()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", internal::LinePrefix(node),
                     "cannot unmarshal into []*relabel.Config"));
  }
  size_t i = 0;
  for (const auto& item : node) {
    const std::string where = absl::StrCat(field, "[", i++, "]");
    if (internal::IsNullNode(item)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", null_error));
    }
    relabel::RuleSpec spec;
    spec.name_validation = name_validation;
    spec.dot_matches_newline = dot_matches_newline;
    PROMSCRAPE_RETURN_IF_ERROR(Annotate(DecodeOne(item, &spec), where));
    auto rule = relabel::Rule::Create(spec);
    if (!rule.ok()) return Annotate(rule.status(), where);
    specs->push_back(std::move(spec));
    rules->push_back(*std::move(rule));
  }
  return absl::OkStatus();
}

void EmitRelabelConfigs(const std::vector<relabel::RuleSpec>& specs,
                        YAML::Emitter& out) {
  out << YAML::BeginSeq;
  for (const auto& s : specs) {
    out << YAML::BeginMap;
    if (s.source_labels_set) {
      out << YAML::Key << "source_labels" << YAML::Value << YAML::Flow
          << s.source_labels;
    }
    out << YAML::Key << "separator" << YAML::Value << s.separator;
    // Only an explicit regex is rendered: keepequal/dropequal reject any.
    if (s.regex_set) out << YAML::Key << "regex" << YAML::Value << s.regex;
    if (s.modulus != 0) {
      out << YAML::Key << "modulus" << YAML::Value << s.modulus;
    }
    if (!s.target_label.empty()) {
      out << YAML::Key << "target_label" << YAML::Value << s.target_label;
    }
    out << YAML::Key << "replacement" << YAML::Value << s.replacement;
    out << YAML::Key << "action" << YAML::Value
        << std::string(relabel::ActionName(s.action));
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

}  // namespace promscrape::config
