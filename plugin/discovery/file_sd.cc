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
  std::vector<TargetGroup> out;
  for (size_t i = 0; i < groups.size(); ++i) {
    TargetGroup g;
    g.source = absl::StrCat(path, ":", i);
    // Prometheus' file discovery labels every group with its file.
    std::vector<model::Label> labels;
    for (const auto& l : groups[i].labels) {
      if (l.name != "__meta_filepath") labels.push_back(l);
    }
    labels.push_back({"__meta_filepath", path});
    g.labels = model::Labels::FromUnsorted(std::move(labels));
    for (const auto& t : groups[i].targets) {
      g.targets.push_back(model::Labels::Of({{model::kAddressLabel, t}}));
    }
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace promscrape::discovery
