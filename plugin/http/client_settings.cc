#include "plugin/http/client_settings.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "plugin/common/status.h"

namespace promscrape::http {
namespace {

// Go's syscall error strings are strerror() with a lowercase first letter.
std::string ErrnoText(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = absl::ascii_tolower(text[0]);
  return text;
}

// Reads a secret file and trims it; `what` names the setting in errors
// ("basic auth password file"), in Prometheus' words.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path,
                                           absl::string_view what) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat("unable to read ", what, " ",
                                                   path, ": open ", path, ": ",
                                                   ErrnoText(errno)));
  }
  std::string contents;
  char chunk[4096];
  while (true) {
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return absl::InvalidArgumentError(absl::StrCat("unable to read ", what,
                                                     " ", path, ": read ", path,
                                                     ": ", ErrnoText(err)));
    }
    if (n == 0) break;
    contents.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  return std::string(absl::StripAsciiWhitespace(contents));
}

}  // namespace

absl::StatusOr<std::string> AuthorizationHeaderValue(
    const ClientSettings& settings) {
  if (settings.basic_auth.has_value()) {
    const BasicAuth& auth = *settings.basic_auth;
    std::string username = auth.username;
    if (!auth.username_file.empty()) {
      PROMSCRAPE_ASSIGN_OR_RETURN(
          username,
          ReadSecretFile(auth.username_file, "basic auth username file"));
    }
    std::string password = auth.password;
    if (!auth.password_file.empty()) {
      PROMSCRAPE_ASSIGN_OR_RETURN(
          password,
          ReadSecretFile(auth.password_file, "basic auth password file"));
    }
    return absl::StrCat(
        "Basic ", absl::Base64Escape(absl::StrCat(username, ":", password)));
  }
  if (settings.authorization.has_value()) {
    const Authorization& auth = *settings.authorization;
    std::string credentials = auth.credentials;
    if (!auth.credentials_file.empty()) {
      PROMSCRAPE_ASSIGN_OR_RETURN(
          credentials, ReadSecretFile(auth.credentials_file,
                                      "authorization credentials file"));
    }
    return absl::StrCat(auth.type.empty() ? absl::string_view("Bearer")
                                          : absl::string_view(auth.type),
                        " ", credentials);
  }
  return std::string();
}

absl::Status ForEachRequestHeader(
    const ClientSettings& settings, const Headers& request_headers,
    absl::FunctionRef<void(absl::string_view, absl::string_view)> visit) {
  PROMSCRAPE_ASSIGN_OR_RETURN(std::string authorization,
                              AuthorizationHeaderValue(settings));
  for (const Header& header : settings.headers) {
    visit(header.name, header.value);
  }
  for (const Header& header : request_headers) {
    visit(header.name, header.value);
  }
  if (!authorization.empty()) visit("Authorization", authorization);
  return absl::OkStatus();
}

}  // namespace promscrape::http
