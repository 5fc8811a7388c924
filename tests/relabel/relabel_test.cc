#include "plugin/relabel/relabel.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/model/labels.h"
#include "plugin/relabel/case_mapping.h"
#include "plugin/relabel/expand.h"
#include "plugin/relabel/md5.h"
#include "plugin/relabel/rule.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::relabel {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::HasSubstr;
using model::Labels;

RuleSpec Spec(Action action) {
  RuleSpec s;
  s.action = action;
  return s;
}

struct ProcessCase {
  std::string name;
  Labels input;
  std::vector<RuleSpec> rules;
  std::optional<Labels> want;  // nullopt: dropped.
};

RuleSpec Replace(std::vector<std::string> sources, std::string regex,
                 std::string target, std::string replacement) {
  RuleSpec s;
  s.source_labels = std::move(sources);
  s.source_labels_set = true;
  s.regex = std::move(regex);
  s.regex_set = true;
  s.target_label = std::move(target);
  s.replacement = std::move(replacement);
  return s;
}

RuleSpec WithAction(RuleSpec s, Action a) {
  s.action = a;
  return s;
}

TEST(ProcessTest, Table) {
  const Labels abc = Labels::Of({{"a", "foo"}, {"b", "bar"}, {"c", "baz"}});
  RuleSpec hashmod = Spec(Action::kHashMod);
  hashmod.source_labels = {"c"};
  hashmod.target_label = "d";
  hashmod.modulus = 1000;
  RuleSpec hashmod_nl = hashmod;
  hashmod_nl.source_labels = {"a"};
  RuleSpec labelmap = Spec(Action::kLabelMap);
  labelmap.regex = "(b.*)";
  labelmap.replacement = "${1}_copy";
  RuleSpec labeldrop = Spec(Action::kLabelDrop);
  labeldrop.regex = "[ab]";
  RuleSpec labelkeep = labeldrop;
  labelkeep.action = Action::kLabelKeep;
  RuleSpec lower = Spec(Action::kLowercase);
  lower.source_labels = {"m"};
  lower.target_label = "lower";
  RuleSpec upper = lower;
  upper.action = Action::kUppercase;
  upper.target_label = "upper";
  RuleSpec keepequal = Spec(Action::kKeepEqual);
  keepequal.source_labels = {"a"};
  keepequal.target_label = "x";
  RuleSpec dropequal = keepequal;
  dropequal.action = Action::kDropEqual;
  RuleSpec defaults;  // replace with default regex/replacement.
  defaults.source_labels = {"a"};
  defaults.target_label = "copy";

  const std::vector<ProcessCase> cases = {
      {"replace copies group",
       abc,
       {Replace({"a"}, "f(.*)", "d", "ch${1}-ch${1}")},
       Labels::Of({{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "choo-choo"}})},
      {"replace joins sources with separator",
       abc,
       {Replace({"a", "b"}, "(.*)", "d", "$1")},
       Labels::Of({{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "foo;bar"}})},
      {"replace defaults",
       abc,
       {defaults},
       Labels::Of({{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"copy", "foo"}})},
      {"regex is anchored",
       abc,
       {Replace({"a"}, "o", "d", "x")},
       abc},
      {"no match is a no-op",
       abc,
       {Replace({"a"}, "nomatch", "d", "x")},
       abc},
      {"missing group expands empty and deletes",
       abc,
       {Replace({"a"}, "(f).*", "$1", "$2")},
       abc},
      {"template target label",
       Labels::Of({{"a", "some-name-value"}}),
       {Replace({"a"}, "some-([^-]+)-([^,]+)", "${1}", "${2}")},
       Labels::Of({{"a", "some-name-value"}, {"name", "value"}})},
      {"invalid expanded target is a no-op",
       abc,
       {Replace({"a"}, "(.*)", "${3}", "x")},
       abc},
      {"empty replacement deletes target",
       abc,
       {Replace({"a"}, "(.*)", "b", "")},
       Labels::Of({{"a", "foo"}, {"c", "baz"}})},
      {"missing source label joins as empty",
       abc,
       {Replace({"zz"}, "", "d", "empty")},
       Labels::Of({{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "empty"}})},
      {"named group",
       abc,
       {Replace({"a"}, "(?P<first>f)oo", "d", "${first}!")},
       Labels::Of({{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "f!"}})},
      {"dollar-one-x is group 1x",
       abc,
       {Replace({"a"}, "(f)oo", "d", "$1x")},
       abc},
      {"keep drops on mismatch",
       abc,
       {WithAction(Replace({"a"}, "bar", "", "$1"), Action::kKeep)},
       std::nullopt},
      {"keep keeps on match",
       abc,
       {WithAction(Replace({"a"}, "f.*", "", "$1"), Action::kKeep)},
       abc},
      {"drop drops on match",
       abc,
       {WithAction(Replace({"a", "b"}, "foo;bar", "", "$1"), Action::kDrop)},
       std::nullopt},
      {"drop keeps on mismatch",
       abc,
       {WithAction(Replace({"a"}, "fo", "", "$1"), Action::kDrop)},
       abc},
      {"first drop stops processing",
       abc,
       {WithAction(Replace({"a"}, "foo", "", "$1"), Action::kDrop),
        Replace({"a"}, "(.*)", "never", "x")},
       std::nullopt},
      {"keepequal keeps equal",
       Labels::Of({{"a", "1"}, {"x", "1"}}),
       {keepequal},
       Labels::Of({{"a", "1"}, {"x", "1"}})},
      {"keepequal drops different",
       Labels::Of({{"a", "1"}, {"x", "2"}}),
       {keepequal},
       std::nullopt},
      {"dropequal drops equal",
       Labels::Of({{"a", "1"}, {"x", "1"}}),
       {dropequal},
       std::nullopt},
      {"dropequal keeps different",
       Labels::Of({{"a", "1"}, {"x", "2"}}),
       {dropequal},
       Labels::Of({{"a", "1"}, {"x", "2"}})},
      {"hashmod matches prometheus",
       abc,
       {hashmod},
       Labels::Of({{"a", "foo"}, {"b", "bar"}, {"c", "baz"}, {"d", "976"}})},
      {"hashmod newline",
       Labels::Of({{"a", "foo\nbar"}}),
       {hashmod_nl},
       Labels::Of({{"a", "foo\nbar"}, {"d", "734"}})},
      {"labelmap copies matching names",
       abc,
       {labelmap},
       Labels::Of({{"a", "foo"}, {"b", "bar"}, {"b_copy", "bar"}, {"c", "baz"}})},
      {"labeldrop",
       abc,
       {labeldrop},
       Labels::Of({{"c", "baz"}})},
      {"labelkeep",
       abc,
       {labelkeep},
       Labels::Of({{"a", "foo"}, {"b", "bar"}})},
      {"lowercase",
       Labels::Of({{"m", "AbC"}}),
       {lower},
       Labels::Of({{"lower", "abc"}, {"m", "AbC"}})},
      {"uppercase",
       Labels::Of({{"m", "AbC"}}),
       {upper},
       Labels::Of({{"m", "AbC"}, {"upper", "ABC"}})},
      {"no rules keep everything", abc, {}, abc},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto rules = CompileRules(c.rules);
    ASSERT_TRUE(rules.ok()) << rules.status();
    std::optional<Labels> got = Process(c.input, *rules);
    ASSERT_EQ(got.has_value(), c.want.has_value());
    if (got) {
      EXPECT_EQ(got->ToString(), c.want->ToString());
    }
  }
}

TEST(ProcessTest, DotDoesNotMatchNewlineIn2x) {
  // 2.42 anchors as ^(?:re)$ without the s flag that 3.x adds.
  auto rules = CompileRules({WithAction(
      Replace({"a"}, "line1.*line2", "", "$1"), Action::kKeep)});
  ASSERT_TRUE(rules.ok());
  EXPECT_FALSE(Process(Labels::Of({{"a", "line1\nline2"}}), *rules));
  EXPECT_TRUE(Process(Labels::Of({{"a", "line1 line2"}}), *rules));
}

TEST(ProcessTest, DotMatchesNewlineIn3x) {
  // 3.x compiles ^(?s:re)$ (model/relabel NewRegexp): `.` spans a newline,
  // so the default `(.*)` copies a multi-line value whole.
  RuleSpec keep = WithAction(Replace({"a"}, "line1.*line2", "", "$1"),
                             Action::kKeep);
  keep.dot_matches_newline = true;
  RuleSpec copy = Replace({"a"}, "(.*)", "b", "$1");
  copy.dot_matches_newline = true;
  auto rules = CompileRules({keep, copy});
  ASSERT_TRUE(rules.ok());
  auto got = Process(Labels::Of({{"a", "line1\nline2"}}), *rules);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->Get("b"), "line1\nline2");
}

TEST(ProcessTest, LabelMapIteratesOverSnapshot) {
  RuleSpec s = Spec(Action::kLabelMap);
  s.regex = "(.*)";
  s.replacement = "x_$1";
  auto rules = CompileRules({s});
  ASSERT_TRUE(rules.ok());
  auto got = Process(Labels::Of({{"a", "1"}}), *rules);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->ToString(), R"({a="1", x_a="1"})");
}

RuleSpec Utf8(RuleSpec s) {
  s.name_validation = model::NameValidation::kUtf8;
  return s;
}

// Prometheus 3.x TestRelabelValidate / TestRelabel "utf-8" cases
// (model/relabel/relabel_test.go): with the utf8 scheme, dotted target
// labels, labelmap replacements and hashmod targets are valid names; with
// the legacy scheme (2.x) they are not.
TEST(RuleTest, Utf8NameValidationAcceptsDottedNames) {
  RuleSpec replace = Replace({"a"}, "(.*)", "service.name", "$1");
  RuleSpec templ = Replace({"a"}, "(.*)", "ns.${1}", "x");
  RuleSpec labelmap = Spec(Action::kLabelMap);
  labelmap.regex = "__meta_(.+)";
  labelmap.replacement = "meta.$1";
  RuleSpec hashmod = Spec(Action::kHashMod);
  hashmod.source_labels = {"a.b"};
  hashmod.target_label = "shard.id";
  hashmod.modulus = 4;
  RuleSpec lower = Spec(Action::kLowercase);
  lower.source_labels = {"a"};
  lower.target_label = "lower.a";
  for (const RuleSpec& spec : {replace, templ, labelmap, hashmod, lower}) {
    SCOPED_TRACE(std::string(ActionName(spec.action)) + " " +
                 spec.target_label + spec.replacement);
    EXPECT_TRUE(Rule::Create(Utf8(spec)).ok());
    EXPECT_THAT(Rule::Create(spec),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("invalid")));
  }
  // Still invalid under utf8: an empty or non-UTF-8 name.
  RuleSpec bad = Replace({"a"}, "(.*)", "\xff", "$1");
  EXPECT_THAT(Rule::Create(Utf8(bad)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is invalid 'target_label'")));
}

TEST(ProcessTest, Utf8NamesAreWrittenByReplaceAndLabelMap) {
  RuleSpec replace = Utf8(Replace({"a"}, "(.+)", "svc.${1}", "$1"));
  RuleSpec labelmap = Utf8(Spec(Action::kLabelMap));
  labelmap.regex = "__meta_(.+)";
  labelmap.replacement = "meta.$1";
  auto rules = CompileRules({replace, labelmap});
  ASSERT_TRUE(rules.ok()) << rules.status();
  auto got = Process(Labels::Of({{"__meta_x", "1"}, {"a", "v"}}), *rules);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->ToString(),
            R"({__meta_x="1", a="v", "meta.x"="1", "svc.v"="v"})");
  // Legacy validation (2.x): an expanded target that is no legacy name is
  // not written.
  RuleSpec legacy = Replace({"a"}, "(.+)", "svc_${1}", "$1");
  auto legacy_rules = CompileRules({legacy});
  ASSERT_TRUE(legacy_rules.ok());
  auto kept = Process(Labels::Of({{"a", "v.w"}}), *legacy_rules);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->ToString(), R"({a="v.w"})");
}

struct ErrorCase {
  std::string name;
  RuleSpec spec;
  std::string error;
};

TEST(RuleTest, ValidationErrors) {
  RuleSpec hashmod = Spec(Action::kHashMod);
  hashmod.target_label = "x";
  RuleSpec hashmod_template = hashmod;
  hashmod_template.modulus = 2;
  hashmod_template.target_label = "$1";
  RuleSpec bad_target;
  bad_target.target_label = "a-b";
  RuleSpec bad_template;
  bad_template.target_label = "-a$1";
  RuleSpec lower = Spec(Action::kLowercase);
  lower.target_label = "x";
  lower.replacement = "y";
  RuleSpec keepequal_regex = Spec(Action::kKeepEqual);
  keepequal_regex.target_label = "x";
  keepequal_regex.regex_set = true;
  RuleSpec keepequal_sep = Spec(Action::kKeepEqual);
  keepequal_sep.target_label = "x";
  keepequal_sep.separator = ",";
  RuleSpec labelmap = Spec(Action::kLabelMap);
  labelmap.replacement = "a-b";
  RuleSpec labeldrop = Spec(Action::kLabelDrop);
  labeldrop.source_labels_set = true;
  RuleSpec labelkeep = Spec(Action::kLabelKeep);
  labelkeep.modulus = 1;
  RuleSpec bad_regex;
  bad_regex.target_label = "x";
  bad_regex.regex = "(";
  RuleSpec bad_source;
  bad_source.target_label = "x";
  bad_source.source_labels = {"a-b"};

  const std::vector<ErrorCase> cases = {
      {"hashmod modulus", hashmod,
       "relabel configuration for hashmod requires non-zero modulus"},
      {"hashmod template target", hashmod_template,
       "\"$1\" is invalid 'target_label' for hashmod action"},
      {"replace needs target", Spec(Action::kReplace),
       "relabel configuration for replace action requires 'target_label' "
       "value"},
      {"dropequal needs target", Spec(Action::kDropEqual),
       "relabel configuration for dropequal action requires 'target_label' "
       "value"},
      {"invalid target", bad_target,
       "\"a-b\" is invalid 'target_label' for replace action"},
      {"invalid template", bad_template,
       "\"-a$1\" is invalid 'target_label' for replace action"},
      {"lowercase replacement", lower,
       "'replacement' can not be set for lowercase action"},
      {"keepequal regex", keepequal_regex,
       "keepequal action requires only 'source_labels' and `target_label`, "
       "and no other fields"},
      {"keepequal separator", keepequal_sep,
       "keepequal action requires only 'source_labels'"},
      {"labelmap replacement", labelmap,
       "\"a-b\" is invalid 'replacement' for labelmap action"},
      {"labeldrop source labels", labeldrop,
       "labeldrop action requires only 'regex', and no other fields"},
      {"labelkeep modulus", labelkeep,
       "labelkeep action requires only 'regex', and no other fields"},
      {"bad regex", bad_regex, "error parsing regexp \"(\": missing )"},
      {"bad source label", bad_source, "\"a-b\" is not a valid label name"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(Rule::Create(c.spec),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(c.error)));
  }
}

TEST(RuleTest, ValidTargetTemplates) {
  for (const char* t : {"label${1}", "${1}", "$1", "asd$2asd", "_${1}_",
                        "foo${bar}foo"}) {
    SCOPED_TRACE(t);
    RuleSpec s;
    s.target_label = t;
    EXPECT_TRUE(Rule::Create(s).ok());
  }
  for (const char* t : {"-label", "${", "$", "${}", "foo${", "-foo${1}bar-",
                        "bar.foo${1}bar"}) {
    SCOPED_TRACE(t);
    RuleSpec s;
    s.target_label = t;
    EXPECT_FALSE(Rule::Create(s).ok());
  }
}

TEST(CompileRulesTest, ErrorNamesTheFailingEntry) {
  RuleSpec ok;
  ok.target_label = "a";
  RuleSpec bad;
  bad.target_label = "b";
  bad.regex = "(unclosed";
  EXPECT_THAT(CompileRules({ok, bad}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("relabel_configs[1]: error parsing regexp")));
}

TEST(ActionTest, ParseIsCaseInsensitive) {
  EXPECT_EQ(*ParseAction("LabelMap"), Action::kLabelMap);
  EXPECT_EQ(*ParseAction("keepequal"), Action::kKeepEqual);
  EXPECT_THAT(ParseAction("foo"), StatusIs(absl::StatusCode::kInvalidArgument,
                                           "unknown relabel action \"foo\""));
  EXPECT_THAT(ParseAction(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                        "unknown relabel action \"\""));
}

TEST(ExpandTest, GoSemantics) {
  re2::RE2 re("(?P<first>a)(b)?(c)");
  const re2::StringPiece groups[] = {"ac", "a", re2::StringPiece(), "c"};
  struct Case {
    const char* tmpl;
    const char* want;
  } const cases[] = {
      {"$1", "a"},          {"${1}x", "ax"},       {"$1x", ""},
      {"$$1", "$1"},        {"$2", ""},            {"$3", "c"},
      {"${first}", "a"},    {"$first-", "a-"},     {"$9", ""},
      {"$", "$"},           {"${", "${"},          {"${}", "${}"},
      {"$-", "$-"},         {"${1", "${1"},        {"$01", ""},
      {"plain", "plain"},   {"$0", "ac"},          {"a$1b$3c", "a"}, {"a${1}b${3}c", "aabcc"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.tmpl);
    std::string out;
    ExpandTemplate(c.tmpl, re, groups, &out);
    EXPECT_EQ(out, c.want);
  }
}

TEST(CaseMappingTest, MatchesGoForCommonScripts) {
  EXPECT_EQ(ToLower("AbC-123"), "abc-123");
  EXPECT_EQ(ToUpper("AbC-123"), "ABC-123");
  EXPECT_EQ(ToLower("ÀÉÎÕÜ×Ÿ"), "àéîõü×ÿ");
  EXPECT_EQ(ToUpper("àéîõü÷ÿµ"), "ÀÉÎÕÜ÷ŸΜ");
  EXPECT_EQ(ToLower("ĀĂĹŁŊŽİ"), "āăĺłŋži");
  EXPECT_EQ(ToUpper("āăĺłŋžıſ"), "ĀĂĹŁŊŽIS");
  EXPECT_EQ(ToLower("ΑΒΓΣ"), "αβγσ");
  EXPECT_EQ(ToUpper("αβγσς"), "ΑΒΓΣΣ");
  EXPECT_EQ(ToLower("ПРИВЕТ ЁЖ"), "привет ёж");
  EXPECT_EQ(ToUpper("привет ёж"), "ПРИВЕТ ЁЖ");
  EXPECT_EQ(ToUpper("日本"), "日本");
  // An invalid byte becomes U+FFFD.
  EXPECT_EQ(ToLower("a\xff" "B"), "a\xef\xbf\xbd" "b");
}

TEST(Md5Test, ReferenceVectors) {
  auto hex = [](const std::array<uint8_t, 16>& d) {
    std::string s;
    for (uint8_t b : d) {
      static const char* k = "0123456789abcdef";
      s.push_back(k[b >> 4]);
      s.push_back(k[b & 15]);
    }
    return s;
  };
  EXPECT_EQ(hex(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex(Md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex(Md5("The quick brown fox jumps over the lazy dog")),
            "9e107d9d372bb6826bd81d3542a419d6");
  EXPECT_EQ(hex(Md5(std::string(64, 'a'))), "014842d480b571495a4a0363793f7367");
  EXPECT_EQ(HashMod("baz", 1000), 976u);
  EXPECT_EQ(HashMod("foo\nbar", 1000), 734u);
  EXPECT_EQ(HashMod("", 1000), 958u);
  EXPECT_EQ(HashMod("a;b", 1000), 74u);
}

}  // namespace
}  // namespace promscrape::relabel
