#include "plugin/http/client_settings.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
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


// Go's httpproxy getEnvAny: the first of the names that is set non-empty.
std::string GetEnvAny(const char* upper, const char* lower) {
  for (const char* name : {upper, lower}) {
    const char* value = std::getenv(name);
    if (value != nullptr && value[0] != '\0') return value;
  }
  return std::string();
}

// `list` (comma-separated) extended so loopback destinations never use the
// proxy: Go's httpproxy useProxy() answers false for "localhost" and any
// loopback IP before it looks at NO_PROXY. A "*" entry already matches
// everything, and curl honours "*" only as the whole list.
std::string WithLoopback(absl::string_view list) {
  std::vector<absl::string_view> entries;
  for (absl::string_view entry : absl::StrSplit(list, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry == "*") return "*";
    if (!entry.empty()) entries.push_back(entry);
  }
  entries.push_back("localhost");
  entries.push_back("127.0.0.0/8");
  entries.push_back("::1");
  return absl::StrJoin(entries, ",");
}

}  // namespace

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

EnvironmentProxy ProxyFromEnvironment() {
  EnvironmentProxy proxy;
  proxy.http_proxy = GetEnvAny("HTTP_PROXY", "http_proxy");
  proxy.https_proxy = GetEnvAny("HTTPS_PROXY", "https_proxy");
  proxy.no_proxy = GetEnvAny("NO_PROXY", "no_proxy");
  return proxy;
}

ProxyChoice ChooseProxy(const ClientSettings& settings, absl::string_view url) {
  ProxyChoice choice;
  if (settings.environment_proxy.has_value()) {
    const EnvironmentProxy& env = *settings.environment_proxy;
    choice.proxy = absl::StartsWithIgnoreCase(url, "https://")
                       ? env.https_proxy
                       : env.http_proxy;
    if (!choice.proxy.empty()) choice.no_proxy = WithLoopback(env.no_proxy);
    return choice;
  }
  choice.proxy = settings.proxy_url;
  // Prometheus uses http.ProxyURL (which proxies everything, loopback
  // included) unless no_proxy is set; then httpproxy.Config, as above.
  if (!choice.proxy.empty() && !settings.no_proxy.empty()) {
    choice.no_proxy = WithLoopback(settings.no_proxy);
  }
  return choice;
}

bool UsesProxy(const ClientSettings& settings) {
  if (settings.environment_proxy.has_value()) {
    return !settings.environment_proxy->http_proxy.empty() ||
           !settings.environment_proxy->https_proxy.empty();
  }
  return !settings.proxy_url.empty();
}

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
    absl::string_view oauth2_authorization,
    absl::FunctionRef<void(absl::string_view, absl::string_view)> visit) {
  std::string authorization(oauth2_authorization);
  if (authorization.empty()) {
    PROMSCRAPE_ASSIGN_OR_RETURN(authorization,
                                AuthorizationHeaderValue(settings));
  }
  // Files are read before anything is visited: a failure visits nothing.
  std::vector<std::string> file_values;
  file_values.reserve(settings.header_files.size());
  for (const Header& file : settings.header_files) {
    PROMSCRAPE_ASSIGN_OR_RETURN(
        std::string value,
        ReadSecretFile(file.value, absl::StrCat("header ", file.name, " file")));
    file_values.push_back(std::move(value));
  }
  auto configured = [&](absl::string_view name) {
    auto same = [&](const Header& h) {
      return absl::EqualsIgnoreCase(h.name, name);
    };
    return std::any_of(settings.headers.begin(), settings.headers.end(),
                       same) ||
           std::any_of(settings.header_files.begin(),
                       settings.header_files.end(), same);
  };
  for (const Header& header : settings.headers) {
    visit(header.name, header.value);
  }
  for (size_t i = 0; i < settings.header_files.size(); ++i) {
    visit(settings.header_files[i].name, file_values[i]);
  }
  for (const Header& header : request_headers) {
    if (configured(header.name)) continue;
    visit(header.name, header.value);
  }
  if (!authorization.empty()) visit("Authorization", authorization);
  return absl::OkStatus();
}

}  // namespace promscrape::http
