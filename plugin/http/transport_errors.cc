#include "plugin/http/transport_errors.h"

#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "plugin/http/status_text.h"

namespace promscrape::http::internal {

std::string ErrnoText(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = absl::ascii_tolower(text[0]);
  return text;
}

std::string GetPrefix(absl::string_view url) {
  return absl::StrCat("Get \"", url, "\": ");
}

absl::Status ContextDeadlineError(absl::string_view url) {
  return absl::DeadlineExceededError(
      absl::StrCat(GetPrefix(url), "context deadline exceeded"));
}

absl::Status ContextCanceledError(absl::string_view url) {
  return absl::CancelledError(absl::StrCat(GetPrefix(url), "context canceled"));
}

absl::Status DialError(absl::string_view url, absl::string_view address,
                       absl::string_view why) {
  return absl::UnavailableError(
      absl::StrCat(GetPrefix(url), "dial tcp ", address, ": connect: ", why));
}

absl::Status HttpStatusError(int code, absl::string_view reason) {
  if (reason.empty()) reason = StatusText(code);
  return absl::UnavailableError(absl::StrCat(
      "server returned HTTP status ", code, reason.empty() ? "" : " ", reason));
}

}  // namespace promscrape::http::internal
