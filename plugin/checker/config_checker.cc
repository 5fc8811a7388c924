#include "plugin/checker/config_checker.h"

#include <glob.h>
#include <sys/stat.h>

#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plugin/common/go_quote.h"
#include "plugin/common/status.h"
#include "plugin/config/prometheus_config.h"
#include "plugin/discovery/file_sd.h"
#include "plugin/discovery/static_sd.h"
#include "plugin/model/labels.h"
#include "plugin/scrape/target.h"

namespace promscrape::checker {
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

// Appends every error of `sc` in promtool's order. promtool returns at the
// first; each check here is independent of the others, so going on only
// adds what a user would see after fixing the first.
void CheckScrapeConfig(const config::ScrapeConfig& sc,
                       std::vector<absl::Status>* errors,
                       std::vector<std::string>* warnings) {
  auto add = [errors](absl::Status s) {
    if (!s.ok()) errors->push_back(std::move(s));
  };
  const config::HttpClientConfig& http = sc.http_client;
  if (http.authorization) {
    add(FileMustExist(http.authorization->credentials_file,
                      "authorization credentials or bearer token file"));
  }
  add(FileMustExist(http.tls_config.cert_file, "client cert file"));
  add(FileMustExist(http.tls_config.key_file, "client key file"));
  for (const auto& fsd : sc.file_sd_configs) {
    for (const auto& f : fsd.files) {
      const std::vector<std::string> files = Glob(f);
      if (files.empty()) {
        warnings->push_back(absl::StrCat(
            "file ", GoQuote(f), " for file_sd in scrape job ",
            GoQuote(sc.job_name), " does not exist"));
        continue;
      }
      for (const auto& file : files) {
        auto groups = discovery::ReadFileSdFile(file);
        if (!groups.ok()) {
          add(Annotate(groups.status(),
                       absl::StrCat("checking SD file ", GoQuote(f))));
          continue;
        }
        for (auto& group : *groups) {
          // promtool checks file groups without a source name.
          group.source.clear();
          scrape::GroupTargets targets = scrape::TargetsFromGroup(group, sc);
          if (!targets.failures.empty()) add(targets.failures.front());
        }
      }
    }
  }
  for (const auto& group : discovery::StaticTargetGroups(sc)) {
    scrape::GroupTargets targets = scrape::TargetsFromGroup(group, sc);
    if (!targets.failures.empty()) add(targets.failures.front());
  }
}

CheckResult Check(const absl::StatusOr<config::PrometheusConfig>& cfg,
                  std::vector<absl::Status> job_errors) {
  CheckResult result;
  if (!cfg.ok()) {
    result.errors.push_back(cfg.status());
    return result;
  }
  // promtool stops at the first bad job; the others are checked on.
  result.errors = std::move(job_errors);
  for (const auto& rf : cfg->rule_files) {
    if (!absl::StrContains(rf, "*") && Glob(rf).empty()) {
      result.errors.push_back(absl::InvalidArgumentError(absl::StrCat(
          GoQuote(rf), " does not point to an existing file")));
    }
  }
  for (size_t i = 0; i < cfg->scrape_configs.size(); ++i) {
    const auto& sc = cfg->scrape_configs[i];
    std::vector<absl::Status> errors;
    CheckScrapeConfig(sc, &errors, &result.warnings);
    for (const absl::Status& s : errors) {
      result.errors.push_back(
          Annotate(s, absl::StrCat("scrape_configs[", i, "] job ",
                                   GoQuote(sc.job_name))));
    }
  }
  return result;
}

}  // namespace

CheckResult CheckConfigFile(const std::string& path,
                            config::PrometheusCompat compat) {
  std::vector<absl::Status> job_errors;
  absl::StatusOr<config::PrometheusConfig> cfg =
      config::LoadPrometheusConfigFileCollecting(path, compat, &job_errors);
  return Check(cfg, std::move(job_errors));
}

CheckResult CheckConfigText(const std::string& yaml,
                            absl::string_view base_dir,
                            config::PrometheusCompat compat) {
  std::vector<absl::Status> job_errors;
  absl::StatusOr<config::PrometheusConfig> cfg =
      config::ParsePrometheusConfigCollecting(yaml, base_dir, compat,
                                              &job_errors);
  return Check(cfg, std::move(job_errors));
}

}  // namespace promscrape::checker
