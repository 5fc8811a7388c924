#include "plugin/cluster/membership.h"

#include <string>

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

}  // namespace
}  // namespace promscrape::cluster
