#include "plugin/cluster/membership.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/cluster/assignment.h"

namespace promscrape::cluster {
namespace {

TEST(MembershipTest, MemberKeyValueCarriesReadinessForOneMemberSet) {
  EXPECT_EQ(MemberKeyValue("m1", 0), "m1");
  EXPECT_EQ(ReadyOf("m1"), 0u);
  const uint64_t set = MemberSetHash({"m1", "m2"});
  const std::string value = MemberKeyValue("m1", set);
  EXPECT_EQ(value.substr(0, 3), "m1\n");
  EXPECT_EQ(ReadyOf(value), set);
  EXPECT_EQ(ReadyOf(MemberKeyValue("host/127.0.0.1:9901", 1)), 1u);
  // Unreadable readiness is none.
  EXPECT_EQ(ReadyOf("m1\nready=zz"), 0u);
  EXPECT_EQ(ReadyOf("m1\nready="), 0u);
}

TEST(MembershipTest, MemberSetHashIgnoresOrderAndRepeats) {
  EXPECT_EQ(MemberSetHash({"b", "a"}), MemberSetHash({"a", "b", "a"}));
  EXPECT_NE(MemberSetHash({"a", "b"}), MemberSetHash({"a"}));
  EXPECT_NE(MemberSetHash({"ab"}), MemberSetHash({"a", "b"}));
  EXPECT_NE(MemberSetHash({}), 0u);
}

TEST(MembershipTest, MemberSetIdNamesOneChange) {
  const uint64_t at5 = MemberSetId({"a", "b"}, 5);
  EXPECT_EQ(at5, MemberSetId({"b", "a"}, 5));
  EXPECT_NE(at5, MemberSetId({"a", "b"}, 6));
  EXPECT_NE(at5, MemberSetId({"a"}, 5));
  EXPECT_NE(at5, 0u);
}

// A member set that comes back (A, B, A) is a new change: readiness a member
// published for the first A does not count for the second, however late
// its withdrawal reaches the others. (Keyed by MemberSetHash alone, both A
// had the same id.)
TEST(MemberKeysTest, ReturningMemberSetGetsANewId) {
  MemberKeys keys;
  keys.List({{.member = "a", .value = "a", .create_revision = 3},
             {.member = "b", .value = "b", .create_revision = 4}},
            /*revision=*/6);
  const uint64_t first = keys.set_id();
  EXPECT_EQ(first, MemberSetId({"a", "b"}, 4));  // b's key made the set
  // b says it is ready for the first {a, b}: a put, not a change.
  keys.Apply("b", /*put=*/true, MemberKeyValue("b", first), 7);
  EXPECT_EQ(keys.set_id(), first);
  EXPECT_EQ(keys.ready().at("b"), first);

  keys.Apply("c", /*put=*/true, "c", 8);  // B: c joins
  EXPECT_EQ(keys.set_id(), MemberSetId({"a", "b", "c"}, 8));
  keys.Apply("c", /*put=*/false, "", 9);  // A again: c's lease expired
  EXPECT_EQ(keys.members(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(keys.set_id(), MemberSetId({"a", "b"}, 9));
  EXPECT_NE(keys.set_id(), first);
  // b's value still names the first {a, b}: not ready for this one.
  EXPECT_NE(keys.ready().at("b"), keys.set_id());
  EXPECT_EQ(keys.revision(), 9);

  // A delete of a key that is not there (seen already) changes nothing.
  keys.Apply("c", /*put=*/false, "", 10);
  EXPECT_EQ(keys.set_id(), MemberSetId({"a", "b"}, 9));
}

// Every member that watched the change computes the same id, whatever it
// listed at its own start.
TEST(MemberKeysTest, MembersAgreeOnTheIdOfAWatchedChange) {
  MemberKeys early;
  early.List({{.member = "a", .value = "a", .create_revision = 3}}, 3);
  early.Apply("b", /*put=*/true, "b", 4);
  MemberKeys late;  // b itself, listing right after it registered
  late.List(
      {{.member = "a", .value = MemberKeyValue("a", 99), .create_revision = 3},
       {.member = "b", .value = "b", .create_revision = 4}},
      5);
  EXPECT_EQ(early.set_id(), late.set_id());
  early.Apply("c", /*put=*/true, "c", 6);
  late.Apply("c", /*put=*/true, "c", 6);
  EXPECT_EQ(early.set_id(), late.set_id());
}

// A listing after the watch could not be resumed may have missed a change
// back to a set seen before: it dates the set by the listing's revision,
// an id no earlier set had.
TEST(MemberKeysTest, RelistingDatesTheSetByTheListingRevision) {
  MemberKeys keys;
  keys.List({{.member = "a", .value = "a", .create_revision = 3}}, 3);
  const uint64_t first = keys.set_id();
  keys.List({{.member = "a", .value = "a", .create_revision = 3}}, 12);
  EXPECT_NE(keys.set_id(), first);
  EXPECT_EQ(keys.set_id(), MemberSetId({"a"}, 12));
}

}  // namespace
}  // namespace promscrape::cluster
