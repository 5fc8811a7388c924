#include "plugin/service/control_handler.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plugin/common/status.h"
#include "plugin/discovery/target_group.h"
#include "plugin/model/labels.h"
#include "plugin/model/metadata.h"
#include "plugin/service/proto_convert.h"
#include "plugin/service/target_watch.h"

namespace promscrape::service {

ControlHandler::ControlHandler(scrape::Manager& scrape,
                               discovery::Manager& discovery,
                               metrics::Registry& registry, const Clock& clock,
                               config::PrometheusCompat compat)
    : scrape_(scrape),
      discovery_(discovery),
      registry_(registry),
      clock_(clock),
      compat_(compat) {}

absl::StatusOr<scrape::Manager::ApplyResult> ControlHandler::InstallConfig(
    const config::PrometheusConfig& config, std::string source) {
  MutexLock lock(&mu_);
  PROMSCRAPE_ASSIGN_OR_RETURN(scrape::Manager::ApplyResult result,
                              scrape_.ApplyConfig(config));
  discovery_.ApplyConfig(config);
  if (listener_) listener_(config);
  config_source_ = std::move(source);
  config_applied_ = clock_.Now();
  return result;
}

absl::Status ControlHandler::ApplyConfig(const v1::ApplyConfigRequest& request,
                                 v1::ApplyConfigResponse* response) {
  absl::StatusOr<config::PrometheusConfig> parsed =
      config::ParsePrometheusConfig(request.config_yaml(), "", compat_);
  if (!parsed.ok()) return Annotate(parsed.status(), "ApplyConfig");
  PROMSCRAPE_ASSIGN_OR_RETURN(scrape::Manager::ApplyResult result,
                              InstallConfig(*parsed, "ApplyConfig"));
  for (const std::string& j : result.added) response->add_added_jobs(j);
  for (const std::string& j : result.removed) response->add_removed_jobs(j);
  for (const std::string& j : result.reloaded) response->add_reloaded_jobs(j);
  return absl::OkStatus();
}

absl::Status ControlHandler::GetConfig(const v1::GetConfigRequest& request,
                               v1::GetConfigResponse* response) {
  // Rendered from the parsed config: secrets show as <secret>.
  response->set_config_yaml(config::ToYaml(scrape_.Config()));
  MutexLock lock(&mu_);
  response->set_source(config_source_);
  if (config_applied_ != absl::Time()) {
    ToProtoTimestamp(config_applied_, response->mutable_applied_at());
  }
  return absl::OkStatus();
}

absl::Status ControlHandler::UpdateTargets(const v1::UpdateTargetsRequest& request,
                                   v1::UpdateTargetsResponse* response) {
  if (request.job().empty()) {
    return absl::InvalidArgumentError("UpdateTargets: job is required");
  }
  std::vector<discovery::TargetGroup> groups;
  for (int i = 0; i < request.groups_size(); ++i) {
    const v1::TargetGroup& g = request.groups(i);
    discovery::TargetGroup group;
    for (const std::string& t : g.targets()) {
      group.targets.push_back(model::Labels::Of({{model::kAddressLabel, t}}));
    }
    std::vector<model::Label> common;
    for (const auto& [name, value] : g.labels()) common.push_back({name, value});
    group.labels = model::Labels::FromUnsorted(std::move(common));
    group.source = g.source().empty()
                       ? absl::StrCat(request.provider(), "/", i)
                       : g.source();
    groups.push_back(std::move(group));
  }
  const std::string provider =
      request.provider().empty() ? "control" : request.provider();
  PROMSCRAPE_ASSIGN_OR_RETURN(
      int64_t pending,
      discovery_.UpdateTargets(request.job(), provider, std::move(groups)));
  response->set_pending_targets(pending);
  return absl::OkStatus();
}

absl::Status ControlHandler::Reload(const v1::ReloadRequest& request,
                            v1::ReloadResponse* response) {
  discovery_.ReloadNow();
  for (const scrape::PoolInfo& p : scrape_.Pools()) {
    response->set_active_targets(response->active_targets() + p.active_targets);
    response->set_dropped_targets(response->dropped_targets() +
                                  p.dropped_targets);
  }
  return absl::OkStatus();
}

absl::Status ControlHandler::ListPools(const v1::ListPoolsRequest& request,
                               v1::ListPoolsResponse* response) {
  for (const scrape::PoolInfo& p : scrape_.Pools()) {
    v1::Pool* pool = response->add_pools();
    ToProtoPool(p, pool);
    AddHostTargets(pool);
  }
  return absl::OkStatus();
}

void ControlHandler::AddHostTargets(v1::Pool* pool) const {
  const discovery::Manager::HostTargets host =
      discovery_.HostTargetsOf(pool->job());
  for (const std::string& provider : host.providers) {
    pool->add_host_sd_providers(provider);
  }
  pool->set_waiting_for_host_targets(host.waiting);
  if (host.waiting && pool->error().empty()) {
    pool->set_error(absl::StrCat(
        "waiting for targets from the host: ",
        absl::StrJoin(host.providers, ", "),
        " are not run by the plugin (UpdateTargets provider \"",
        host.providers.front(), "\")"));
  }
}

absl::Status ControlHandler::GetPool(const v1::GetPoolRequest& request,
                             v1::Pool* response) {
  std::shared_ptr<scrape::ScrapePool> pool = scrape_.Pool(request.job());
  if (pool == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("unknown job \"", request.job(), "\""));
  }
  ToProtoPool(pool->Info(), response);
  AddHostTargets(response);
  return absl::OkStatus();
}

absl::Status ControlHandler::ListTargets(const v1::ListTargetsRequest& request,
                                 v1::ListTargetsResponse* response) {
  std::vector<std::shared_ptr<scrape::ScrapePool>> pools;
  if (request.job().empty()) {
    pools = scrape_.AllPools();
  } else {
    std::shared_ptr<scrape::ScrapePool> pool = scrape_.Pool(request.job());
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
        for (const model::Label& l : d.discovered_labels) {
          (*t->mutable_discovered_labels())[l.name] = l.value;
        }
      }
      response->set_dropped_targets_total(response->dropped_targets_total() +
                                          pool->dropped_total());
    }
  }
  return absl::OkStatus();
}

absl::Status ControlHandler::GetTargetMetadata(
    const v1::GetTargetMetadataRequest& request,
    v1::GetTargetMetadataResponse* response) {
  for (const auto& pool : scrape_.AllPools()) {
    for (const auto& [state, metadata] : pool->Metadata()) {
      if (!request.job().empty() && state.job != request.job()) continue;
      bool match = true;
      for (const auto& [name, value] : request.match_labels()) {
        if (state.labels.Get(name) != value) match = false;
      }
      if (!match) continue;
      for (const model::MetricMetadata& m : metadata) {
        if (!request.metric().empty() && m.metric != request.metric()) continue;
        if (request.limit() > 0 && response->metadata_size() >= request.limit()) {
          return absl::OkStatus();
        }
        v1::MetricMetadataEntry* e = response->add_metadata();
        for (const model::Label& l : state.labels) {
          (*e->mutable_target())[l.name] = l.value;
        }
        e->set_metric(m.metric);
        e->set_type(std::string(model::MetricTypeName(m.type)));
        e->set_help(m.help);
        e->set_unit(m.unit);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ControlHandler::GetStats(const v1::GetStatsRequest& request,
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

std::unique_ptr<service::ControlBackend::Subscription> ControlHandler::WatchTargets(
    const v1::WatchTargetsRequest& request,
    std::function<void(const v1::TargetEvent&)> on_event) {
  return std::make_unique<TargetWatch>(scrape_, request.job(),
                                       std::move(on_event));
}

}  // namespace promscrape::service
