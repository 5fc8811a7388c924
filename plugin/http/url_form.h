#ifndef PLUGIN_HTTP_URL_FORM_H_
#define PLUGIN_HTTP_URL_FORM_H_

#include <map>
#include <string>

#include "absl/strings/string_view.h"

namespace promscrape::http {

// application/x-www-form-urlencoded, as Go's net/url writes and reads it
// (the OAuth2 token request and the form-shaped token responses some
// servers send). Stateless functions; thread-safe.

// Go's url.QueryEscape: unreserved bytes (A-Z a-z 0-9 - _ . ~) as is, space
// as '+', everything else as %XX with uppercase hex.
std::string QueryEscape(absl::string_view s);

// Go's url.Values.Encode for one value per key: "k1=v1&k2=v2", keys in
// sorted order (the map's), both sides escaped with `QueryEscape`.
std::string EncodeForm(const std::map<std::string, std::string>& values);

// Go's url.ParseQuery, keeping the first value of each key: '+' is a
// space, %XX a byte. Pairs with a malformed escape are skipped, as Go
// skips them (it also reports an error, which callers here would ignore).
std::map<std::string, std::string> ParseForm(absl::string_view form);

}  // namespace promscrape::http

#endif  // PLUGIN_HTTP_URL_FORM_H_
