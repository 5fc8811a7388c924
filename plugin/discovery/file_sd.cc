#include "plugin/discovery/file_sd.h"

#include <exception>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plugin/common/go_quote.h"
#include "plugin/common/status.h"
#include "plugin/config/scrape_config.h"
#include "plugin/config/yaml_reader.h"
#include "plugin/discovery/static_sd.h"
#include "plugin/model/labels.h"

namespace promscrape::discovery {

absl::StatusOr<std::vector<TargetGroup>> ReadFileSdFile(
    const std::string& path) {
  const std::string lower = absl::AsciiStrToLower(path);
  if (!absl::EndsWith(lower, ".json") && !absl::EndsWith(lower, ".yml") &&
      !absl::EndsWith(lower, ".yaml")) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid file extension: ", GoQuote(path)));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read file_sd file ", GoQuote(path)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  // JSON is (for these documents) a subset of YAML, so one decoder serves
  // both formats.
  PROMSCRAPE_ASSIGN_OR_RETURN(YAML::Node root,
                              config::internal::ParseYaml(ss.str()));
  std::vector<config::StaticConfig> groups;
  try {
    PROMSCRAPE_RETURN_IF_ERROR(
        config::DecodeTargetGroupList(root, "target groups", &groups));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("yaml: ", e.what()));
  }
  return DocumentTargetGroups(groups, path, "__meta_filepath");
}

}  // namespace promscrape::discovery
