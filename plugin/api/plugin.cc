#include "plugin/api/plugin.h"

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "plugin/common/status.h"
#include "yaml-cpp/yaml.h"

namespace promscrape::api {
namespace {

constexpr absl::string_view kVersion = "0.1.0";

void ToTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t ns = absl::ToUnixNanos(t);
  out->set_seconds(ns / 1000000000);
  out->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("scrape_config_file: cannot read \"", path, "\""));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status EngineMissing(absl::string_view rpc) {
  return absl::UnimplementedError(absl::StrCat(
      rpc, ": the scrape engine is not part of this build yet"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Plugin>> Plugin::Start(
    absl::string_view config_yaml, Logger logger) {
  PROMSCRAPE_ASSIGN_OR_RETURN(config::PluginConfig config,
                              config::ParsePluginConfig(config_yaml));
  auto plugin =
      std::unique_ptr<Plugin>(new Plugin(std::move(config), std::move(logger)));
  absl::Status status = plugin->StartComponents();
  if (!status.ok()) {
    plugin->Stop().IgnoreError();
    return status;
  }
  return plugin;
}

Plugin::Plugin(config::PluginConfig config, Logger logger)
    : config_(std::move(config)),
      logger_(std::move(logger)),
      self_scrapes_(registry_.Counter(
          "promscrape_self_scrapes_total",
          "Times the plugin appended its own metrics.")) {
  registry_
      .Gauge("promscrape_build_info", "A metric with a constant '1' value.",
             {{"version", std::string(kVersion)}})
      .Set(1);
}

Plugin::~Plugin() { Stop().IgnoreError(); }

absl::Status Plugin::StartComponents() {
  if (!config_.scrape_config_file.empty()) {
    PROMSCRAPE_ASSIGN_OR_RETURN(std::string yaml,
                                ReadFile(config_.scrape_config_file));
    PROMSCRAPE_RETURN_IF_ERROR(Annotate(
        InstallScrapeConfig(std::move(yaml),
                            absl::StrCat("scrape_config_file:",
                                         config_.scrape_config_file)),
        absl::StrCat("scrape_config_file \"", config_.scrape_config_file,
                     "\"")));
  }
  remote::WriteQueue::Options options;
  options.target = config_.remote_write.target;
  options.capacity = config_.remote_write.capacity;
  options.max_samples_per_send = config_.remote_write.max_samples_per_send;
  options.batch_send_deadline = config_.remote_write.batch_send_deadline;
  options.min_backoff = config_.remote_write.min_backoff;
  options.max_backoff = config_.remote_write.max_backoff;
  PROMSCRAPE_ASSIGN_OR_RETURN(
      queue_, remote::WriteQueue::Create(std::move(options), registry_, logger_));
  PROMSCRAPE_ASSIGN_OR_RETURN(
      server_, service::ControlServer::Start(config_.control_listen,
                                             config_.control_auth_token, *this,
                                             logger_));
  if (config_.self_metrics.enabled) {
    // The first self scrape happens before start returns, so even a plugin
    // stopped at once has reported itself to the host.
    AppendSelfMetrics(clock_.Now());
    self_metrics_thread_ = std::thread([this] { RunSelfMetrics(); });
  }
  logger_.Info("promscrape ", kVersion, " started; remote write to ",
               config_.remote_write.target);
  return absl::OkStatus();
}

const std::string& Plugin::control_address() const {
  return server_->address();
}

absl::Status Plugin::Stop() {
  {
    MutexLock lock(&mu_);
    if (stopped_) return stop_status_;
    stopping_ = true;
    cv_.SignalAll();
  }
  if (self_metrics_thread_.joinable()) self_metrics_thread_.join();
  // The control service goes first so no RPC reaches a half-stopped plugin.
  if (server_ != nullptr) server_->Stop();
  absl::Status status;
  if (queue_ != nullptr) {
    status = queue_->Stop(config_.remote_write.flush_timeout);
    if (!status.ok()) logger_.Error("remote write flush: ", status.ToString());
  }
  logger_.Info("promscrape stopped");
  MutexLock lock(&mu_);
  stopped_ = true;
  stop_status_ = status;
  return status;
}

void Plugin::RunSelfMetrics() {
  const absl::Duration interval = config_.self_metrics.interval;
  // StartComponents did the scrape at "now"; keep a regular grid from it.
  absl::Time next = clock_.Now() + interval;
  MutexLock lock(&mu_);
  while (!stopping_) {
    absl::Duration wait = next - clock_.Now();
    if (wait > absl::ZeroDuration()) {
      cv_.WaitWithTimeout(&mu_, wait);
      continue;
    }
    mu_.Unlock();
    AppendSelfMetrics(next);
    mu_.Lock();
    next += interval;
    // After a long stall, skip the missed ticks instead of bursting.
    absl::Time now = clock_.Now();
    if (next < now) next = now + interval - (now - next) % interval;
  }
}

void Plugin::AppendSelfMetrics(absl::Time now) {
  self_scrapes_.Increment();
  const int64_t ts = absl::ToUnixMillis(now);
  const std::string& instance = server_->address();
  const std::string& job = config_.self_metrics.job;
  std::vector<metrics::MetricSample> samples = registry_.Collect();
  samples.push_back({"up", {}, 1});
  std::vector<remote::LabelView> labels;
  for (const metrics::MetricSample& s : samples) {
    labels.clear();
    labels.push_back({"__name__", s.name});
    bool instance_done = false;
    bool job_done = false;
    // Keep the set sorted: merge instance and job into the sorted labels.
    for (const metrics::LabelPair& l : s.labels) {
      if (!instance_done && l.first > "instance") {
        labels.push_back({"instance", instance});
        instance_done = true;
      }
      if (!job_done && l.first > "job") {
        labels.push_back({"job", job});
        job_done = true;
      }
      labels.push_back({l.first, l.second});
    }
    if (!instance_done) labels.push_back({"instance", instance});
    if (!job_done) labels.push_back({"job", job});
    absl::Status status = queue_->Append(labels, ts, s.value);
    if (!status.ok()) {
      logger_.Warning("self metrics: ", status.ToString());
      return;
    }
  }
}

absl::Status Plugin::InstallScrapeConfig(std::string yaml,
                                         std::string source) {
  try {
    YAML::Node root = YAML::Load(yaml);
    if (!root.IsNull() && !root.IsMap()) {
      return absl::InvalidArgumentError("config must be a YAML mapping");
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid YAML: ", e.what()));
  }
  MutexLock lock(&mu_);
  scrape_config_yaml_ = std::move(yaml);
  scrape_config_source_ = std::move(source);
  scrape_config_applied_ = clock_.Now();
  return absl::OkStatus();
}

absl::Status Plugin::ApplyConfig(const v1::ApplyConfigRequest& request,
                                 v1::ApplyConfigResponse* response) {
  return Annotate(InstallScrapeConfig(request.config_yaml(), "ApplyConfig"),
                  "ApplyConfig");
}

absl::Status Plugin::GetConfig(const v1::GetConfigRequest& request,
                               v1::GetConfigResponse* response) {
  MutexLock lock(&mu_);
  response->set_config_yaml(scrape_config_yaml_);
  response->set_source(scrape_config_source_);
  if (scrape_config_applied_ != absl::Time()) {
    ToTimestamp(scrape_config_applied_, response->mutable_applied_at());
  }
  return absl::OkStatus();
}

absl::Status Plugin::UpdateTargets(const v1::UpdateTargetsRequest& request,
                                   v1::UpdateTargetsResponse* response) {
  return EngineMissing("UpdateTargets");
}

absl::Status Plugin::Reload(const v1::ReloadRequest& request,
                            v1::ReloadResponse* response) {
  return EngineMissing("Reload");
}

absl::Status Plugin::ListPools(const v1::ListPoolsRequest& request,
                               v1::ListPoolsResponse* response) {
  return EngineMissing("ListPools");
}

absl::Status Plugin::GetPool(const v1::GetPoolRequest& request,
                             v1::Pool* response) {
  return EngineMissing("GetPool");
}

absl::Status Plugin::ListTargets(const v1::ListTargetsRequest& request,
                                 v1::ListTargetsResponse* response) {
  return EngineMissing("ListTargets");
}

absl::Status Plugin::GetTargetMetadata(
    const v1::GetTargetMetadataRequest& request,
    v1::GetTargetMetadataResponse* response) {
  return EngineMissing("GetTargetMetadata");
}

absl::Status Plugin::GetStats(const v1::GetStatsRequest& request,
                              v1::GetStatsResponse* response) {
  for (const metrics::MetricSample& s : registry_.Collect()) {
    v1::Metric* m = response->add_metrics();
    m->set_name(s.name);
    for (const metrics::LabelPair& l : s.labels) {
      (*m->mutable_labels())[l.first] = l.second;
    }
    m->set_value(s.value);
  }
  return absl::OkStatus();
}

std::unique_ptr<service::ControlBackend::Subscription> Plugin::WatchTargets(
    const v1::WatchTargetsRequest& request,
    std::function<void(const v1::TargetEvent&)> on_event) {
  // No engine, no targets: the stream stays open and silent until the
  // client cancels.
  return std::make_unique<Subscription>();
}

}  // namespace promscrape::api
