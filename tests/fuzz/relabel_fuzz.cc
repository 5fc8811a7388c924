// libFuzzer target for relabeling: the input is a `relabel_configs` YAML
// list, then a line "---", then one "name=value" label per line. Decoding,
// compiling and applying the rules never crash.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "plugin/config/relabel_yaml.h"
#include "plugin/model/builder.h"
#include "plugin/model/names.h"
#include "plugin/relabel/relabel.h"
#include "yaml-cpp/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace promscrape;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find("\n---\n");
  const std::string rules_yaml(input.substr(0, split));
  const absl::string_view label_lines =
      split == absl::string_view::npos ? "" : input.substr(split + 5);
  YAML::Node node;
  try {
    node = YAML::Load(rules_yaml);
  } catch (const YAML::Exception&) {
    return 0;
  }
  for (bool dot_matches_newline : {false, true}) {
    std::vector<relabel::RuleSpec> specs;
    std::vector<relabel::Rule> rules;
    if (!config::DecodeRelabelConfigs(node, "relabel_configs",
                                      "empty or null relabeling rule",
                                      model::NameValidation::kUtf8,
                                      dot_matches_newline, &specs, &rules)
             .ok()) {
      continue;
    }
    model::Builder builder;
    for (absl::string_view line : absl::StrSplit(label_lines, '\n')) {
      std::pair<absl::string_view, absl::string_view> kv =
          absl::StrSplit(line, absl::MaxSplits('=', 1));
      if (!kv.first.empty()) builder.Set(kv.first, kv.second);
    }
    relabel::Process(builder, rules);
  }
  return 0;
}
