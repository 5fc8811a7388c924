#include "plugin/cluster/assignment.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace promscrape::cluster {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Members(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(absl::StrCat("member-", i));
  return out;
}

std::vector<uint64_t> Targets(int n) {
  std::vector<uint64_t> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(TargetKeyHash("node", "http", absl::StrCat("10.0.0.", i, ":9100"),
                                "/metrics"));
  }
  return out;
}

TEST(StableHashTest, IsFixedAcrossBuilds) {
  // Members of different builds must agree: the value is pinned.
  EXPECT_NE(StableHash("a"), StableHash("b"));
  EXPECT_NE(TargetKeyHash("ab", "", "c", ""), TargetKeyHash("a", "", "bc", ""));
  EXPECT_EQ(StableHash("member-0"), 0x90da7b584083cdc5ULL);
}

TEST(AssignmentTest, NoMembersOwnNothing) {
  std::vector<uint64_t> targets = Targets(10);
  Assignment a = Assignment::Compute({}, targets, {});
  EXPECT_THAT(a.owners(3), IsEmpty());
}

TEST(AssignmentTest, EveryTargetHasOneOwnerAndOrderOfMembersDoesNotMatter) {
  std::vector<uint64_t> targets = Targets(1000);
  std::vector<std::string> members = Members(7);
  Assignment a = Assignment::Compute(members, targets, {});
  std::reverse(members.begin(), members.end());
  Assignment b = Assignment::Compute(members, targets, {});
  for (size_t i = 0; i < targets.size(); ++i) {
    ASSERT_EQ(a.owners(i).size(), 1u);
    EXPECT_EQ(a.members()[a.owners(i)[0]], b.members()[b.owners(i)[0]]);
  }
}

TEST(AssignmentTest, LoadStaysWithinTheBound) {
  std::vector<uint64_t> targets = Targets(30);
  Assignment a = Assignment::Compute(Members(3), targets, {});
  for (int64_t load : a.Loads()) EXPECT_LE(load, 11);  // ceil(1.05 * 10)
}

TEST(AssignmentTest, ReplicasAreDistinctMembers) {
  std::vector<uint64_t> targets = Targets(500);
  Assignment a = Assignment::Compute(Members(5), targets,
                                     {.replication_factor = 2});
  for (size_t i = 0; i < targets.size(); ++i) {
    ASSERT_EQ(a.owners(i).size(), 2u);
    EXPECT_NE(a.owners(i)[0], a.owners(i)[1]);
  }
}

TEST(AssignmentTest, ReplicasStayDistinctWhenTheBoundBinds) {
  // 3 members, 2 replicas: the bound (21 each) can leave only members that
  // already hold a replica of the last targets; owners stay distinct.
  for (int n = 1; n <= 60; ++n) {
    std::vector<uint64_t> targets = Targets(n);
    Assignment a = Assignment::Compute({"r0", "r1", "r2"}, targets,
                                       {.replication_factor = 2});
    for (size_t i = 0; i < targets.size(); ++i) {
      ASSERT_EQ(a.owners(i).size(), 2u);
      ASSERT_LT(a.owners(i)[0], 3u);
      ASSERT_LT(a.owners(i)[1], 3u);
      ASSERT_NE(a.owners(i)[0], a.owners(i)[1]) << n << " targets";
    }
  }
}

TEST(AssignmentTest, ReplicationIsCappedAtTheMemberCount) {
  std::vector<uint64_t> targets = Targets(5);
  Assignment a = Assignment::Compute(Members(2), targets,
                                     {.replication_factor = 3});
  EXPECT_EQ(a.replicas(), 2);
  EXPECT_THAT(a.Loads(), ElementsAre(5, 5));
}

TEST(AssignmentTest, LeavingMemberMovesOnlyItsTargetsMostly) {
  std::vector<uint64_t> targets = Targets(20000);
  std::vector<std::string> members = Members(10);
  Assignment before = Assignment::Compute(members, targets, {});
  members.pop_back();
  Assignment after = Assignment::Compute(members, targets, {});
  int moved = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    moved += before.members()[before.owners(i)[0]] !=
             after.members()[after.owners(i)[0]];
  }
  EXPECT_LE(moved, 20000 * 1.1 / 10);
}

TEST(AssignmentTest, IndexOfFindsMembers) {
  Assignment a = Assignment::Compute({"b", "a"}, Targets(1), {});
  EXPECT_EQ(a.IndexOf("a"), 0);
  EXPECT_EQ(a.IndexOf("b"), 1);
  EXPECT_EQ(a.IndexOf("c"), -1);
}

}  // namespace
}  // namespace promscrape::cluster
