#ifndef PLUGIN_HTTP_OAUTH2_TOKEN_RESPONSE_H_
#define PLUGIN_HTTP_OAUTH2_TOKEN_RESPONSE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace promscrape::http {

// An access token as a token endpoint returned it (RFC 6749 section 5.1).
// Thread-compatible value type.
struct OAuth2Token {
  std::string access_token;
  // As sent; may be empty.
  std::string token_type;
  // From `expires_in`; zero means the token does not expire.
  absl::Duration expires_in = absl::ZeroDuration();

  // The `Authorization` header value: the type as Go's Token.Type()
  // normalises it ("bearer" -> "Bearer", "mac" -> "MAC", "basic" ->
  // "Basic", empty -> "Bearer", else as sent), a space and the token.
  std::string AuthorizationValue() const;
};

// Parses a successful token response body as Go's oauth2 package does: a
// form (`application/x-www-form-urlencoded` or `text/plain` content type)
// or else JSON, with `expires_in` as a number or a numeric string.
// kInvalidArgument "oauth2: cannot parse json: ..." for a malformed body,
// "oauth2: server response missing access_token" without a token.
absl::StatusOr<OAuth2Token> ParseTokenResponse(absl::string_view content_type,
                                               absl::string_view body);

}  // namespace promscrape::http

#endif  // PLUGIN_HTTP_OAUTH2_TOKEN_RESPONSE_H_
