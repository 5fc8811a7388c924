#include "plugin/api/plugin.h"

#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "plugin/api/target_watch.h"
#include "plugin/common/status.h"
#include "plugin/config/prometheus_config.h"
#include "plugin/common/thread_name.h"

namespace promscrape::api {
namespace {

constexpr absl::string_view kVersion = "0.1.0";

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
  remote::WriteQueue::Options options;
  options.target = config_.remote_write.target;
  options.capacity = config_.remote_write.capacity;
  options.max_samples_per_send = config_.remote_write.max_samples_per_send;
  options.batch_send_deadline = config_.remote_write.batch_send_deadline;
  options.min_backoff = config_.remote_write.min_backoff;
  options.max_backoff = config_.remote_write.max_backoff;
  PROMSCRAPE_ASSIGN_OR_RETURN(
      queue_, remote::WriteQueue::Create(std::move(options), registry_, logger_));
  sink_ = std::make_unique<QueueSink>(*queue_, registry_, logger_);
  scrape::Manager::Options manager_options;
  manager_options.reload_interval = config_.reload_interval;
  manager_options.reload_on_startup = config_.reload_on_startup;
  manager_options.scrape_on_shutdown = config_.scrape_on_shutdown;
  manager_options.initial_scrape_offset = config_.initial_scrape_offset;
  manager_options.clock = &clock_;
  PROMSCRAPE_ASSIGN_OR_RETURN(
      manager_,
      scrape::Manager::Create(manager_options, *sink_, registry_, logger_));
  if (!config_.scrape_config_file.empty()) {
    absl::StatusOr<config::PrometheusConfig> scrape_config =
        config::LoadPrometheusConfigFile(config_.scrape_config_file);
    if (!scrape_config.ok()) {
      return Annotate(scrape_config.status(),
                      absl::StrCat("scrape_config_file \"",
                                   config_.scrape_config_file, "\""));
    }
    PROMSCRAPE_RETURN_IF_ERROR(
        InstallScrapeConfig(*scrape_config,
                            absl::StrCat("scrape_config_file:",
                                         config_.scrape_config_file))
            .status());
  }
  PROMSCRAPE_ASSIGN_OR_RETURN(
      server_, service::ControlServer::Start(config_.control_listen,
                                             config_.control_auth_token, *this,
                                             logger_));
  if (config_.self_metrics.enabled) {
    // The first self scrape happens before start returns, so even a plugin
    // stopped at once has reported itself to the host.
    AppendSelfMetrics(clock_.Now());
    self_metrics_thread_ = std::thread([this] {
      SetCurrentThreadName("ps-self-metrics");
      RunSelfMetrics();
    });
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
  // The control service goes first so no RPC reaches a half-stopped plugin;
  // then scraping stops, and what it appended is flushed below.
  if (server_ != nullptr) server_->Stop();
  if (manager_ != nullptr) manager_->Stop();
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

absl::StatusOr<scrape::Manager::ApplyResult> Plugin::InstallScrapeConfig(
    const config::PrometheusConfig& config, std::string source) {
  PROMSCRAPE_ASSIGN_OR_RETURN(scrape::Manager::ApplyResult result,
                              manager_->ApplyConfig(config));
  MutexLock lock(&mu_);
  scrape_config_source_ = std::move(source);
  scrape_config_applied_ = clock_.Now();
  return result;
}

absl::Status Plugin::ApplyConfig(const v1::ApplyConfigRequest& request,
                                 v1::ApplyConfigResponse* response) {
  absl::StatusOr<config::PrometheusConfig> parsed =
      config::ParsePrometheusConfig(request.config_yaml());
  if (!parsed.ok()) return Annotate(parsed.status(), "ApplyConfig");
  PROMSCRAPE_ASSIGN_OR_RETURN(scrape::Manager::ApplyResult result,
                              InstallScrapeConfig(*parsed, "ApplyConfig"));
  for (const std::string& j : result.added) response->add_added_jobs(j);
  for (const std::string& j : result.removed) response->add_removed_jobs(j);
  for (const std::string& j : result.reloaded) response->add_reloaded_jobs(j);
  return absl::OkStatus();
}

absl::Status Plugin::GetConfig(const v1::GetConfigRequest& request,
                               v1::GetConfigResponse* response) {
  // Rendered from the parsed config: secrets show as <secret>.
  response->set_config_yaml(config::ToYaml(manager_->Config()));
  MutexLock lock(&mu_);
  response->set_source(scrape_config_source_);
  if (scrape_config_applied_ != absl::Time()) {
    ToProtoTimestamp(scrape_config_applied_, response->mutable_applied_at());
  }
  return absl::OkStatus();
}

absl::Status Plugin::UpdateTargets(const v1::UpdateTargetsRequest& request,
                                   v1::UpdateTargetsResponse* response) {
  if (request.job().empty()) {
    return absl::InvalidArgumentError("UpdateTargets: job is required");
  }
  std::vector<scrape::TargetGroup> groups;
  for (int i = 0; i < request.groups_size(); ++i) {
    const v1::TargetGroup& g = request.groups(i);
    scrape::TargetGroup group;
    for (const std::string& t : g.targets()) {
      group.targets.push_back(labels::Labels::Of({{labels::kAddressLabel, t}}));
    }
    std::vector<labels::Label> common;
    for (const auto& [name, value] : g.labels()) common.push_back({name, value});
    group.labels = labels::Labels::FromUnsorted(std::move(common));
    group.source = g.source().empty()
                       ? absl::StrCat(request.provider(), "/", i)
                       : g.source();
    groups.push_back(std::move(group));
  }
  const std::string provider =
      request.provider().empty() ? "control" : request.provider();
  PROMSCRAPE_ASSIGN_OR_RETURN(
      int64_t pending,
      manager_->UpdateTargets(request.job(), provider, std::move(groups)));
  response->set_pending_targets(pending);
  return absl::OkStatus();
}

absl::Status Plugin::Reload(const v1::ReloadRequest& request,
                            v1::ReloadResponse* response) {
  manager_->ReloadNow();
  for (const scrape::PoolInfo& p : manager_->Pools()) {
    response->set_active_targets(response->active_targets() + p.active_targets);
    response->set_dropped_targets(response->dropped_targets() +
                                  p.dropped_targets);
  }
  return absl::OkStatus();
}

namespace {

void ToProtoPool(const scrape::PoolInfo& p, v1::Pool* out) {
  out->set_job(p.job);
  ToProtoDuration(p.scrape_interval, out->mutable_scrape_interval());
  ToProtoDuration(p.scrape_timeout, out->mutable_scrape_timeout());
  out->set_active_targets(p.active_targets);
  out->set_dropped_targets(p.dropped_targets);
  out->set_target_limit(p.target_limit);
  out->set_error(p.error);
  out->set_healthy_targets(p.healthy_targets);
  out->set_unhealthy_targets(p.unhealthy_targets);
}

}  // namespace

absl::Status Plugin::ListPools(const v1::ListPoolsRequest& request,
                               v1::ListPoolsResponse* response) {
  for (const scrape::PoolInfo& p : manager_->Pools()) {
    ToProtoPool(p, response->add_pools());
  }
  return absl::OkStatus();
}

absl::Status Plugin::GetPool(const v1::GetPoolRequest& request,
                             v1::Pool* response) {
  std::shared_ptr<scrape::ScrapePool> pool = manager_->Pool(request.job());
  if (pool == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("unknown job \"", request.job(), "\""));
  }
  ToProtoPool(pool->Info(), response);
  return absl::OkStatus();
}

absl::Status Plugin::ListTargets(const v1::ListTargetsRequest& request,
                                 v1::ListTargetsResponse* response) {
  std::vector<std::shared_ptr<scrape::ScrapePool>> pools;
  if (request.job().empty()) {
    pools = manager_->AllPools();
  } else {
    std::shared_ptr<scrape::ScrapePool> pool = manager_->Pool(request.job());
    if (pool == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("unknown job \"", request.job(), "\""));
    }
    pools.push_back(pool);
  }
  const bool active = request.state() != v1::ListTargetsRequest::DROPPED;
  const bool dropped = request.state() != v1::ListTargetsRequest::ACTIVE;
  for (const auto& pool : pools) {
    const std::string job = pool->Info().job;
    if (active) {
      for (const scrape::TargetState& s : pool->ActiveTargets()) {
        ToProtoTarget(s, response->add_active_targets());
      }
    }
    if (dropped) {
      for (const scrape::DroppedTarget& d : pool->DroppedTargets()) {
        v1::Target* t = response->add_dropped_targets();
        t->set_job(job);
        for (const labels::Label& l : d.discovered_labels) {
          (*t->mutable_discovered_labels())[l.name] = l.value;
        }
      }
      response->set_dropped_targets_total(response->dropped_targets_total() +
                                          pool->dropped_total());
    }
  }
  return absl::OkStatus();
}

absl::Status Plugin::GetTargetMetadata(
    const v1::GetTargetMetadataRequest& request,
    v1::GetTargetMetadataResponse* response) {
  for (const auto& pool : manager_->AllPools()) {
    for (const auto& [state, metadata] : pool->Metadata()) {
      if (!request.job().empty() && state.job != request.job()) continue;
      bool match = true;
      for (const auto& [name, value] : request.match_labels()) {
        if (state.labels.Get(name) != value) match = false;
      }
      if (!match) continue;
      for (const scrape::MetricMetadata& m : metadata) {
        if (!request.metric().empty() && m.metric != request.metric()) continue;
        if (request.limit() > 0 && response->metadata_size() >= request.limit()) {
          return absl::OkStatus();
        }
        v1::MetricMetadataEntry* e = response->add_metadata();
        for (const labels::Label& l : state.labels) {
          (*e->mutable_target())[l.name] = l.value;
        }
        e->set_metric(m.metric);
        e->set_type(std::string(textparse::MetricTypeName(m.type)));
        e->set_help(m.help);
        e->set_unit(m.unit);
      }
    }
  }
  return absl::OkStatus();
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
  return std::make_unique<TargetWatch>(*manager_, request.job(),
                                       std::move(on_event));
}

}  // namespace promscrape::api
