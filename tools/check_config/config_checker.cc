#include "tools/check_config/config_checker.h"

#include <glob.h>
#include <sys/stat.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plugin/common/go_quote.h"
#include "plugin/common/status.h"
#include "plugin/config/prometheus_config.h"
#include "plugin/model/labels.h"
#include "plugin/discovery/file_sd.h"
#include "plugin/discovery/static_sd.h"
#include "plugin/scrape/target.h"

namespace promscrape::tools {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::vector<std::string> Glob(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g;
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.push_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  return out;
}

absl::Status FileMustExist(const std::string& path, absl::string_view what) {
  if (path.empty() || Exists(path)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("error checking ", what, " ", GoQuote(path),
                   ": stat ", path, ": no such file or directory"));
}

absl::Status CheckScrapeConfig(const config::ScrapeConfig& sc,
                               std::vector<std::string>* warnings) {
  const config::HttpClientConfig& http = sc.http_client;
  if (http.authorization) {
    PROMSCRAPE_RETURN_IF_ERROR(
        FileMustExist(http.authorization->credentials_file,
                      "authorization credentials or bearer token file"));
  }
  PROMSCRAPE_RETURN_IF_ERROR(
      FileMustExist(http.tls_config.cert_file, "client cert file"));
  PROMSCRAPE_RETURN_IF_ERROR(
      FileMustExist(http.tls_config.key_file, "client key file"));
  for (const auto& fsd : sc.file_sd_configs) {
    for (const auto& f : fsd.files) {
      if (Glob(f).empty()) {
        warnings->push_back(absl::StrCat("file ", GoQuote(f),
                                         " for file_sd in scrape job ",
                                         GoQuote(sc.job_name),
                                         " does not exist"));
        continue;
      }
      for (const auto& file : Glob(f)) {
        auto groups = discovery::ReadFileSdFile(file);
        if (!groups.ok()) {
          return Annotate(groups.status(), absl::StrCat("checking SD file ",
                                                        GoQuote(f)));
        }
        for (auto& group : *groups) {
          // promtool checks file groups without a source name.
          group.source.clear();
          scrape::GroupTargets targets = scrape::TargetsFromGroup(group, sc);
          if (!targets.failures.empty()) return targets.failures.front();
        }
      }
    }
  }
  for (const auto& group : discovery::StaticTargetGroups(sc)) {
    scrape::GroupTargets targets = scrape::TargetsFromGroup(group, sc);
    if (!targets.failures.empty()) return targets.failures.front();
  }
  return absl::OkStatus();
}

}  // namespace

CheckResult CheckConfigFile(const std::string& path) {
  CheckResult result;
  auto cfg = config::LoadPrometheusConfigFile(path);
  if (!cfg.ok()) {
    result.status = cfg.status();
    return result;
  }
  for (const auto& rf : cfg->rule_files) {
    if (!absl::StrContains(rf, "*") && Glob(rf).empty()) {
      result.status = absl::InvalidArgumentError(
          absl::StrCat(GoQuote(rf), " does not point to an existing file"));
      return result;
    }
  }
  for (size_t i = 0; i < cfg->scrape_configs.size(); ++i) {
    const auto& sc = cfg->scrape_configs[i];
    absl::Status s = CheckScrapeConfig(sc, &result.warnings);
    if (!s.ok()) {
      result.status = Annotate(
          s, absl::StrCat("scrape_configs[", i, "] job ",
                          GoQuote(sc.job_name)));
      return result;
    }
  }
  return result;
}

}  // namespace promscrape::tools
