#include "plugin/http/url_form.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace promscrape::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(QueryEscapeTest, MatchesGoQueryEscape) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"abc-_.~XYZ019", "abc-_.~XYZ019"},
      {"a b", "a+b"},
      {"a&b=c", "a%26b%3Dc"},
      {"x:y/z?", "x%3Ay%2Fz%3F"},
      {"\xc3\xa9", "%C3%A9"},
      {"", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.in);
    EXPECT_EQ(QueryEscape(c.in), c.out);
  }
}

TEST(EncodeFormTest, SortsKeysAndEscapesBothSides) {
  EXPECT_EQ(EncodeForm({{"scope", "a b"},
                        {"grant_type", "client_credentials"},
                        {"k&", "v="}}),
            "grant_type=client_credentials&k%26=v%3D&scope=a+b");
}

TEST(ParseFormTest, DecodesAndKeepsFirstValue) {
  EXPECT_THAT(ParseForm("access_token=a%2Bb+c&token_type=bearer&"
                        "access_token=second&flag&bad=%zz&semi=a;b"),
              ElementsAre(Pair("access_token", "a+b c"), Pair("flag", ""),
                          Pair("token_type", "bearer")));
}

}  // namespace
}  // namespace promscrape::http
