#include "plugin/config/prometheus_config.h"

#include <glob.h>

#include <cstdlib>
#include <exception>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
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

// Prometheus 3.x' `scrape_config_files`: glob patterns (patRulePath, as
// rule_files), resolved against the config's directory.
absl::Status DecodeScrapeConfigFiles(const YAML::Node& node,
                                     absl::string_view base_dir,
                                     std::vector<std::string>* out) {
  PROMSCRAPE_RETURN_IF_ERROR(
      Annotate(internal::DecodeStringList(node, out), "scrape_config_files"));
  static const re2::RE2* const kPattern =
      new re2::RE2(R"(^[^*]*(\*[^/]*)?$)");
  for (auto& f : *out) {
    if (!re2::RE2::FullMatch(f, *kPattern)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid scrape config file path ", GoQuote(f)));
    }
    f = ResolvePath(base_dir, f);
  }
  return absl::OkStatus();
}

// config.go's filePath: the absolute path, for error messages.
std::string AbsolutePath(const std::string& path) {
  char* abs = ::realpath(path.c_str(), nullptr);
  if (abs == nullptr) return path;
  std::string out(abs);
  std::free(abs);
  return out;
}

bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = std::move(ss).str();
  return true;
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

// Decodes one `scrape_configs` list (of the main file, or of a
// scrape_config_files file named `file`, "" for the main one) into `out`.
// `origin` is how the first occurrence of a job is named in the
// duplicate-name error. With `job_errors`, a bad entry is recorded there
// and left out instead of ending the decode.
absl::Status DecodeScrapeConfigList(
    const YAML::Node& scrape, const GlobalConfig& global,
    absl::string_view base_dir, const std::string& origin,
    const std::string& file,
    absl::flat_hash_map<std::string, std::string>* jobs,
    std::vector<ScrapeConfig>* out, std::vector<absl::Status>* job_errors) {
  if (internal::IsNullNode(scrape)) return absl::OkStatus();
  const std::string prefix = file.empty() ? "" : absl::StrCat(file, ": ");
  if (!scrape.IsSequence()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "scrape_configs: ", internal::LinePrefix(scrape),
                     "cannot unmarshal into []*config.ScrapeConfig"));
  }
  size_t i = 0;
  for (const auto& item : scrape) {
    std::string where = absl::StrCat(prefix, "scrape_configs[", i++, "]");
    const std::string job = JobNameOf(item);
    if (!job.empty()) absl::StrAppend(&where, " job ", GoQuote(job));
    ScrapeConfig sc;
    absl::Status status =
        Annotate(DecodeScrapeConfig(item, global, base_dir, &sc), where);
    if (status.ok()) {
      auto [it, inserted] = jobs->try_emplace(sc.job_name, origin);
      if (!inserted) {
        status = absl::InvalidArgumentError(absl::StrCat(
            where, ": found multiple scrape configs with job name ",
            GoQuote(sc.job_name),
            file.empty() ? "" : absl::StrCat(", first found in ", it->second)));
      }
    }
    if (!status.ok()) {
      if (job_errors == nullptr) return status;
      job_errors->push_back(std::move(status));
      continue;
    }
    out->push_back(std::move(sc));
  }
  return absl::OkStatus();
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
  if (compat == PrometheusCompat::kV3) {
    // 2.42 has no such key: an unknown field under kV2.
    PROMSCRAPE_RETURN_IF_ERROR(DecodeScrapeConfigFiles(
        r.Take("scrape_config_files"), base_dir, &cfg.scrape_config_files));
  }
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

  // Job name -> where it was first found (config.go GetScrapeConfigs).
  absl::flat_hash_map<std::string, std::string> jobs;
  PROMSCRAPE_RETURN_IF_ERROR(DecodeScrapeConfigList(
      scrape, cfg.global, base_dir, "main config file", "", &jobs,
      &cfg.scrape_configs, job_errors));
  // config.go GetScrapeConfigs: each pattern's matches in order, every
  // file holding only `scrape_configs`, its paths relative to itself.
  for (const std::string& pattern : cfg.scrape_config_files) {
    glob_t g{};
    const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
    std::vector<std::string> files;
    if (rc == 0) {
      for (size_t k = 0; k < g.gl_pathc; ++k) files.emplace_back(g.gl_pathv[k]);
    }
    ::globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH) {
      return absl::InvalidArgumentError(absl::StrCat(
          "error retrieving scrape config files for ", GoQuote(pattern)));
    }
    for (const std::string& file : files) {
      const std::string shown = GoQuote(AbsolutePath(file));
      std::string text;
      if (!ReadWholeFile(file, &text)) {
        return absl::InvalidArgumentError(
            absl::StrCat(shown, ": cannot read the file"));
      }
      absl::StatusOr<YAML::Node> doc = internal::ParseYaml(text);
      if (!doc.ok()) return Annotate(doc.status(), shown);
      absl::StatusOr<MapReader> fr =
          MapReader::Create(*doc, "config.ScrapeConfigs");
      if (!fr.ok()) return Annotate(fr.status(), shown);
      YAML::Node list = fr->Take("scrape_configs");
      PROMSCRAPE_RETURN_IF_ERROR(Annotate(fr->Finish(), shown));
      std::string dir = ".";
      if (size_t slash = file.rfind('/'); slash != std::string::npos) {
        dir = slash == 0 ? "/" : file.substr(0, slash);
      }
      PROMSCRAPE_RETURN_IF_ERROR(DecodeScrapeConfigList(
          list, cfg.global, dir, shown, shown, &jobs, &cfg.scrape_configs,
          job_errors));
    }
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

std::string ScrapeConfigFilesFingerprint(
    const std::vector<std::string>& patterns) {
  std::string out;
  for (const std::string& pattern : patterns) {
    glob_t g{};
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (size_t k = 0; k < g.gl_pathc; ++k) {
        std::string content;
        const bool ok = ReadWholeFile(g.gl_pathv[k], &content);
        absl::StrAppend(&out, g.gl_pathv[k], ok ? "\n" : "\n(unreadable)\n",
                        content.size(), "\n", content);
      }
    }
    ::globfree(&g);
  }
  return out;
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
