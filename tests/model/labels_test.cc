#include "plugin/common/go_quote.h"
#include "plugin/model/labels.h"
#include "plugin/common/utf8.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/model/builder.h"
#include "plugin/model/hash.h"
#include "plugin/model/names.h"

namespace promscrape::model {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(LabelsTest, FromUnsortedSortsAndLastDuplicateWins) {
  Labels l = Labels::FromUnsorted({{"b", "2"}, {"a", "1"}, {"b", "3"}});
  EXPECT_THAT(l.pairs(), ElementsAre(Pair("a", "1"), Pair("b", "3")));
  EXPECT_EQ(l.Get("b"), "3");
  EXPECT_EQ(l.Get("zz"), "");
  EXPECT_TRUE(l.Has("a"));
  EXPECT_FALSE(l.Has("c"));
}

TEST(LabelsTest, ToStringQuotesLikeGo) {
  EXPECT_EQ(Labels().ToString(), "{}");
  EXPECT_EQ(Labels::Of({{"a", "1"}, {"b", "x\"y\n"}}).ToString(),
            R"({a="1", b="x\"y\n"})");
  EXPECT_EQ(Labels::Of({{"a-b", "\xbd"}}).ToString(), R"({"a-b"="\xbd"})");
  EXPECT_EQ(GoQuote("héllo\t"), "\"héllo\\t\"");
}

TEST(LabelsTest, HashIsXxHashOfNameValueSeparators) {
  // xxHash64 reference vectors.
  EXPECT_EQ(XxHash64(""), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(XxHash64("a"), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(XxHash64("abc"), 0x44BC2CF5AD770999ULL);
  EXPECT_EQ(XxHash64("Nobody inspects the spammish repetition"),
            0xFBCEA83C8A378BF1ULL);
  Labels l = Labels::Of({{"a", "1"}, {"b", "2"}});
  EXPECT_EQ(l.Hash(), XxHash64("a\xff" "1\xff" "b\xff" "2\xff"));
  EXPECT_NE(l.Hash(), Labels::Of({{"a", "1"}, {"b", "3"}}).Hash());
  // The separator keeps ("ab","c") and ("a","bc") apart.
  EXPECT_NE(Labels::Of({{"ab", "c"}}).Hash(), Labels::Of({{"a", "bc"}}).Hash());
}

TEST(LabelsTest, Fnv1a64MatchesReference) {
  Fnv1a64 h;
  EXPECT_EQ(h.Sum(), 0xcbf29ce484222325ULL);
  h.Write("a");
  EXPECT_EQ(h.Sum(), 0xaf63dc4c8601ec8cULL);
}

TEST(BuilderTest, EmptyValueDeletes) {
  Builder b(Labels::Of({{"a", "1"}, {"empty", ""}}));
  EXPECT_THAT(b.Build().pairs(), ElementsAre(Pair("a", "1")));
  b.Set("c", "3");
  b.Set("a", "");
  b.Set("b", "2");
  EXPECT_THAT(b.Build().pairs(), ElementsAre(Pair("b", "2"), Pair("c", "3")));
  b.Del("b");
  b.Del("missing");
  EXPECT_EQ(b.Get("c"), "3");
  EXPECT_FALSE(b.Has("b"));
  EXPECT_THAT(b.Build().pairs(), ElementsAre(Pair("c", "3")));
}

TEST(NamesTest, LabelAndMetricNames) {
  struct Case {
    const char* name;
    bool label;
    bool metric;
  } const cases[] = {
      {"a", true, true},        {"_a1", true, true},   {"A_b", true, true},
      {"", false, false},       {"1a", false, false},  {"a-b", false, false},
      {"a:b", false, true},     {":a", false, true},   {"a.b", false, false},
      {"__name__", true, true}, {"é", false, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(IsValidLabelName(c.name), c.label);
    EXPECT_EQ(IsValidMetricName(c.name), c.metric);
  }
}

TEST(NamesTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("héllo ✓ 𝄞"));
  EXPECT_FALSE(IsValidUtf8("\xbd"));
  EXPECT_FALSE(IsValidUtf8("\xc0\x80"));      // Overlong.
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // Surrogate.
  EXPECT_FALSE(IsValidUtf8("\xe2\x9c"));      // Truncated.
}

}  // namespace
}  // namespace promscrape::model
