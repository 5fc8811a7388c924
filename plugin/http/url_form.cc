#include "plugin/http/url_form.h"

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace promscrape::http {
namespace {

bool IsUnreserved(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> Unescape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      int hi = i + 1 < s.size() ? HexValue(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::string QueryEscape(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (IsUnreserved(c)) {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

std::string EncodeForm(const std::map<std::string, std::string>& values) {
  std::string out;
  for (const auto& [key, value] : values) {
    if (!out.empty()) out.push_back('&');
    out.append(QueryEscape(key));
    out.push_back('=');
    out.append(QueryEscape(value));
  }
  return out;
}

std::map<std::string, std::string> ParseForm(absl::string_view form) {
  std::map<std::string, std::string> values;
  for (absl::string_view pair : absl::StrSplit(form, '&')) {
    if (pair.empty()) continue;
    // Go's ParseQuery rejects a semicolon in a pair.
    if (pair.find(';') != absl::string_view::npos) continue;
    const size_t eq = pair.find('=');
    std::optional<std::string> key = Unescape(pair.substr(0, eq));
    std::optional<std::string> value =
        Unescape(eq == absl::string_view::npos ? absl::string_view()
                                               : pair.substr(eq + 1));
    if (!key || !value) continue;
    values.emplace(std::move(*key), std::move(*value));
  }
  return values;
}

}  // namespace promscrape::http
