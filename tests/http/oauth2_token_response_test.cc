#include "plugin/http/oauth2_token_response.h"

#include <string>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::http {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseTokenResponseTest, ReadsJsonAndFormResponses) {
  struct Case {
    const char* name;
    const char* content_type;
    const char* body;
    const char* authorization;
    absl::Duration expires_in;
  };
  const Case cases[] = {
      {"json", "application/json; charset=utf-8",
       R"({"access_token":"eyJ.a-b_c","token_type":"bearer",)"
       R"("expires_in":3600,"scope":"x y"})",
       "Bearer eyJ.a-b_c", absl::Seconds(3600)},
      {"json expires_in as string", "application/json",
       R"({"access_token":"t","expires_in":"60"})", "Bearer t",
       absl::Seconds(60)},
      {"json without type or expiry", "", R"({"access_token":"t"})",
       "Bearer t", absl::ZeroDuration()},
      {"json custom type", "application/json",
       R"({"access_token":"t","token_type":"DPoP"})", "DPoP t",
       absl::ZeroDuration()},
      {"json mac type", "application/json",
       R"({"access_token":"t","token_type":"mac"})", "MAC t",
       absl::ZeroDuration()},
      {"form", "application/x-www-form-urlencoded",
       "access_token=a%2Fb&token_type=bearer&expires_in=30", "Bearer a/b",
       absl::Seconds(30)},
      {"text plain is a form", "text/plain", "access_token=t", "Bearer t",
       absl::ZeroDuration()},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<OAuth2Token> token =
        ParseTokenResponse(c.content_type, c.body);
    ASSERT_TRUE(token.ok()) << token.status();
    EXPECT_EQ(token->AuthorizationValue(), c.authorization);
    EXPECT_EQ(token->expires_in, c.expires_in);
  }
}

TEST(ParseTokenResponseTest, ErrorsSayWhatIsWrong) {
  EXPECT_THAT(ParseTokenResponse("application/json", R"({"token_type":"x"})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("server response missing access_token")));
  EXPECT_THAT(ParseTokenResponse("application/json", "{\"access_token\": "),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("oauth2: cannot parse json")));
  EXPECT_THAT(ParseTokenResponse("application/json", "[1, 2]"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not a JSON object")));
}

}  // namespace
}  // namespace promscrape::http
