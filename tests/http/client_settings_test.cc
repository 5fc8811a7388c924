#include "plugin/http/client_settings.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/status_matchers.h"

namespace promscrape::http {
namespace {

using ::promscrape::testing::StatusIs;
using ::testing::HasSubstr;

std::string WriteTempFile(const std::string& name, const std::string& data) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path) << data;
  return path;
}

TEST(AuthorizationHeaderValueTest, NoAuthIsEmpty) {
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(std::string value,
                                  AuthorizationHeaderValue(ClientSettings{}));
  EXPECT_EQ(value, "");
}

TEST(AuthorizationHeaderValueTest, BasicAuthIsBase64OfUserColonPassword) {
  ClientSettings settings;
  settings.basic_auth = BasicAuth{.username = "user", .password = "pass"};
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(std::string value,
                                  AuthorizationHeaderValue(settings));
  EXPECT_EQ(value, "Basic dXNlcjpwYXNz");
}

TEST(AuthorizationHeaderValueTest, PasswordFileIsTrimmed) {
  ClientSettings settings;
  settings.basic_auth =
      BasicAuth{.username = "user",
                .password_file = WriteTempFile("password", "  pass\n")};
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(std::string value,
                                  AuthorizationHeaderValue(settings));
  EXPECT_EQ(value, "Basic dXNlcjpwYXNz");
}

TEST(AuthorizationHeaderValueTest, CredentialsWithCustomType) {
  ClientSettings settings;
  settings.authorization = Authorization{.type = "Token", .credentials = "abc"};
  PROMSCRAPE_ASSERT_OK_AND_ASSIGN(std::string value,
                                  AuthorizationHeaderValue(settings));
  EXPECT_EQ(value, "Token abc");
}

TEST(AuthorizationHeaderValueTest, MissingCredentialsFileNamesIt) {
  ClientSettings settings;
  settings.authorization =
      Authorization{.credentials_file = "/nonexistent/token"};
  EXPECT_THAT(
      AuthorizationHeaderValue(settings),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("unable to read authorization credentials file "
                         "/nonexistent/token: open /nonexistent/token: no "
                         "such file or directory")));
}

}  // namespace
}  // namespace promscrape::http
