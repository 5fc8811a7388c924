#ifndef PLUGIN_COMMON_GO_QUOTE_H_
#define PLUGIN_COMMON_GO_QUOTE_H_

#include <string>

#include "absl/strings/string_view.h"

namespace promscrape {

// Quotes `s` like Go's strconv.Quote: `"`, `\`, control and non-printable
// characters escaped, invalid UTF-8 bytes as `\x..`. Error messages quote
// user values this way so they read exactly like Prometheus' own.
std::string GoQuote(absl::string_view s);

}  // namespace promscrape

#endif  // PLUGIN_COMMON_GO_QUOTE_H_
