#include "plugin/service/config_file_reloader.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "plugin/common/go_quote.h"
#include "plugin/common/status.h"

namespace promscrape::service {

ConfigFileReloader::ConfigFileReloader(Options options, InstallFn install,
                                       metrics::Registry& registry,
                                       Logger logger)
    : options_(std::move(options)),
      install_(std::move(install)),
      last_successful_(registry.Gauge(
          "prometheus_config_last_reload_successful",
          "Whether the last configuration reload attempt was successful.")),
      last_success_time_(registry.Gauge(
          "prometheus_config_last_reload_success_timestamp_seconds",
          "Timestamp of the last successful configuration reload.")),
      logger_(std::move(logger)) {}

ConfigFileReloader::~ConfigFileReloader() { Stop(); }

absl::Status ConfigFileReloader::Read(std::string* content) const {
  std::ifstream in(options_.path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scrape_config_file: cannot read config file ", GoQuote(options_.path)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scrape_config_file ", GoQuote(options_.path), ": read error"));
  }
  *content = std::move(ss).str();
  return absl::OkStatus();
}

absl::Status ConfigFileReloader::Apply(const std::string& content) {
  const std::string& path = options_.path;
  std::string dir = ".";
  if (size_t slash = path.rfind('/'); slash != std::string::npos) {
    dir = slash == 0 ? "/" : path.substr(0, slash);
  }
  absl::StatusOr<config::PrometheusConfig> cfg =
      config::ParsePrometheusConfig(content, dir, options_.compat);
  absl::Status status = cfg.status();
  if (cfg.ok()) {
    cfg->source_path = path;
    last_patterns_ = cfg->scrape_config_files;
    status = install_(*cfg);
  }
  last_content_ = absl::StrCat(
      content, "\0", config::ScrapeConfigFilesFingerprint(last_patterns_));
  if (!status.ok()) {
    last_successful_.Set(0);
    return Annotate(status,
                    absl::StrCat("scrape_config_file ", GoQuote(path)));
  }
  last_successful_.Set(1);
  last_success_time_.Set(absl::ToDoubleSeconds(
      options_.clock->Now() - absl::UnixEpoch()));
  last_error_.clear();
  return absl::OkStatus();
}

absl::Status ConfigFileReloader::LoadInitial() {
  MutexLock lock(&check_mu_);
  std::string content;
  PROMSCRAPE_RETURN_IF_ERROR(Read(&content));
  return Apply(content);
}

bool ConfigFileReloader::CheckNow() {
  MutexLock lock(&check_mu_);
  std::string content;
  absl::Status status = Read(&content);
  if (!status.ok()) {
    // A file being replaced (write to a temp file, rename) can be missing
    // for a moment; the running config stays, the error is said once.
    if (status.message() != last_error_) {
      last_error_ = std::string(status.message());
      logger_.Error("config auto-reload: ", status.message(),
                    "; keeping the running configuration");
    }
    return false;
  }
  if (absl::StrCat(content, "\0",
                   config::ScrapeConfigFilesFingerprint(last_patterns_)) ==
      last_content_) {
    return false;
  }
  status = Apply(content);
  if (!status.ok()) {
    last_error_ = std::string(status.message());
    logger_.Error("config auto-reload failed, keeping the running "
                  "configuration: ",
                  status.message());
    return false;
  }
  logger_.Info("config auto-reload: applied the changed ", options_.path);
  return true;
}

void ConfigFileReloader::Start() {
  MutexLock lock(&mu_);
  if (options_.interval <= absl::ZeroDuration() ||
      options_.scheduler == nullptr || stopped_) {
    return;
  }
  ScheduleNext();
}

void ConfigFileReloader::ScheduleNext() {
  task_ = options_.scheduler->RunAt(
      options_.clock->Now() + options_.interval, [this] {
        CheckNow();
        MutexLock lock(&mu_);
        if (!stopped_) ScheduleNext();
      });
}

void ConfigFileReloader::Stop() {
  uint64_t task;
  {
    MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    task = task_;
  }
  // After Cancel the task is not running and never will; a task that was
  // running saw stopped_ and did not schedule another.
  if (task != 0) options_.scheduler->Cancel(task);
}

}  // namespace promscrape::service
