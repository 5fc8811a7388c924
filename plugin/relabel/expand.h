#ifndef PLUGIN_RELABEL_EXPAND_H_
#define PLUGIN_RELABEL_EXPAND_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "re2/re2.h"

namespace promscrape::relabel {

// Appends `tmpl` to `out` with Go `regexp.Expand` semantics, which RE2's
// `\1` rewrite does not have:
//   `$name` / `${name}`: a capture group by number or name; the unbraced name
//   is the longest run of `[A-Za-z0-9_]`, so `$1x` is the (absent) group
//   "1x" and expands to "". `$$` is a literal `$`. A `$` not followed by a
//   valid name (`$-`, `${`, `${}`) is copied literally. Numbers with leading
//   zeros or >= 1e8 are names. Missing or non-participating groups give "".
// `groups[i]` is group i of the match (`data() == nullptr` when it did not
// participate); `regex` supplies the group names.
//
// NOTE: Go also accepts non-ASCII letters and digits in names; we accept
// ASCII only, which no real template depends on.
void ExpandTemplate(absl::string_view tmpl, const re2::RE2& regex,
                    absl::Span<const re2::StringPiece> groups,
                    std::string* out);

}  // namespace promscrape::relabel

#endif  // PLUGIN_RELABEL_EXPAND_H_
