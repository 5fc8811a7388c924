#include "plugin/http/oauth2_token_response.h"

#include <cstdint>
#include <exception>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/http/url_form.h"
#include "yaml-cpp/yaml.h"

namespace promscrape::http {
namespace {

// The media type without parameters, lowercased.
std::string MediaType(absl::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(content_type));
}

absl::Duration ExpiresIn(absl::string_view value) {
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &seconds) ||
      seconds <= 0) {
    return absl::ZeroDuration();
  }
  return absl::Seconds(seconds);
}

absl::StatusOr<OAuth2Token> ParseJson(absl::string_view body) {
  // NOTE: JSON is YAML 1.2's flow style, so yaml-cpp (already a dependency)
  // reads token responses; only a mapping at the top is accepted.
  YAML::Node root;
  try {
    root = YAML::Load(std::string(body));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("oauth2: cannot parse json: ", e.what()));
  }
  if (!root.IsMap()) {
    return absl::InvalidArgumentError(
        "oauth2: cannot parse json: the response is not a JSON object");
  }
  OAuth2Token token;
  auto scalar = [&](const char* key) -> std::string {
    YAML::Node node = root[key];
    return node && node.IsScalar() ? node.Scalar() : std::string();
  };
  token.access_token = scalar("access_token");
  token.token_type = scalar("token_type");
  token.expires_in = ExpiresIn(scalar("expires_in"));
  return token;
}

}  // namespace

std::string OAuth2Token::AuthorizationValue() const {
  absl::string_view type = token_type;
  if (type.empty() || absl::EqualsIgnoreCase(type, "bearer")) {
    type = "Bearer";
  } else if (absl::EqualsIgnoreCase(type, "mac")) {
    type = "MAC";
  } else if (absl::EqualsIgnoreCase(type, "basic")) {
    type = "Basic";
  }
  return absl::StrCat(type, " ", access_token);
}

absl::StatusOr<OAuth2Token> ParseTokenResponse(absl::string_view content_type,
                                               absl::string_view body) {
  OAuth2Token token;
  const std::string media_type = MediaType(content_type);
  if (media_type == "application/x-www-form-urlencoded" ||
      media_type == "text/plain") {
    std::map<std::string, std::string> form = ParseForm(body);
    token.access_token = form["access_token"];
    token.token_type = form["token_type"];
    token.expires_in = ExpiresIn(form["expires_in"]);
  } else {
    absl::StatusOr<OAuth2Token> parsed = ParseJson(body);
    if (!parsed.ok()) return parsed.status();
    token = *std::move(parsed);
  }
  if (token.access_token.empty()) {
    return absl::InvalidArgumentError(
        "oauth2: server response missing access_token");
  }
  return token;
}

}  // namespace promscrape::http
