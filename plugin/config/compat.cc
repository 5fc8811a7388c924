#include "plugin/config/compat.h"

#include "absl/strings/str_cat.h"
#include "plugin/common/go_quote.h"

namespace promscrape::config {

absl::StatusOr<PrometheusCompat> ParsePrometheusCompat(absl::string_view text) {
  if (text == "2") return PrometheusCompat::kV2;
  if (text == "3") return PrometheusCompat::kV3;
  return absl::InvalidArgumentError(
      absl::StrCat("must be \"2\" or \"3\", got ", GoQuote(text)));
}

absl::string_view PrometheusCompatName(PrometheusCompat compat) {
  return compat == PrometheusCompat::kV2 ? "2" : "3";
}

}  // namespace promscrape::config
