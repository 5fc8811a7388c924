#include "plugin/http/http1_request.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace promscrape::http::internal {
namespace {

bool IsPlainPathByte(char c) {
  auto byte = static_cast<unsigned char>(c);
  return byte > 0x20 && byte < 0x7f;
}

// RFC 9110 token characters.
bool IsTokenByte(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

}  // namespace

std::optional<Http1Target> ParseHttp1Target(absl::string_view url) {
  constexpr absl::string_view kScheme = "http://";
  if (url.size() < kScheme.size() ||
      !absl::EqualsIgnoreCase(url.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  url.remove_prefix(kScheme.size());
  size_t authority_end = url.find_first_of("/?#");
  absl::string_view authority = url.substr(0, authority_end);
  absl::string_view rest = authority_end == absl::string_view::npos
                               ? absl::string_view()
                               : url.substr(authority_end);
  if (authority.empty() || absl::StrContains(authority, '@')) {
    return std::nullopt;
  }

  absl::string_view host;
  absl::string_view port_text;
  bool ipv6 = false;
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
    }
    ipv6 = true;
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != absl::string_view::npos) {
      port_text = authority.substr(colon + 1);
    }
  }
  int port = 80;
  if (!port_text.empty()) {
    for (char c : port_text) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) {
        return std::nullopt;
      }
    }
    if (port_text.size() > 5 || !absl::SimpleAtoi(port_text, &port) ||
        port < 1 || port > 65535) {
      return std::nullopt;
    }
  }

  Http1Target target;
  std::string host_text(host);
  if (ipv6) {
    auto* addr = reinterpret_cast<sockaddr_in6*>(&target.address);
    if (inet_pton(AF_INET6, host_text.c_str(), &addr->sin6_addr) != 1) {
      return std::nullopt;
    }
    addr->sin6_family = AF_INET6;
    addr->sin6_port = htons(static_cast<uint16_t>(port));
    target.address_size = sizeof(sockaddr_in6);
    target.address_text = absl::StrCat("[", host_text, "]:", port);
  } else {
    auto* addr = reinterpret_cast<sockaddr_in*>(&target.address);
    // Names, "localhost" included, go through curl: it resolves them off
    // this thread's critical path and, like Go's dialer, tries every
    // address (a target listening only on ::1 must still work).
    const char* literal = host_text.c_str();
    if (inet_pton(AF_INET, literal, &addr->sin_addr) != 1) return std::nullopt;
    addr->sin_family = AF_INET;
    addr->sin_port = htons(static_cast<uint16_t>(port));
    target.address_size = sizeof(sockaddr_in);
    target.address_text = absl::StrCat(literal, ":", port);
  }
  target.host = ipv6 ? absl::StrCat("[", host_text, "]") : host_text;
  if (port != 80) absl::StrAppend(&target.host, ":", port);

  // The fragment is never sent.
  rest = rest.substr(0, rest.find('#'));
  for (char c : rest) {
    if (!IsPlainPathByte(c)) return std::nullopt;
  }
  absl::string_view path = rest.substr(0, rest.find('?'));
  if (absl::StrContains(path, "/.")) return std::nullopt;
  target.path = (rest.empty() || rest.front() == '?')
                    ? absl::StrCat("/", rest)
                    : std::string(rest);
  return target;
}

bool AppendHttp1Header(absl::string_view name, absl::string_view value,
                       std::string* out) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!IsTokenByte(c)) return false;
  }
  for (char c : value) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  if (value.empty()) {
    absl::StrAppend(out, name, ":\r\n");
  } else {
    absl::StrAppend(out, name, ": ", value, "\r\n");
  }
  return true;
}

void AppendHttp1RequestStart(const Http1Target& target, bool send_host,
                             std::string* out) {
  absl::StrAppend(out, "GET ", target.path, " HTTP/1.1\r\n");
  if (send_host) absl::StrAppend(out, "Host: ", target.host, "\r\n");
}

}  // namespace promscrape::http::internal
