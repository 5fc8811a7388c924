#ifndef TESTS_TEXTPARSE_PARSER_TEST_UTIL_H_
#define TESTS_TEXTPARSE_PARSER_TEST_UTIL_H_

#include <string>
#include <string_view>
#include <vector>

#include "plugin/textparse/parser.h"

namespace promscrape::textparse::testing {

// Renders one entry (the one Next() just returned) as a line, e.g.
//   HELP go_goroutines Number of goroutines.
//   TYPE go_goroutines gauge
//   SERIES {__name__="a",b="c"} 1 @123 # {id="x"} 2 @5
//   HISTOGRAM {__name__="h"} schema=1 count=3 ...
std::string DescribeEntry(Parser& parser, Entry entry);

// Runs `parser` to the end and describes every entry; an error ends the list
// with "ERROR <message>".
std::vector<std::string> ParseAll(Parser& parser);

// Runs `a` and `b` (parsers over the same body) to the end side by side and
// returns the first entry where they differ (kind, error message, series
// bytes, labels, value bits, timestamp, metadata), or "" if they agree.
std::string FirstDifference(Parser& a, Parser& b);

// `{__name__="a",b="c"}` for the current series (Labels()).
std::string LabelString(Parser& parser);

}  // namespace promscrape::textparse::testing

#endif  // TESTS_TEXTPARSE_PARSER_TEST_UTIL_H_
