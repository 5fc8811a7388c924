#include "plugin/service/control_handler.h"

#include <algorithm>
#include <map>
#include <set>
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
    for (int j = 0; j < g.targets_size(); ++j) {
      const std::string& t = g.targets(j);
      if (t.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "UpdateTargets: groups[", i, "].targets[", j, "]: empty address"));
      }
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
  // (job, discovered __address__) -> owners, with `cluster:`.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>>
      owners;
  const cluster::OwnershipFilter* ownership;
  {
    MutexLock lock(&cluster_mu_);
    ownership = ownership_;
  }
  if (ownership != nullptr && active) {
    for (auto& t : ownership->share().targets) {
      owners[{t.job, t.address}] = std::move(t.owners);
    }
  }
  for (const auto& pool : pools) {
    const std::string job = pool->Info().job;
    if (active) {
      for (const scrape::TargetState& s : pool->ActiveTargets()) {
        v1::Target* t = response->add_active_targets();
        ToProtoTarget(s, t);
        if (owners.empty()) continue;
        auto address = t->discovered_labels().find(
            std::string(model::kAddressLabel));
        if (address == t->discovered_labels().end()) continue;
        auto it = owners.find({job, address->second});
        if (it == owners.end()) continue;
        for (const std::string& o : it->second) t->add_owners(o);
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

absl::Status ControlHandler::GetCluster(const v1::GetClusterRequest& request,
                                        v1::GetClusterResponse* response) {
  const cluster::Membership* membership;
  const cluster::OwnershipFilter* ownership;
  int64_t replication_factor;
  {
    MutexLock lock(&cluster_mu_);
    membership = membership_;
    ownership = ownership_;
    replication_factor = replication_factor_;
    response->set_name(cluster_name_);
  }
  if (membership == nullptr || ownership == nullptr) {
    return ControlBackend::GetCluster(request, response);
  }
  cluster::Membership::View view = membership->view();
  cluster::OwnershipFilter::Share share = ownership->share();
  response->set_member_id(membership->member_id());
  response->set_replication_factor(replication_factor);
  std::map<std::string, int64_t> owned;
  for (const auto& t : share.targets) {
    for (const std::string& o : t.owners) ++owned[o];
  }
  std::set<std::string> ids(view.members.begin(), view.members.end());
  ids.insert(share.members.begin(), share.members.end());
  ids.insert(membership->member_id());
  for (const std::string& id : ids) {
    v1::ClusterMember* m = response->add_members();
    m->set_id(id);
    m->set_live(std::binary_search(view.members.begin(), view.members.end(),
                                   id));
    m->set_self(id == membership->member_id());
    m->set_owned_targets(owned[id]);
    m->set_ready(share.ready_members.count(id) > 0);
  }
  response->set_total_targets(share.total_targets);
  response->set_owned_targets(share.owned_targets);
  if (share.total_targets > 0 && !share.members.empty()) {
    response->set_share_of_mean(
        static_cast<double>(share.owned_targets) *
        static_cast<double>(share.members.size()) /
        (static_cast<double>(share.total_targets) *
         static_cast<double>(std::min<int64_t>(
             replication_factor,
             static_cast<int64_t>(share.members.size())))));
  }
  if (share.member_set != 0) {
    response->set_member_set_id(
        absl::StrCat(absl::Hex(share.member_set, absl::kZeroPad16)));
  }
  response->set_ready(share.member_set != 0 &&
                      share.ready_for == share.member_set);
  response->set_handing_over_targets(share.handing_over);
  response->set_etcd_up(view.etcd_up);
  response->set_etcd_endpoint(view.etcd_endpoint);
  if (view.last_contact != absl::InfinitePast()) {
    const int64_t ms = absl::ToUnixMillis(view.last_contact);
    response->mutable_last_etcd_contact()->set_seconds(ms / 1000);
    response->mutable_last_etcd_contact()->set_nanos(
        static_cast<int32_t>((ms % 1000) * 1000000));
  }
  response->set_owning(view.owning);
  return absl::OkStatus();
}

absl::Status ControlHandler::GetTargetMetadata(
    const v1::GetTargetMetadataRequest& request,
    v1::GetTargetMetadataResponse* response) {
  if (!request.job().empty() && scrape_.Pool(request.job()) == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("unknown job \"", request.job(), "\""));
  }
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

absl::StatusOr<std::unique_ptr<ControlBackend::Subscription>>
ControlHandler::WatchTargets(const v1::WatchTargetsRequest& request,
                             std::function<void()> wake) {
  PROMSCRAPE_ASSIGN_OR_RETURN(
      std::shared_ptr<scrape::TargetEventHub::Subscription> sub,
      scrape_.WatchTargets(request.job(), kWatchQueueCapacity,
                           std::move(wake)));
  return std::unique_ptr<Subscription>(
      std::make_unique<TargetWatch>(scrape_, std::move(sub)));
}

}  // namespace promscrape::service
