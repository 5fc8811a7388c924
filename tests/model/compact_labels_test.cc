#include "plugin/model/compact_labels.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/model/labels.h"

namespace promscrape::model {
namespace {

std::vector<std::pair<std::string, std::string>> Pairs(
    const CompactLabels& c) {
  std::vector<std::pair<std::string, std::string>> out;
  for (LabelView l : c) out.emplace_back(l.name, l.value);
  return out;
}

TEST(CompactLabelsTest, EmptySetAllocatesNothing) {
  CompactLabels c{Labels()};
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(c.ByteSize(), 0u);
  EXPECT_EQ(c.begin(), c.end());
  EXPECT_EQ(c.Hash(), Labels().Hash());
  EXPECT_TRUE(c == Labels());
  EXPECT_EQ(sizeof(CompactLabels), sizeof(void*));
}

TEST(CompactLabelsTest, RoundTripsInOrderWithHashAndLookups) {
  const Labels l = Labels::Of({{"__name__", "node_cpu_seconds_total"},
                               {"cpu", "0"},
                               {"empty", ""},
                               {"instance", "127.0.0.1:9100"},
                               {"job", "node"}});
  CompactLabels c(l);
  EXPECT_EQ(c.size(), 5u);
  EXPECT_EQ(Pairs(c), l.pairs());
  EXPECT_EQ(c.ToLabels(), l);
  EXPECT_EQ(c.Hash(), l.Hash());
  EXPECT_EQ(c.Get("job"), "node");
  EXPECT_EQ(c.Get("missing"), "");
  EXPECT_EQ(c.ToString(), l.ToString());
  EXPECT_TRUE(c == l);
  // One block: header, then a length byte per name and value.
  size_t bytes = 4;
  for (const Label& x : l) bytes += 2 + x.name.size() + x.value.size();
  EXPECT_EQ(c.ByteSize(), bytes);
}

TEST(CompactLabelsTest, LongValuesUseMultiByteLengths) {
  const std::string long_value(300, 'v');
  const std::string longer(70000, 'w');
  const Labels l =
      Labels::Of({{"__name__", "m"}, {"a", long_value}, {"b", longer}});
  CompactLabels c(l);
  EXPECT_EQ(c.ToLabels(), l);
  EXPECT_EQ(c.Get("a"), long_value);
  EXPECT_EQ(c.Get("b"), longer);
  EXPECT_EQ(c.Hash(), l.Hash());
}

TEST(CompactLabelsTest, AppendEncodedBuildsTheSamePayload) {
  // The series cache encodes label by label; the bytes must be exactly
  // the payload of the whole set (it compares and hashes them).
  const Labels set = Labels::Of({{"__name__", "m"},
                                 {"empty", ""},
                                 {"long", std::string(300, 'v')},
                                 {std::string(200, 'n'), "x"}});
  std::string appended;
  for (const Label& l : set) CompactLabels::AppendEncoded(l.name, l.value, &appended);
  EXPECT_EQ(appended, CompactLabels(set).payload());
  std::vector<std::pair<std::string, std::string>> decoded;
  for (auto it = CompactLabels::Iterator(appended.data()),
            end = CompactLabels::Iterator(appended.data() + appended.size());
       it != end; ++it) {
    decoded.emplace_back(std::string((*it).name), std::string((*it).value));
  }
  ASSERT_EQ(decoded.size(), 4u);
  EXPECT_EQ(decoded[2].second, std::string(300, 'v'));
}

TEST(CompactLabelsTest, EqualityAndCopies) {
  const Labels a = Labels::Of({{"__name__", "a"}, {"x", "1"}});
  const Labels b = Labels::Of({{"__name__", "a"}, {"x", "2"}});
  const Labels prefix = Labels::Of({{"__name__", "a"}});
  CompactLabels ca(a);
  CompactLabels copy = ca;
  EXPECT_TRUE(copy == ca);
  EXPECT_TRUE(copy == a);
  EXPECT_FALSE(copy == b);
  EXPECT_FALSE(copy == prefix);
  EXPECT_FALSE(CompactLabels(prefix) == a);
  EXPECT_FALSE(CompactLabels(b) == ca);
  CompactLabels moved = std::move(copy);
  EXPECT_TRUE(moved == a);
  copy = moved;  // Assign back into the moved-from object.
  EXPECT_TRUE(copy == a);
  copy = CompactLabels();
  EXPECT_TRUE(copy.empty());
}

TEST(SeriesLabelsTest, MergesOwnAndSharedInSortedOrder) {
  const Labels own = Labels::Of(
      {{"__name__", "node_cpu_seconds_total"}, {"cpu", "0"}, {"zone", "z"}});
  const Labels shared =
      Labels::Of({{"env", "bench"}, {"instance", "h:1"}, {"job", "node"}});
  CompactLabels own_c(own);
  CompactLabels shared_c(shared);
  SeriesLabels merged(own_c, shared_c);
  const Labels want = Labels::Of({{"__name__", "node_cpu_seconds_total"},
                                  {"cpu", "0"},
                                  {"env", "bench"},
                                  {"instance", "h:1"},
                                  {"job", "node"},
                                  {"zone", "z"}});
  EXPECT_EQ(merged.ToLabels(), want);
  EXPECT_TRUE(merged.Equals(want));
  EXPECT_FALSE(merged.Equals(own));
  EXPECT_EQ(merged.size(), 6u);
  EXPECT_EQ(merged.Get("job"), "node");
  EXPECT_EQ(merged.Get("cpu"), "0");
  EXPECT_EQ(merged.Get("nope"), "");
  std::vector<std::string> names;
  for (LabelView l : merged) names.emplace_back(l.name);
  EXPECT_THAT(names, ::testing::ElementsAre("__name__", "cpu", "env",
                                            "instance", "job", "zone"));
}

TEST(SeriesLabelsTest, MergesNamesSharingPrefixesAndLongLengths) {
  // Names that share a first byte (decided past it), a name that is a
  // prefix of another, bytes above 0x7f, and lengths of two-byte varints.
  const std::string long_value(300, 'v');
  const std::string long_name = "job" + std::string(200, 'x');
  const Labels own = Labels::Of({{"instance_id", long_value},
                                 {"jo", "1"},
                                 {long_name, "2"},
                                 {"\xc3\xa9t\xc3\xa9", "summer"}});
  const Labels shared = Labels::Of(
      {{"instance", "h:1"}, {"job", long_value}, {"\xc3\xa9", "e"}});
  CompactLabels own_c(own);
  CompactLabels shared_c(shared);
  std::vector<Label> all(own.begin(), own.end());
  all.insert(all.end(), shared.begin(), shared.end());
  const Labels want = Labels::FromUnsorted(all);
  EXPECT_EQ(SeriesLabels(own_c, shared_c).ToLabels(), want);
  EXPECT_EQ(SeriesLabels(shared_c, own_c).ToLabels(), want);
  std::vector<std::string> names;
  for (LabelView l : SeriesLabels(own_c, shared_c)) names.emplace_back(l.name);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(names.size(), 7u);
}

// ForEach visits exactly what iterating does, in the same order, for
// every mix of own and shared parts (empty ones, interleaved names, names
// on both sides, long lengths).
TEST(SeriesLabelsTest, ForEachVisitsWhatIterationDoes) {
  const std::string long_value(300, 'v');
  const std::vector<Labels> sets = {
      Labels(),
      Labels::Of({{"a", "1"}}),
      Labels::Of({{"__name__", "up"}, {"cpu", "0"}, {"zone", "z"}}),
      Labels::Of({{"env", "bench"}, {"instance", "h:1"}, {"job", "node"}}),
      Labels::Of({{"instance_id", long_value}, {"jo", "1"}, {"z", ""}}),
      Labels::Of({{"cpu", "shared"}, {"job", long_value}}),
  };
  for (const Labels& own : sets) {
    for (const Labels& shared : sets) {
      const CompactLabels own_c(own), shared_c(shared);
      const SeriesLabels series(own_c, shared_c);
      std::vector<std::pair<std::string, std::string>> iterated, visited;
      for (LabelView l : series) iterated.emplace_back(l.name, l.value);
      series.ForEach([&visited](LabelView l) {
        visited.emplace_back(l.name, l.value);
      });
      EXPECT_EQ(visited, iterated) << own.ToString() << " " << shared.ToString();
    }
  }
}

TEST(SeriesLabelsTest, EitherPartMayBeEmpty) {
  CompactLabels empty;
  CompactLabels a(Labels::Of({{"a", "1"}}));
  EXPECT_EQ(SeriesLabels(a, empty).ToLabels(), Labels::Of({{"a", "1"}}));
  EXPECT_EQ(SeriesLabels(empty, a).ToLabels(), Labels::Of({{"a", "1"}}));
  EXPECT_EQ(SeriesLabels(empty).begin(), SeriesLabels(empty).end());
  EXPECT_TRUE(SeriesLabels(empty, empty).Equals(Labels()));
  SeriesLabels plain = a;  // Implicit from a compact set.
  EXPECT_TRUE(plain.Equals(Labels::Of({{"a", "1"}})));
}

}  // namespace
}  // namespace promscrape::model
