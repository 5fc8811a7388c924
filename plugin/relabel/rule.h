#ifndef PLUGIN_RELABEL_RULE_H_
#define PLUGIN_RELABEL_RULE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plugin/model/builder.h"
#include "plugin/model/names.h"
#include "re2/re2.h"

namespace promscrape::relabel {

enum class Action {
  kReplace,
  kKeep,
  kDrop,
  kKeepEqual,
  kDropEqual,
  kHashMod,
  kLabelMap,
  kLabelDrop,
  kLabelKeep,
  kLowercase,
  kUppercase,
};

// Parses an action name case-insensitively, as Prometheus does.
// Error: `unknown relabel action "Foo"`.
absl::StatusOr<Action> ParseAction(absl::string_view name);
// The lower-case YAML name ("replace", "labelmap", ...).
absl::string_view ActionName(Action action);

inline constexpr absl::string_view kDefaultSeparator = ";";
inline constexpr absl::string_view kDefaultRegex = "(.*)";
inline constexpr absl::string_view kDefaultReplacement = "$1";

// One `relabel_config` as written, with Prometheus' defaults. The `*_set`
// flags record what the YAML spelled out, because validation distinguishes
// "absent" from "equal to the default" for a few fields.
struct RuleSpec {
  std::vector<std::string> source_labels;
  bool source_labels_set = false;  // Present and non-null, even if empty.
  std::string separator = std::string(kDefaultSeparator);
  std::string regex = std::string(kDefaultRegex);
  bool regex_set = false;  // Present and non-null.
  uint64_t modulus = 0;
  std::string target_label;
  std::string replacement = std::string(kDefaultReplacement);
  Action action = Action::kReplace;
  // The job's `metric_name_validation_scheme` (Prometheus 3.x' per-config
  // NameValidationScheme, not a YAML field of the rule): which target label
  // and labelmap replacement names validation accepts, and which expanded
  // target names `replace` writes. Prometheus 2.x: always kLegacy.
  model::NameValidation name_validation = model::NameValidation::kLegacy;
  // Whether `.` in `regex` matches a newline: Prometheus 3.x compiles
  // `^(?s:<regex>)$`, 2.x `^(?:<regex>)$` (a label value with a newline
  // then fails `(.*)`). Set from the job's prometheus_compat, not YAML.
  bool dot_matches_newline = false;

  friend bool operator==(const RuleSpec&, const RuleSpec&) = default;
};

// A validated, compiled relabel rule. The regex is compiled once as
// `^(?:<regex>)$` (Prometheus 2.x anchoring) or `^(?s:<regex>)$` (3.x, see
// RuleSpec::dot_matches_newline) and shared between copies.
//
// Thread-safe: `Apply` is const and may run concurrently on distinct
// builders.
class Rule {
 public:
  // Validates `spec` with Prometheus 2.x' rules (relabel.Config.Validate) and compiles it.
  // Errors (kInvalidArgument) carry Prometheus' wording, e.g.
  // `relabel configuration for hashmod requires non-zero modulus` or
  // `error parsing regexp: missing ): "^(?:()$"`.
  static absl::StatusOr<Rule> Create(RuleSpec spec);

  // Applies the rule to `labels` in place. Returns false when the rule drops
  // the target or series (keep/drop/keepequal/dropequal).
  bool Apply(model::Builder& labels) const;

  const RuleSpec& spec() const { return spec_; }

  // A compiled rule is fully determined by its spec.
  friend bool operator==(const Rule& a, const Rule& b) {
    return a.spec_ == b.spec_;
  }

 private:
  Rule(RuleSpec spec, std::shared_ptr<const re2::RE2> regex)
      : spec_(std::move(spec)),
        regex_(std::move(regex)),
        target_is_template_(spec_.target_label.find('$') !=
                            std::string::npos) {}

  // Joins the source label values with the separator into `out`.
  void SourceValue(const model::Builder& labels, std::string* out) const;

  RuleSpec spec_;
  std::shared_ptr<const re2::RE2> regex_;
  bool target_is_template_;
};

// Compiles `re` anchored as Prometheus does: 2.x `^(?:re)$`, 3.x
// (`dot_matches_newline`) `^(?s:re)$`. Exposed for tests and tools.
absl::StatusOr<std::shared_ptr<const re2::RE2>> CompileAnchored(
    absl::string_view re, bool dot_matches_newline = false);

// MD5-based hashmod exactly as Prometheus: the last 8 bytes of md5(value),
// big-endian, modulo `modulus` (> 0).
uint64_t HashMod(absl::string_view value, uint64_t modulus);

}  // namespace promscrape::relabel

#endif  // PLUGIN_RELABEL_RULE_H_
