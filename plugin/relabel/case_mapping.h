#ifndef PLUGIN_RELABEL_CASE_MAPPING_H_
#define PLUGIN_RELABEL_CASE_MAPPING_H_

#include <string>

#include "absl/strings/string_view.h"

// Go `strings.ToLower` / `strings.ToUpper` for the lowercase and uppercase
// relabel actions. ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic map
// exactly as Go's simple case mapping; other scripts are left unchanged
// (Go would map e.g. Armenian or Georgian too). Invalid UTF-8 bytes become
// U+FFFD, as in Go.
namespace promscrape::relabel {

std::string ToLower(absl::string_view s);
std::string ToUpper(absl::string_view s);

}  // namespace promscrape::relabel

#endif  // PLUGIN_RELABEL_CASE_MAPPING_H_
