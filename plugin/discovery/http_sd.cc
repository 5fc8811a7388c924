#include "plugin/discovery/http_sd.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "plugin/common/go_quote.h"
#include "plugin/common/status.h"
#include "plugin/config/scrape_config.h"
#include "plugin/config/yaml_reader.h"
#include "plugin/discovery/static_sd.h"
#include "plugin/http/status_text.h"
#include "plugin/model/labels.h"
#include "re2/re2.h"

namespace promscrape::discovery {

absl::StatusOr<std::vector<TargetGroup>> ParseHttpSdResponse(
    absl::string_view url, int status_code, absl::string_view content_type,
    const std::string& body) {
  if (status_code != 200) {
    return absl::UnavailableError(
        absl::StrCat("server returned HTTP status ", status_code, " ",
                     http::StatusText(status_code)));
  }
  // Prometheus' matchContentType.
  static const re2::RE2* const kJson = new re2::RE2(
      R"re((?i)application/json(;\s*charset=("utf-8"|utf-8))?)re");
  if (!re2::RE2::FullMatch(
          re2::StringPiece(content_type.data(), content_type.size()),
          *kJson)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unsupported content type ", GoQuote(content_type)));
  }
  // JSON is (for these documents) a subset of YAML, so one decoder serves
  // file_sd and http_sd alike.
  PROMSCRAPE_ASSIGN_OR_RETURN(YAML::Node root, config::internal::ParseYaml(body));
  if (!root.IsSequence()) {
    return absl::InvalidArgumentError(
        "json: cannot unmarshal into []*targetgroup.Group");
  }
  std::vector<config::StaticConfig> groups;
  try {
    PROMSCRAPE_RETURN_IF_ERROR(
        config::DecodeTargetGroupList(root, "target groups", &groups));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("json: ", e.what()));
  }
  return DocumentTargetGroups(groups, url, kMetaUrlLabel);
}

}  // namespace promscrape::discovery
