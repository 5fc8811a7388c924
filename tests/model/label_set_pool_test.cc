#include "plugin/model/label_set_pool.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace promscrape::model {
namespace {

const LabelSetPool::Entry* Intern(LabelSetPool& pool, const std::string& s) {
  return pool.Intern(s, LabelSetPool::HashOf(s));
}

TEST(LabelSetPoolTest, EqualBytesShareOneEntryUntilTheLastRelease) {
  LabelSetPool pool;
  const LabelSetPool::Entry* a = Intern(pool, "cpu0idle");
  const LabelSetPool::Entry* b = Intern(pool, std::string("cpu0idle"));
  const LabelSetPool::Entry* c = Intern(pool, "cpu0user");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(a->bytes(), "cpu0idle");
  EXPECT_EQ(a->hash(), LabelSetPool::HashOf("cpu0idle"));
  EXPECT_EQ(pool.size(), 2u);
  pool.Release(a);
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(b->bytes(), "cpu0idle");  // still held once
  pool.Release(b);
  EXPECT_EQ(pool.size(), 1u);
  // Interned again after its last release: a new entry with the same bytes.
  const LabelSetPool::Entry* d = Intern(pool, "cpu0idle");
  EXPECT_EQ(d->bytes(), "cpu0idle");
  pool.Release(c);
  pool.Release(d);
  EXPECT_EQ(pool.size(), 0u);
}

TEST(LabelSetPoolTest, EmptyAndBinaryBytes) {
  LabelSetPool pool;
  const LabelSetPool::Entry* empty = Intern(pool, "");
  EXPECT_EQ(empty->bytes(), "");
  const std::string nul("a\0b", 3);
  const LabelSetPool::Entry* bin = Intern(pool, nul);
  EXPECT_EQ(bin->bytes(), nul);
  EXPECT_NE(bin, Intern(pool, "a"));
  EXPECT_EQ(pool.size(), 3u);
}

// Many threads intern and release overlapping sets (as scrape loops on
// several workers do on their miss and eviction paths); the counts balance
// and every entry read holds its bytes. Run under TSAN in CI.
TEST(LabelSetPoolTest, ConcurrentInternAndRelease) {
  LabelSetPool pool;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&pool, t] {
      for (int round = 0; round < 200; ++round) {
        std::vector<const LabelSetPool::Entry*> held;
        for (int i = 0; i < 50; ++i) {
          const std::string s = absl::StrCat("series", (i + t * 7) % 60);
          held.push_back(Intern(pool, s));
          ASSERT_EQ(held.back()->bytes(), s);
        }
        for (const LabelSetPool::Entry* e : held) pool.Release(e);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(pool.size(), 0u);
}

}  // namespace
}  // namespace promscrape::model
