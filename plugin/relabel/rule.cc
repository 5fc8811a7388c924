#include "plugin/relabel/rule.h"

#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plugin/common/go_quote.h"
#include "plugin/common/status.h"
#include "plugin/model/labels.h"
#include "plugin/model/names.h"
#include "plugin/relabel/case_mapping.h"
#include "plugin/relabel/expand.h"
#include "plugin/relabel/md5.h"

namespace promscrape::relabel {
namespace {

struct ActionEntry {
  absl::string_view name;
  Action action;
};

constexpr ActionEntry kActions[] = {
    {"replace", Action::kReplace},     {"keep", Action::kKeep},
    {"drop", Action::kDrop},           {"keepequal", Action::kKeepEqual},
    {"dropequal", Action::kDropEqual}, {"hashmod", Action::kHashMod},
    {"labelmap", Action::kLabelMap},   {"labeldrop", Action::kLabelDrop},
    {"labelkeep", Action::kLabelKeep}, {"lowercase", Action::kLowercase},
    {"uppercase", Action::kUppercase},
};

// Prometheus' `relabelTarget`: a label name in which `$1`, `${1}`, `$name`
// references may stand for parts of the name.
const re2::RE2& RelabelTargetRegex() {
  static const re2::RE2* const re = new re2::RE2(
      R"(^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$)");
  return *re;
}

// Prometheus 3.x' isValidLabelNameWithRegexVarFn: with UTF-8 names any
// non-empty UTF-8 template is a valid target.
bool IsValidTarget(absl::string_view s, model::NameValidation scheme) {
  if (scheme == model::NameValidation::kUtf8) {
    return model::IsValidLabelName(s, scheme);
  }
  return re2::RE2::FullMatch(re2::StringPiece(s.data(), s.size()),
                             RelabelTargetRegex());
}

absl::Status Validate(const RuleSpec& c) {
  const Action a = c.action;
  const absl::string_view name = ActionName(a);
  auto quoted = [](absl::string_view s) { return GoQuote(s); };
  if (a == Action::kHashMod && c.modulus == 0) {
    return absl::InvalidArgumentError(
        "relabel configuration for hashmod requires non-zero modulus");
  }
  const bool needs_target =
      a == Action::kReplace || a == Action::kHashMod ||
      a == Action::kLowercase || a == Action::kUppercase ||
      a == Action::kKeepEqual || a == Action::kDropEqual;
  if (needs_target && c.target_label.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("relabel configuration for ", name,
                     " action requires 'target_label' value"));
  }
  const bool templated_target = a == Action::kReplace ||
                                a == Action::kLowercase ||
                                a == Action::kUppercase ||
                                a == Action::kKeepEqual ||
                                a == Action::kDropEqual;
  if (templated_target && !IsValidTarget(c.target_label, c.name_validation)) {
    return absl::InvalidArgumentError(
        absl::StrCat(quoted(c.target_label), " is invalid 'target_label' for ",
                     name, " action"));
  }
  const bool fixed_replacement =
      a == Action::kLowercase || a == Action::kUppercase ||
      a == Action::kKeepEqual || a == Action::kDropEqual;
  if (fixed_replacement && c.replacement != kDefaultReplacement) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'replacement' can not be set for ", name, " action"));
  }
  if (a == Action::kLabelMap &&
      !IsValidTarget(c.replacement, c.name_validation)) {
    return absl::InvalidArgumentError(
        absl::StrCat(quoted(c.replacement), " is invalid 'replacement' for ",
                     name, " action"));
  }
  if (a == Action::kHashMod &&
      !model::IsValidLabelName(c.target_label, c.name_validation)) {
    return absl::InvalidArgumentError(
        absl::StrCat(quoted(c.target_label), " is invalid 'target_label' for ",
                     name, " action"));
  }
  if (a == Action::kKeepEqual || a == Action::kDropEqual) {
    // NOTE: Prometheus compares the regex by identity, so any explicit
    // `regex:` (even "(.*)") is rejected, while the other fields are
    // compared by value.
    if (c.regex_set || c.modulus != 0 || c.separator != kDefaultSeparator ||
        c.replacement != kDefaultReplacement) {
      return absl::InvalidArgumentError(absl::StrCat(
          name,
          " action requires only 'source_labels' and `target_label`, and no "
          "other fields"));
    }
  }
  if (a == Action::kLabelDrop || a == Action::kLabelKeep) {
    if (c.source_labels_set || !c.target_label.empty() || c.modulus != 0 ||
        c.separator != kDefaultSeparator ||
        c.replacement != kDefaultReplacement) {
      return absl::InvalidArgumentError(absl::StrCat(
          name, " action requires only 'regex', and no other fields"));
    }
  }
  for (const auto& l : c.source_labels) {
    if (!model::IsValidLabelName(l, c.name_validation)) {
      return absl::InvalidArgumentError(
          absl::StrCat(quoted(l), " is not a valid label name"));
    }
  }
  return absl::OkStatus();
}

re2::StringPiece Piece(absl::string_view s) {
  return re2::StringPiece(s.data(), s.size());
}

}  // namespace

absl::StatusOr<Action> ParseAction(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (const auto& e : kActions) {
    if (e.name == lower) return e.action;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown relabel action ", GoQuote(name)));
}

absl::string_view ActionName(Action action) {
  for (const auto& e : kActions) {
    if (e.action == action) return e.name;
  }
  return "unknown";
}

absl::StatusOr<std::shared_ptr<const re2::RE2>> CompileAnchored(
    absl::string_view re, bool dot_matches_newline) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  const std::string anchored =
      absl::StrCat(dot_matches_newline ? "^(?s:" : "^(?:", re, ")$");
  auto compiled = std::make_shared<const re2::RE2>(anchored, options);
  if (!compiled->ok()) {
    // RE2 appends ": <pattern>" to its message; quote the user's regex
    // instead of our anchored form.
    std::string reason = compiled->error();
    const std::string suffix = absl::StrCat(": ", anchored);
    if (absl::EndsWith(reason, suffix)) {
      reason.resize(reason.size() - suffix.size());
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "error parsing regexp ", GoQuote(re), ": ", reason));
  }
  return compiled;
}

uint64_t HashMod(absl::string_view value, uint64_t modulus) {
  const auto digest = Md5(value);
  uint64_t h = 0;
  for (int i = 8; i < 16; ++i) h = (h << 8) | digest[i];
  return h % modulus;
}

absl::StatusOr<Rule> Rule::Create(RuleSpec spec) {
  PROMSCRAPE_RETURN_IF_ERROR(Validate(spec));
  auto regex = CompileAnchored(spec.regex, spec.dot_matches_newline);
  if (!regex.ok()) return regex.status();
  return Rule(std::move(spec), *std::move(regex));
}

void Rule::SourceValue(const model::Builder& labels, std::string* out) const {
  bool first = true;
  for (const auto& name : spec_.source_labels) {
    if (!first) out->append(spec_.separator);
    first = false;
    absl::string_view v = labels.Get(name);
    out->append(v.data(), v.size());
  }
}

bool Rule::Apply(model::Builder& lb) const {
  const re2::RE2& re = *regex_;
  std::string val;
  switch (spec_.action) {
    case Action::kDrop:
      SourceValue(lb, &val);
      return !re2::RE2::PartialMatch(Piece(val), re);
    case Action::kKeep:
      SourceValue(lb, &val);
      return re2::RE2::PartialMatch(Piece(val), re);
    case Action::kDropEqual:
      SourceValue(lb, &val);
      return lb.Get(spec_.target_label) != val;
    case Action::kKeepEqual:
      SourceValue(lb, &val);
      return lb.Get(spec_.target_label) == val;
    case Action::kReplace: {
      SourceValue(lb, &val);
      const int n = re.NumberOfCapturingGroups() + 1;
      absl::InlinedVector<re2::StringPiece, 8> groups(n);
      if (!re.Match(Piece(val), 0, val.size(), re2::RE2::UNANCHORED,
                    groups.data(), n)) {
        return true;
      }
      // Most target labels are plain names; skip the expansion for them.
      std::string target;
      if (target_is_template_) {
        ExpandTemplate(spec_.target_label, re, groups, &target);
      } else {
        target = spec_.target_label;
      }
      if (!model::IsValidLabelName(target, spec_.name_validation)) {
        // Prometheus 2.x deletes the label named by the raw template here;
        // a valid template without `$` always expands to itself, so this
        // only ever deletes a label literally named like the template.
        lb.Del(spec_.target_label);
        return true;
      }
      std::string res;
      ExpandTemplate(spec_.replacement, re, groups, &res);
      if (res.empty()) {
        lb.Del(spec_.target_label);
      } else {
        lb.Set(target, res);
      }
      return true;
    }
    case Action::kLowercase:
      SourceValue(lb, &val);
      lb.Set(spec_.target_label, ToLower(val));
      return true;
    case Action::kUppercase:
      SourceValue(lb, &val);
      lb.Set(spec_.target_label, ToUpper(val));
      return true;
    case Action::kHashMod:
      SourceValue(lb, &val);
      lb.Set(spec_.target_label, absl::StrCat(HashMod(val, spec_.modulus)));
      return true;
    case Action::kLabelMap: {
      // Iterate over a snapshot: labels set here must not be revisited.
      const std::vector<model::Label> snapshot = lb.current();
      const int n = re.NumberOfCapturingGroups() + 1;
      absl::InlinedVector<re2::StringPiece, 8> groups(n);
      for (const auto& l : snapshot) {
        if (!re.Match(Piece(l.name), 0, l.name.size(), re2::RE2::UNANCHORED,
                      groups.data(), n)) {
          continue;
        }
        std::string name;
        ExpandTemplate(spec_.replacement, re, groups, &name);
        lb.Set(name, l.value);
      }
      return true;
    }
    case Action::kLabelDrop:
    case Action::kLabelKeep: {
      const bool keep_matching = spec_.action == Action::kLabelKeep;
      std::vector<std::string> doomed;
      for (const auto& l : lb.current()) {
        if (re2::RE2::PartialMatch(Piece(l.name), re) != keep_matching) {
          doomed.push_back(l.name);
        }
      }
      for (const auto& name : doomed) lb.Del(name);
      return true;
    }
  }
  return true;
}

}  // namespace promscrape::relabel
