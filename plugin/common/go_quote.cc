#include "plugin/common/go_quote.h"

#include "absl/strings/str_format.h"
#include "plugin/common/utf8.h"

namespace promscrape {

std::string GoQuote(absl::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\a': out.append("\\a"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        case '\v': out.append("\\v"); break;
        default:
          if (c < 0x20 || c == 0x7f) {
            absl::StrAppendFormat(&out, "\\x%02x", c);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    int len = ValidRuneLength(s, i);
    if (len == 0) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
      ++i;
      continue;
    }
    // NOTE: Go also escapes non-printable runes (e.g. U+00A0); we print every
    // valid multi-byte rune verbatim, which only differs for such rare runes.
    out.append(s.substr(i, len).data(), len);
    i += len;
  }
  out.push_back('"');
  return out;
}

}  // namespace promscrape
