#include "plugin/scrape/series_cache.h"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "plugin/common/fingerprint.h"
#include "plugin/model/label_set_pool.h"
#include "plugin/model/labels.h"
#include "plugin/model/metadata.h"
#include "plugin/scrape/metadata_pool.h"

namespace promscrape::scrape {
namespace {

using model::Label;

model::Labels Target(const std::string& instance) {
  return model::Labels::Of({{"instance", instance}, {"job", "node"}});
}

// The final labels of series `i` on a target with `instance`.
std::vector<Label> Series(int i, const std::string& instance) {
  return {{"__name__", "node_cpu_seconds_total"},
          {"cpu", absl::StrCat(i)},
          {"instance", instance},
          {"job", "node"}};
}

std::string Text(const model::SeriesLabels& labels) {
  std::string out;
  for (const model::LabelView l : labels) {
    absl::StrAppend(&out, l.name, "=", l.value, ";");
  }
  return out;
}

Fingerprint Key(const std::string& raw) { return Fingerprint::Of(raw); }

// Adds series `i` under raw key `raw` as a scrape's miss path does.
SeriesState* AddSeries(SeriesCache& cache, const std::string& raw, int i,
                       const std::string& instance) {
  PreparedSeries p;
  cache.Prepare(Series(i, instance), &p);
  return cache.Add(Key(raw), p);
}

TEST(SeriesCacheTest, TargetsWithTheSameSeriesShareOneLabelCopy) {
  model::LabelSetPool pool;
  {
    SeriesCache a(Target("host-a:9100"), &pool);
    SeriesCache b(Target("host-b:9100"), &pool);
    for (int i = 0; i < 10; ++i) {
      AddSeries(a, absl::StrCat("cpu", i), i, "host-a:9100");
      AddSeries(b, absl::StrCat("cpu", i), i, "host-b:9100");
    }
    EXPECT_EQ(pool.size(), 10u);  // not 20
    bool seen = false;
    const SeriesState* sa = a.Get(Key("cpu3"), &seen);
    const SeriesState* sb = b.Get(Key("cpu3"), &seen);
    ASSERT_NE(sa, nullptr);
    ASSERT_NE(sb, nullptr);
    EXPECT_EQ(sa->own, sb->own);
    // Each still reads its own whole label set.
    EXPECT_EQ(Text(a.LabelsOf(*sa)),
              "__name__=node_cpu_seconds_total;cpu=3;instance=host-a:9100;"
              "job=node;");
    EXPECT_EQ(Text(b.LabelsOf(*sb)),
              "__name__=node_cpu_seconds_total;cpu=3;instance=host-b:9100;"
              "job=node;");
  }
  EXPECT_EQ(pool.size(), 0u);  // both caches released their references
}

TEST(SeriesCacheTest, EvictionReleasesAndChurnReusesSlots) {
  model::LabelSetPool pool;
  SeriesCache cache(Target("h:1"), &pool);
  // Scrape n sees series n .. n+9: one series replaced per scrape.
  for (int scrape = 0; scrape < 50; ++scrape) {
    for (int i = scrape; i < scrape + 10; ++i) {
      bool seen = false;
      if (cache.Get(Key(absl::StrCat("s", i)), &seen) == nullptr) {
        AddSeries(cache, absl::StrCat("s", i), i, "h:1");
      }
    }
    cache.IterDone(/*flush=*/true);
    EXPECT_EQ(cache.states_size(), 10u);
    EXPECT_EQ(pool.size(), 10u);
    // The slot freed by the series that left is reused by the one that came.
    EXPECT_LE(cache.slots_for_test(), 11u);
  }
}

TEST(SeriesCacheTest, AScrapeThatGrewTheArrayLeavesNoSpareSlots) {
  model::LabelSetPool pool;
  SeriesCache cache(Target("h:1"), &pool);
  auto scrape = [&](int first, int last) {
    bool seen = false;
    for (int i = first; i < last; ++i) {
      if (cache.Get(Key(absl::StrCat("s", i)), &seen) == nullptr) {
        AddSeries(cache, absl::StrCat("s", i), i, "h:1");
      }
    }
    cache.IterDone(/*flush=*/true);
  };
  // Growing by eighths leaves room mid-scrape; the scrape's end gives it
  // back (most targets' sets never grow again).
  scrape(0, 100);
  EXPECT_EQ(cache.slots_for_test(), 100u);
  EXPECT_EQ(cache.slot_capacity_for_test(), 100u);
  scrape(0, 101);
  EXPECT_EQ(cache.slot_capacity_for_test(), 101u);
  // Churn: the series that left frees its slot at the scrape's end (the
  // newcomer took a new one), and the next newcomer takes the freed slot
  // without growing the array.
  scrape(1, 102);
  EXPECT_EQ(cache.states_size(), 101u);
  EXPECT_EQ(cache.slot_capacity_for_test(), 102u);
  for (int i = 2; i < 10; ++i) {
    scrape(i, i + 101);
    EXPECT_EQ(cache.states_size(), 101u);
    EXPECT_EQ(cache.slot_capacity_for_test(), 102u);
  }
}

TEST(SeriesCacheTest, LabelLookupsAcrossScrapesAndInterleavedTargets) {
  // The by-labels index is per thread, built for one cache and iteration:
  // lookups must see the right cache's states whatever ran before them.
  model::LabelSetPool pool;
  SeriesCache a(Target("h:1"), &pool);
  SeriesCache b(Target("h:2"), &pool);
  bool seen = false;
  for (int i = 0; i < 30; ++i) {
    AddSeries(a, absl::StrCat("a", i), i, "h:1");
    AddSeries(b, absl::StrCat("b", i), i, "h:2");
  }
  a.IterDone(/*flush=*/true);
  b.IterDone(/*flush=*/true);
  // Next scrape, interleaved: a second spelling of a series in each.
  for (int i = 0; i < 30; ++i) {
    a.TrackStaleness(a.Get(Key(absl::StrCat("a", i)), &seen));
    b.TrackStaleness(b.Get(Key(absl::StrCat("b", i)), &seen));
  }
  SeriesState* a7 = a.Get(Key("a7"), &seen);
  SeriesState* b7 = b.Get(Key("b7"), &seen);
  EXPECT_EQ(AddSeries(a, "a7-other", 7, "h:1"), a7);
  EXPECT_EQ(AddSeries(b, "b7-other", 7, "h:2"), b7);
  EXPECT_EQ(AddSeries(a, "a8-other", 8, "h:1"), a.Get(Key("a8"), &seen));
  // A new series in one is not found in the other.
  SeriesState* a40 = AddSeries(a, "a40", 40, "h:1");
  PreparedSeries p;
  b.Prepare(Series(40, "h:2"), &p);
  EXPECT_EQ(b.FindSeries(p), nullptr);
  a.Prepare(Series(40, "h:1"), &p);
  EXPECT_EQ(a.FindSeries(p), a40);
  EXPECT_EQ(a.states_size(), 31u);
  EXPECT_EQ(b.states_size(), 30u);
  a.IterDone(/*flush=*/true);
  b.IterDone(/*flush=*/true);

  // After an eviction (and a compaction) a lookup finds the moved states
  // and not the evicted ones.
  for (int round = 0; round < 2; ++round) {
    for (int i = 25; i < 30; ++i) {
      a.TrackStaleness(a.Get(Key(absl::StrCat("a", i)), &seen));
    }
    a.IterDone(/*flush=*/true);
  }
  EXPECT_EQ(a.states_size(), 5u);
  a.Prepare(Series(3, "h:1"), &p);
  EXPECT_EQ(a.FindSeries(p), nullptr);
  a.Prepare(Series(27, "h:1"), &p);
  EXPECT_EQ(a.FindSeries(p), a.Get(Key("a27"), &seen));
  // And from another thread (its own index).
  std::thread other([&] {
    PreparedSeries q;
    a.Prepare(Series(28, "h:1"), &q);
    EXPECT_EQ(a.FindSeries(q), a.Get(Key("a28"), &seen));
  });
  other.join();
}

TEST(SeriesCacheTest, ShrinkingCompactsAndKeepsAliasesAndStaleness) {
  model::LabelSetPool pool;
  SeriesCache cache(Target("h:1"), &pool);
  bool seen = false;
  for (int i = 0; i < 200; ++i) {
    AddSeries(cache, absl::StrCat("s", i), i, "h:1");
  }
  // Series 190 also under a second spelling.
  // (A SeriesState* lives only until the next IterDone: keep its labels.)
  const model::LabelSetPool::Entry* const alias_own =
      AddSeries(cache, "s190-other-spelling", 190, "h:1")->own;
  for (int i = 0; i < 200; ++i) {
    cache.TrackStaleness(cache.Get(Key(absl::StrCat("s", i)), &seen));
  }
  cache.IterDone(/*flush=*/true);
  EXPECT_EQ(cache.slots_for_test(), 200u);

  // Next scrape: only series 190..199 (190 only under its other spelling).
  for (int i = 191; i < 200; ++i) {
    cache.TrackStaleness(cache.Get(Key(absl::StrCat("s", i)), &seen));
  }
  SeriesState* again = cache.Get(Key("s190-other-spelling"), &seen);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->own, alias_own);
  cache.TrackStaleness(again);
  std::vector<std::string> stale;
  cache.ForEachStale(
      [&](const model::SeriesLabels& l) { stale.push_back(Text(l)); });
  EXPECT_EQ(stale.size(), 190u);
  cache.IterDone(/*flush=*/true);

  // The 190 gone series are freed and the array compacted.
  EXPECT_EQ(cache.states_size(), 10u);
  EXPECT_EQ(cache.slots_for_test(), 10u);
  EXPECT_EQ(pool.size(), 10u);
  // Both spellings of 190 still find its state; every survivor its labels.
  const SeriesState* by_alias = cache.Get(Key("s190-other-spelling"), &seen);
  const SeriesState* by_key = cache.Get(Key("s190"), &seen);
  ASSERT_NE(by_alias, nullptr);
  EXPECT_EQ(by_alias, by_key);
  for (int i = 190; i < 200; ++i) {
    const SeriesState* s = cache.Get(Key(absl::StrCat("s", i)), &seen);
    ASSERT_NE(s, nullptr) << i;
    EXPECT_EQ(Text(cache.LabelsOf(*s)),
              absl::StrCat("__name__=node_cpu_seconds_total;cpu=", i,
                           ";instance=h:1;job=node;"));
    PreparedSeries p;
    cache.Prepare(Series(i, "h:1"), &p);
    EXPECT_EQ(cache.FindSeries(p), s);
  }
  EXPECT_EQ(cache.Get(Key("s5"), &seen), nullptr);
  // New series after compaction.
  AddSeries(cache, "s500", 500, "h:1");
  EXPECT_NE(cache.Get(Key("s500"), &seen), nullptr);
}

// Iteration stamps are 15 bits: a long run of failed scrapes (no flush)
// must not wrap a stamp into "seen in this scrape".
TEST(SeriesCacheTest, StampsDoNotWrapIntoFalseMatches) {
  model::LabelSetPool pool;
  SeriesCache cache(Target("h:1"), &pool);
  AddSeries(cache, "s", 1, "h:1");  // key seen in iteration 0
  bool seen = false;
  for (int round = 1; round <= 2; ++round) {
    // 2^15 iterations on: the same low 15 bits as when the key was seen.
    for (int i = 0; i < 32768; ++i) cache.IterDone(/*flush=*/false);
    ASSERT_EQ(cache.iter(), 32768 * round);
    ASSERT_NE(cache.Get(Key("s"), &seen), nullptr);
    EXPECT_FALSE(seen) << "round " << round;
  }
}

TEST(SeriesCacheTest, AppendTimesKeptOnlyWhenTheyCanDifferFromTheScrape) {
  model::LabelSetPool pool;
  SeriesCache cache(Target("h:1"), &pool);
  SeriesState* a = AddSeries(cache, "a", 1, "h:1");
  cache.BeginIteration(1000);
  cache.SetAppended(a, 1000, /*explicit_time=*/false);
  EXPECT_EQ(cache.AppendedMs(*a), 1000);
  SeriesState* b = AddSeries(cache, "b", 2, "h:1");
  bool unused = false;
  a = cache.Get(Key("a"), &unused);
  // An exposed timestamp: from now on each series has its own time.
  cache.SetAppended(b, 900, /*explicit_time=*/true);
  EXPECT_EQ(cache.AppendedMs(*b), 900);
  EXPECT_EQ(cache.AppendedMs(*a), 1000);
  cache.IterDone(/*flush=*/true);
  cache.BeginIteration(2000);
  bool seen = false;
  a = cache.Get(Key("a"), &seen);
  cache.SetAppended(a, 2000, false);
  EXPECT_EQ(cache.AppendedMs(*a), 2000);
  b = cache.Get(Key("b"), &seen);
  EXPECT_EQ(cache.AppendedMs(*b), 900);  // kept across iterations now
}

TEST(SeriesCacheTest, KeepAppendTimesAcrossIterations) {
  model::LabelSetPool pool;
  SeriesCache cache(Target("h:1"), &pool);
  cache.KeepAppendTimes();
  SeriesState* a = AddSeries(cache, "a", 1, "h:1");
  EXPECT_EQ(cache.AppendedMs(*a), 0);  // never appended
  cache.BeginIteration(1000);
  cache.SetAppended(a, 1000, false);
  cache.IterDone(/*flush=*/true);
  cache.BeginIteration(2000);
  bool seen = false;
  a = cache.Get(Key("a"), &seen);
  EXPECT_EQ(cache.AppendedMs(*a), 1000);
  // Growth and compaction carry the times along.
  for (int i = 0; i < 300; ++i) {
    SeriesState* s = AddSeries(cache, absl::StrCat("n", i), 10 + i, "h:1");
    cache.SetAppended(s, 2000 + i, false);
  }
  a = cache.Get(Key("a"), &seen);
  cache.SetAppended(a, 2000, false);
  cache.IterDone(/*flush=*/true);
  cache.BeginIteration(3000);
  a = cache.Get(Key("a"), &seen);
  SeriesState* n = cache.Get(Key("n299"), &seen);
  cache.IterDone(/*flush=*/true);  // everything but a and n299 goes
  EXPECT_EQ(cache.slots_for_test(), 2u);
  a = cache.Get(Key("a"), &seen);
  n = cache.Get(Key("n299"), &seen);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(cache.AppendedMs(*a), 2000);
  EXPECT_EQ(cache.AppendedMs(*n), 2299);
}

TEST(SeriesCacheTest, SeriesWithoutTheTargetLabelsAreNotShared) {
  model::LabelSetPool pool;
  SeriesCache a(Target("host-a:9100"), &pool);
  SeriesCache b(Target("host-b:9100"), &pool);
  // honor_labels kept the exposed instance: the series does not carry the
  // target's labels, so its whole set is its own.
  PreparedSeries p;
  a.Prepare(Series(1, "exported:1"), &p);
  EXPECT_FALSE(p.shares);
  const SeriesState* sa = a.Add(Key("x"), p);
  b.Prepare(Series(1, "exported:1"), &p);
  const SeriesState* sb = b.Add(Key("x"), p);
  EXPECT_EQ(sa->own, sb->own);  // the same bytes: one copy still
  EXPECT_EQ(Text(a.LabelsOf(*sa)),
            "__name__=node_cpu_seconds_total;cpu=1;instance=exported:1;"
            "job=node;");
}

}  // namespace
}  // namespace promscrape::scrape

namespace promscrape::scrape {
namespace {

std::string MetaText(const SeriesCache& cache) {
  std::vector<std::string> out;
  cache.ForEachMetadata([&](const std::string& name, const MetaEntry& e) {
    out.push_back(absl::StrCat(name, "|", std::string(model::MetricTypeName(e.type)), "|",
                               e.help, "|", e.unit));
  });
  std::sort(out.begin(), out.end());
  return absl::StrJoin(out, "\n");
}

TEST(SeriesCacheTest, TargetsShareMetadataEntriesAndChangesRepoint) {
  model::LabelSetPool labels;
  MetadataPool pool;
  {
    SeriesCache a(Target("a:1"), &labels, &pool);
    SeriesCache b(Target("b:1"), &labels, &pool);
    for (SeriesCache* c : {&a, &b}) {
      c->SetHelp("node_cpu_seconds_total", "Seconds the CPUs spent.");
      c->SetType("node_cpu_seconds_total", model::MetricType::kCounter);
      c->SetType("node_load1", model::MetricType::kGauge);
      c->SetUnit("node_load1", "load");
    }
    EXPECT_EQ(pool.size(), 2u);
    EXPECT_EQ(MetaText(a),
              "node_cpu_seconds_total|counter|Seconds the CPUs spent.|\n"
              "node_load1|gauge||load");
    // One target's help text changes: only its entry moves.
    a.SetHelp("node_load1", "1m load average.");
    EXPECT_EQ(pool.size(), 3u);
    EXPECT_EQ(MetaText(a),
              "node_cpu_seconds_total|counter|Seconds the CPUs spent.|\n"
              "node_load1|gauge|1m load average.|load");
    EXPECT_EQ(MetaText(b),
              "node_cpu_seconds_total|counter|Seconds the CPUs spent.|\n"
              "node_load1|gauge||load");
    // Unseen for more than 10 successful scrapes: dropped and released.
    for (int i = 0; i < 12; ++i) {
      a.SetType("node_load1", model::MetricType::kGauge);
      a.IterDone(/*flush=*/true);
    }
    EXPECT_EQ(MetaText(a), "node_load1|gauge|1m load average.|load");
  }
  EXPECT_EQ(pool.size(), 0u);
}

}  // namespace
}  // namespace promscrape::scrape
