#ifndef PLUGIN_CONFIG_YAML_READER_H_
#define PLUGIN_CONFIG_YAML_READER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "yaml-cpp/yaml.h"

// Strict YAML decoding with Go yaml.v2's rules, which is what makes a config
// valid or invalid in Prometheus: unknown and duplicate keys are errors,
// plain scalars resolve as YAML 1.1 (`yes`/`on` are booleans, `0x10` is an
// int), quoted scalars are strings, and an explicit null sets a field's zero
// value (not its default).
namespace promscrape::config::internal {

// Reads the fields of one YAML mapping. Each `Take*` consumes a key;
// `Finish` then rejects every key nobody took.
//
// Thread-compatible. The node must outlive the reader.
class MapReader {
 public:
  // `node` must be a mapping or null (null reads as an empty mapping).
  // `type_name` appears in errors like Go's: `field foo not found in type X`.
  static absl::StatusOr<MapReader> Create(const YAML::Node& node,
                                          std::string type_name);

  // Returns the value of `key` (an invalid node when absent) and marks the
  // key consumed.
  YAML::Node Take(absl::string_view key);
  // True when `key` is present with a non-null value.
  bool HasValue(absl::string_view key) const;
  // Keys not yet taken, in document order (for families such as
  // `*_sd_configs` that the caller matches by pattern).
  std::vector<std::string> RemainingKeys() const;

  // Errors for unknown or duplicate keys. Call after all Take calls.
  absl::Status Finish() const;

 private:
  MapReader(YAML::Node node, std::string type_name)
      : node_(std::move(node)), type_name_(std::move(type_name)) {}

  YAML::Node node_;
  std::string type_name_;
  absl::flat_hash_set<std::string> taken_;
};

// True for an absent node or a YAML null.
bool IsNullNode(const YAML::Node& node);

// "line N: " for errors about `node` (1-based, like yaml.v2), or "".
std::string LinePrefix(const YAML::Node& node);

// Decoders. Each leaves `out` unchanged for an absent node, sets the zero
// value for an explicit null (as yaml.v2 does: `honor_timestamps: null` is
// false, `metrics_path: ~` is ""), and returns
// kInvalidArgument with Go-like wording, e.g.
// `line 3: cannot unmarshal !!str "true" into bool`.
absl::Status DecodeString(const YAML::Node& node, std::string* out);
absl::Status DecodeBool(const YAML::Node& node, bool* out);
absl::Status DecodeUint(const YAML::Node& node, uint64_t* out);
absl::Status DecodeDouble(const YAML::Node& node, double* out);
absl::Status DecodeDuration(const YAML::Node& node, absl::Duration* out);
absl::Status DecodeSize(const YAML::Node& node, int64_t* out);
absl::Status DecodeStringList(const YAML::Node& node,
                              std::vector<std::string>* out);
absl::Status DecodeStringMap(const YAML::Node& node,
                             std::map<std::string, std::string>* out);
absl::Status DecodeStringListMap(
    const YAML::Node& node, std::map<std::string, std::vector<std::string>>* out);

// Parses `text` into a YAML document; syntax errors become kInvalidArgument
// `yaml: line N: ...`. Never throws.
absl::StatusOr<YAML::Node> ParseYaml(const std::string& text);

}  // namespace promscrape::config::internal

#endif  // PLUGIN_CONFIG_YAML_READER_H_
