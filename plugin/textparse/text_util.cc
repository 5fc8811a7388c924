#include "plugin/textparse/text_util.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace promscrape::textparse::internal {

bool IsValidUtf8Slow(std::string_view s) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* end = p + s.size();
  while (p < end) {
    // ASCII runs, the common case, 8 bytes a step.
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if ((w & 0x8080808080808080ULL) != 0) break;
      p += 8;
    }
    if (p >= end) break;
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return false;
    if (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) return false;
    p += n + 1;
  }
  return true;
}

void AppendUnescapedLabelValue(std::string_view raw, std::string* out) {
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      char n = raw[i + 1];
      if (n == '\\' || n == '"') {
        out->push_back(n);
        ++i;
        continue;
      }
      if (n == 'n') {
        out->push_back('\n');
        ++i;
        continue;
      }
    }
    out->push_back(c);
  }
}

void AppendUnescapedHelp(std::string_view raw, std::string* out) {
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      char n = raw[i + 1];
      if (n == '\\') {
        out->push_back('\\');
        ++i;
        continue;
      }
      if (n == 'n') {
        out->push_back('\n');
        ++i;
        continue;
      }
    }
    out->push_back(c);
  }
}

void AppendQuoted(std::string_view s, std::string* out) {
  // Long lines are cut: the message is for humans.
  constexpr size_t kMax = 256;
  bool cut = s.size() > kMax;
  if (cut) s = s.substr(0, kMax);
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out->append(absl::StrFormat("\\x%02x", c));
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  if (cut) out->append("...");
}

size_t LineNumber(std::string_view body, size_t pos) {
  pos = std::min(pos, body.size());
  return 1 + std::count(body.begin(), body.begin() + pos, '\n');
}

std::string ParseErrorMessage(std::string_view body, const char* line_begin,
                              const char* at, std::string_view expectation,
                              bool show_token) {
  const char* end = body.data() + body.size();
  std::string msg = absl::StrCat(
      "line ", LineNumber(body, line_begin - body.data()), ": ",
      absl::string_view(expectation.data(), expectation.size()));
  if (show_token) {
    msg.append(", got \"");
    if (at < end) {
      AppendQuoted(std::string_view(at, 1), &msg);
    } else {
      msg.append("EOF");
    }
    msg.push_back('"');
  }
  msg.append(" while parsing: \"");
  const char* upto = at < end ? at + 1 : end;
  if (upto < line_begin) upto = line_begin;
  AppendQuoted(std::string_view(line_begin, upto - line_begin), &msg);
  msg.push_back('"');
  return msg;
}

}  // namespace promscrape::textparse::internal
