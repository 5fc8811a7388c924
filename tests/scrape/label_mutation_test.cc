#include "plugin/scrape/label_mutation.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/model/builder.h"
#include "plugin/model/labels.h"
#include "plugin/relabel/rule.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::scrape {
namespace {

using ::promscrape::testing::IsOk;
using ::promscrape::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;

std::vector<model::LabelView> Scraped(
    std::initializer_list<std::pair<std::string_view, std::string_view>> l) {
  std::vector<model::LabelView> out;
  for (const auto& [n, v] : l) out.push_back({n, v});
  return out;
}

TEST(SampleLabelMutatorTest, ConflictsResolveShortestNameFirst) {
  const model::CompactLabels target(
      model::Labels::Of({{"a", "t"}, {"exported_a", "t2"}, {"bb", "t3"}}));
  SampleLabelMutator m(&target, /*honor_labels=*/false, nullptr);
  model::Builder b;
  ASSERT_TRUE(m.Mutate(Scraped({{"__name__", "m"},
                                {"a", "1"},
                                {"bb", "2"},
                                {"exported_a", "3"}}),
                       &b));
  EXPECT_EQ(b.Build().ToString(),
            "{__name__=\"m\", a=\"t\", bb=\"t3\", exported_a=\"t2\", "
            "exported_bb=\"2\", exported_exported_a=\"1\", "
            "exported_exported_exported_a=\"3\"}");
}

TEST(SampleLabelMutatorTest, RelabelDropAndEmptyResult) {
  relabel::RuleSpec drop_all;
  drop_all.action = relabel::Action::kLabelDrop;
  drop_all.regex = ".*";
  drop_all.regex_set = true;
  std::vector<relabel::Rule> rules = {*relabel::Rule::Create(drop_all)};
  const model::CompactLabels target(model::Labels::Of({{"job", "j"}}));
  SampleLabelMutator m(&target, false, &rules);
  model::Builder b;
  EXPECT_FALSE(m.Mutate(Scraped({{"__name__", "m"}}), &b));
}

TEST(CheckLabelLimitsTest, TruncatesMultibyteValuesByRunes) {
  // 60 two-byte runes in a label value: %.50q keeps 50 runes (100 bytes).
  std::string value;
  for (int i = 0; i < 60; ++i) value += "\xc3\xa9";  // é
  std::vector<model::Label> lset = {{"__name__", "m"}, {"l", value}};
  std::string want_value;
  for (int i = 0; i < 50; ++i) want_value += "\xc3\xa9";
  EXPECT_THAT(CheckLabelLimits(lset, {0, 0, 10}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("label_value_length_limit exceeded (metric: m, "
                          "label name: l, value: \"" +
                          want_value + "\", length: 120, limit: 10)")));
}

TEST(ValidateSeriesLabelsTest, InvalidUtf8Value) {
  std::vector<model::Label> lset = {{"__name__", "m"}, {"l", "\xff"}};
  EXPECT_THAT(ValidateSeriesLabels(lset),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("invalid metric name or label names: ")));
}

TEST(ValidateSeriesLabelsTest, ValidSetPasses) {
  std::vector<model::Label> lset = {{"__name__", "m:x"}, {"l", "v"}};
  EXPECT_THAT(ValidateSeriesLabels(lset), IsOk());
  EXPECT_THAT(CheckLabelLimits(lset, {2, 8, 3}), IsOk());
}

TEST(CheckDuplicateLabelNamesTest, AdjacentRepeatsAreRejected) {
  EXPECT_THAT(CheckDuplicateLabelNames(
                  Scraped({{"__name__", "m"}, {"le", "1"}, {"le", "2"}})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("label name \"le\" is not unique: invalid sample")));
  EXPECT_THAT(CheckDuplicateLabelNames(Scraped({{"__name__", "m"}, {"le", "1"}})),
              IsOk());
}

}  // namespace
}  // namespace promscrape::scrape
