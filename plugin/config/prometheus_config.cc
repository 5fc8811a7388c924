#include "plugin/config/prometheus_config.h"

#include <exception>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "plugin/common/go_quote.h"
#include "plugin/common/status.h"
#include "plugin/config/http_client_config.h"
#include "plugin/config/yaml_reader.h"
#include "plugin/model/labels.h"
#include "re2/re2.h"

namespace promscrape::config {
namespace {

using internal::MapReader;

absl::Status DecodeRuleFiles(const YAML::Node& node, absl::string_view base_dir,
                             std::vector<std::string>* out) {
  PROMSCRAPE_RETURN_IF_ERROR(
      Annotate(internal::DecodeStringList(node, out), "rule_files"));
  // Prometheus' `patRulePath`: at most one `*`, in the last path element.
  static const re2::RE2* const kPattern =
      new re2::RE2(R"(^[^*]*(\*[^/]*)?$)");
  for (auto& f : *out) {
    if (!re2::RE2::FullMatch(f, *kPattern)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid rule file path ", GoQuote(f)));
    }
    f = ResolvePath(base_dir, f);
  }
  return absl::OkStatus();
}

// Sections Prometheus accepts that the scrape plugin does not use. Their
// structure is Prometheus' business; only the YAML kind is checked.
absl::Status CheckIgnoredSection(const YAML::Node& node, absl::string_view key,
                                 bool want_list) {
  if (internal::IsNullNode(node)) return absl::OkStatus();
  if (want_list ? node.IsSequence() : node.IsMap()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      key, ": ", internal::LinePrefix(node), "cannot unmarshal into ",
      want_list ? "a list" : "a mapping"));
}

// The job name as written, for error context before the entry decoded.
std::string JobNameOf(const YAML::Node& node) {
  if (!node.IsMap()) return "";
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == "job_name" &&
        it->second.IsScalar()) {
      return it->second.Scalar();
    }
  }
  return "";
}

// With `job_errors`, a bad scrape_configs entry is recorded there and left
// out instead of ending the decode.
absl::StatusOr<PrometheusConfig> Decode(const YAML::Node& root,
                                        absl::string_view base_dir,
                                        PrometheusCompat compat,
                                        std::vector<absl::Status>* job_errors) {
  PrometheusConfig cfg;
  cfg.global = DefaultGlobalConfig(compat);
  PROMSCRAPE_ASSIGN_OR_RETURN(MapReader r, MapReader::Create(root, "config.Config"));
  PROMSCRAPE_RETURN_IF_ERROR(Annotate(
      DecodeGlobalConfig(r.Take("global"), compat, &cfg.global), "global"));
  // config.GlobalConfig.SetDirectory.
  cfg.global.scrape_failure_log_file =
      ResolvePath(base_dir, cfg.global.scrape_failure_log_file);
  PROMSCRAPE_RETURN_IF_ERROR(
      DecodeRuleFiles(r.Take("rule_files"), base_dir, &cfg.rule_files));
  PROMSCRAPE_RETURN_IF_ERROR(
      CheckIgnoredSection(r.Take("alerting"), "alerting", false));
  PROMSCRAPE_RETURN_IF_ERROR(
      CheckIgnoredSection(r.Take("remote_write"), "remote_write", true));
  PROMSCRAPE_RETURN_IF_ERROR(
      CheckIgnoredSection(r.Take("remote_read"), "remote_read", true));
  PROMSCRAPE_RETURN_IF_ERROR(
      CheckIgnoredSection(r.Take("storage"), "storage", false));
  PROMSCRAPE_RETURN_IF_ERROR(
      CheckIgnoredSection(r.Take("tracing"), "tracing", false));
  YAML::Node scrape = r.Take("scrape_configs");
  PROMSCRAPE_RETURN_IF_ERROR(r.Finish());

  if (internal::IsNullNode(scrape)) return cfg;
  if (!scrape.IsSequence()) {
    return absl::InvalidArgumentError(
        absl::StrCat("scrape_configs: ", internal::LinePrefix(scrape),
                     "cannot unmarshal into []*config.ScrapeConfig"));
  }
  absl::flat_hash_set<std::string> jobs;
  size_t i = 0;
  for (const auto& item : scrape) {
    std::string where = absl::StrCat("scrape_configs[", i++, "]");
    const std::string job = JobNameOf(item);
    if (!job.empty()) absl::StrAppend(&where, " job ", GoQuote(job));
    ScrapeConfig sc;
    absl::Status status =
        Annotate(DecodeScrapeConfig(item, cfg.global, base_dir, &sc), where);
    if (status.ok() && !jobs.insert(sc.job_name).second) {
      status = absl::InvalidArgumentError(
          absl::StrCat(where, ": found multiple scrape configs with job name ",
                       GoQuote(sc.job_name)));
    }
    if (!status.ok()) {
      if (job_errors == nullptr) return status;
      job_errors->push_back(std::move(status));
      continue;
    }
    cfg.scrape_configs.push_back(std::move(sc));
  }
  return cfg;
}

}  // namespace

const ScrapeConfig* PrometheusConfig::FindJob(
    absl::string_view job_name) const {
  for (const auto& sc : scrape_configs) {
    if (sc.job_name == job_name) return &sc;
  }
  return nullptr;
}

absl::StatusOr<PrometheusConfig> ParsePrometheusConfig(
    const std::string& yaml, absl::string_view base_dir,
    PrometheusCompat compat) {
  return ParsePrometheusConfigCollecting(yaml, base_dir, compat, nullptr);
}

absl::StatusOr<PrometheusConfig> ParsePrometheusConfigCollecting(
    const std::string& yaml, absl::string_view base_dir,
    PrometheusCompat compat, std::vector<absl::Status>* job_errors) {
  PROMSCRAPE_ASSIGN_OR_RETURN(YAML::Node root, internal::ParseYaml(yaml));
  // yaml-cpp reports misuse by exception; no exception leaves this function.
  try {
    return Decode(root, base_dir, compat, job_errors);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("yaml: line ", e.mark.line + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("yaml: ", e.what()));
  }
}

absl::StatusOr<PrometheusConfig> LoadPrometheusConfigFile(
    const std::string& path, PrometheusCompat compat) {
  return LoadPrometheusConfigFileCollecting(path, compat, nullptr);
}

absl::StatusOr<PrometheusConfig> LoadPrometheusConfigFileCollecting(
    const std::string& path, PrometheusCompat compat,
    std::vector<absl::Status>* job_errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read config file ", GoQuote(path)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string dir = ".";
  if (size_t slash = path.rfind('/'); slash != std::string::npos) {
    dir = slash == 0 ? "/" : path.substr(0, slash);
  }
  auto cfg = ParsePrometheusConfigCollecting(ss.str(), dir, compat, job_errors);
  if (!cfg.ok()) return cfg.status();
  cfg->source_path = path;
  return cfg;
}

std::string ToYaml(const PrometheusConfig& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "global" << YAML::Value;
  EmitGlobalConfig(config.global, out);
  if (!config.rule_files.empty()) {
    out << YAML::Key << "rule_files" << YAML::Value << config.rule_files;
  }
  out << YAML::Key << "scrape_configs" << YAML::Value << YAML::BeginSeq;
  for (const auto& sc : config.scrape_configs) EmitScrapeConfig(sc, out);
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace promscrape::config
