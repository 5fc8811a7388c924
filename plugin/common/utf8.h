#ifndef PLUGIN_COMMON_UTF8_H_
#define PLUGIN_COMMON_UTF8_H_

#include "absl/strings/string_view.h"

namespace promscrape {

// Go's utf8.ValidString: rejects overlong encodings, surrogates and code
// points above U+10FFFF. Label values may be any valid UTF-8.
bool IsValidUtf8(absl::string_view s);

// The length (2 to 4) of the valid multi-byte UTF-8 sequence starting at
// s[i], or 0 when there is none.
int ValidRuneLength(absl::string_view s, size_t i);

}  // namespace promscrape

#endif  // PLUGIN_COMMON_UTF8_H_
