#include "plugin/api/plugin.h"

#include <unistd.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "plugin/common/status.h"
#include "plugin/config/prometheus_config.h"
#include "plugin/discovery/target_group.h"

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
    : config_(std::move(config)), logger_(std::move(logger)) {
  registry_
      .Gauge("promscrape_build_info", "A metric with a constant '1' value.",
             {{"version", std::string(kVersion)}})
      .Set(1);
}

Plugin::~Plugin() { Stop().IgnoreError(); }

absl::Status Plugin::StartComponents() {
  remote::WriteQueue::Options options;
  options.target = config_.remote_write.target;
  switch (config_.remote_write.protocol) {
    case config::RemoteWriteProtocol::kAuto:
      options.protocol = remote::WriteQueue::Protocol::kAuto;
      break;
    case config::RemoteWriteProtocol::kV1:
      options.protocol = remote::WriteQueue::Protocol::kV1;
      break;
    case config::RemoteWriteProtocol::kV2:
      options.protocol = remote::WriteQueue::Protocol::kV2;
      break;
  }
  options.capacity = config_.remote_write.capacity;
  options.max_samples_per_send = config_.remote_write.max_samples_per_send;
  options.batch_send_deadline = config_.remote_write.batch_send_deadline;
  options.min_backoff = config_.remote_write.min_backoff;
  options.max_backoff = config_.remote_write.max_backoff;
  options.max_in_flight = static_cast<int>(config_.remote_write.max_in_flight);
  options.ack_timeout = config_.remote_write.ack_timeout;
  options.wal_dir = config_.remote_write.wal_dir;
  options.wal_options.fsync_interval = config_.remote_write.wal_fsync_interval;
  options.wal_options.segment_bytes =
      static_cast<uint64_t>(config_.remote_write.wal_segment_bytes);
  options.wal_options.max_bytes =
      static_cast<uint64_t>(config_.remote_write.wal_max_bytes);
  options.wal_options.max_age = config_.remote_write.wal_max_age;
  options.clock = &Clock::Real();
  PROMSCRAPE_ASSIGN_OR_RETURN(
      queue_,
      remote::WriteQueue::Create(std::move(options), registry_, logger_));
  sink_ = std::make_unique<remote::QueueSink>(*queue_, registry_, logger_);

  scrape::Manager::Options scrape_options;
  scrape_options.scrape_on_shutdown = config_.scrape_on_shutdown;
  scrape_options.initial_scrape_offset = config_.initial_scrape_offset;
  scrape_options.start_timestamps = config_.start_timestamps;
  scrape_options.clock = &clock_;
  // Replicas with distinct host names or external labels scrape a target
  // at different phases, as Prometheus servers do.
  char hostname[256] = {0};
  if (config_.cluster.enabled) {
    // Members of a cluster share one seed: a target that moves keeps its
    // phase, so the scrape grid does not shift at hand-over.
    scrape_options.offset_seed_hostname =
        absl::StrCat("promscrape-cluster/", config_.cluster.name);
  } else if (gethostname(hostname, sizeof hostname - 1) == 0) {
    scrape_options.offset_seed_hostname = std::string(hostname);
  } else {
    scrape_options.offset_seed_hostname = std::string();
  }
  PROMSCRAPE_ASSIGN_OR_RETURN(
      scrape_,
      scrape::Manager::Create(scrape_options, *sink_, registry_, logger_));

  discovery::Manager::Options discovery_options;
  discovery_options.reload_interval = config_.reload_interval;
  discovery_options.reload_on_startup = config_.reload_on_startup;
  discovery_options.clock = &clock_;
  discovery_options.on_http_sd_refresh =
      [failures = &registry_.Counter(
           "prometheus_sd_http_failures_total",
           "Number of HTTP service discovery refresh failures.", {})](
          const std::string& job, const absl::Status& status) {
        if (!status.ok()) failures->Increment();
      };
  discovery::Manager::SyncFn to_engine =
      [scrape = scrape_.get()](
          const std::string& job,
          const std::vector<discovery::TargetGroup>& groups) {
        scrape->SyncTargets(job, groups);
      };
  if (config_.cluster.enabled) {
    cluster_scheduler_ = std::make_unique<Scheduler>(clock_);
    ownership_ = std::make_unique<cluster::OwnershipFilter>(
        cluster::OwnershipFilter::Options{
            .replication_factor =
                static_cast<int>(config_.cluster.replication_factor),
            .replica_label = config_.cluster.replica_label,
            .load_bound = config_.cluster.load_bound,
            // Hand-over (see OwnershipFilter): a new owner is ready once
            // every target of the jobs it gained targets in has had its
            // first scrape attempt; an old owner waits for that, at most
            // cluster.handover_timeout (default: two intervals plus the
            // lease TTL).
            .all_scraped =
                [scrape = scrape_.get()](const std::string& job) {
                  std::shared_ptr<scrape::ScrapePool> pool = scrape->Pool(job);
                  return pool == nullptr || pool->UnscrapedTargets() == 0;
                },
            .scrape_interval =
                [scrape = scrape_.get()](const std::string& job) {
                  std::shared_ptr<scrape::ScrapePool> pool = scrape->Pool(job);
                  return pool == nullptr ? absl::ZeroDuration()
                                         : pool->scrape_interval();
                },
            .on_ready =
                [this](uint64_t member_set) {
                  // Set before membership starts; null only in between.
                  if (membership_ != nullptr) membership_->SetReady(member_set);
                },
            .handover_grace = config_.cluster.lease_ttl,
            .handover_timeout = config_.cluster.handover_timeout,
            .scheduler = cluster_scheduler_.get(),
            .clock = &clock_},
        [scrape = scrape_.get()](
            const std::string& job,
            const std::vector<discovery::TargetGroup>& groups,
            bool stale_vanished) {
          scrape->SyncTargets(job, groups, stale_vanished);
        },
        registry_);
    to_engine = [filter = ownership_.get()](
                    const std::string& job,
                    const std::vector<discovery::TargetGroup>& groups) {
      filter->Sync(job, groups);
    };
  }
  discovery_ = std::make_unique<discovery::Manager>(
      discovery_options, std::move(to_engine), logger_);

  control_ = std::make_unique<service::ControlHandler>(
      *scrape_, *discovery_, registry_, clock_, config_.prometheus_compat);
  control_->SetInstallListener(
      [sink = sink_.get()](const config::PrometheusConfig& config) {
        sink->SetExternalLabels(config.global.external_labels);
      });
  if (!config_.scrape_config_file.empty()) {
    if (config_.scrape_config_reload_interval > absl::ZeroDuration()) {
      reload_scheduler_ = std::make_unique<Scheduler>(clock_);
    }
    config_reloader_ = std::make_unique<service::ConfigFileReloader>(
        service::ConfigFileReloader::Options{
            .path = config_.scrape_config_file,
            .compat = config_.prometheus_compat,
            .interval = config_.scrape_config_reload_interval,
            .scheduler = reload_scheduler_.get(),
            .clock = &clock_},
        [control = control_.get(),
         source = absl::StrCat("scrape_config_file:",
                               config_.scrape_config_file)](
            const config::PrometheusConfig& config) {
          return control->InstallConfig(config, source).status();
        },
        registry_, logger_);
    PROMSCRAPE_RETURN_IF_ERROR(config_reloader_->LoadInitial());
  }
  PROMSCRAPE_ASSIGN_OR_RETURN(
      server_, service::ControlServer::Start(config_.control_listen,
                                             config_.control_auth_token,
                                             *control_, logger_,
                                             config_.control_tls));
  PROMSCRAPE_RETURN_IF_ERROR(StartCluster());
  if (config_reloader_ != nullptr) config_reloader_->Start();
  if (config_.self_metrics.enabled) {
    self_metrics_ = std::make_unique<metrics::SelfMetrics>(
        metrics::SelfMetrics::Options{.job = config_.self_metrics.job,
                                      .instance = server_->address(),
                                      .interval = config_.self_metrics.interval},
        registry_, *sink_, clock_, logger_);
    self_metrics_->Start();
  }
  if (config_.remote_write.metadata_send_interval > absl::ZeroDuration()) {
    metadata_sender_ = std::make_unique<remote::MetadataSender>(
        config_.remote_write.metadata_send_interval,
        [scrape = scrape_.get()] {
          // Deduplicated while visiting: a fleet's targets mostly share
          // their families, so this holds each distinct entry once instead
          // of every target's copy.
          absl::flat_hash_set<model::MetricMetadata> unique;
          for (const auto& pool : scrape->AllPools()) {
            pool->ForEachMetadata(
                [&](const std::string& name, const scrape::MetaEntry& e) {
                  model::MetricMetadata m{name, e.type, e.help, e.unit};
                  if (!unique.contains(m)) unique.insert(std::move(m));
                });
          }
          std::vector<model::MetricMetadata> all;
          all.reserve(unique.size());
          while (!unique.empty()) {
            all.push_back(std::move(unique.extract(unique.begin()).value()));
          }
          return all;
        },
        *queue_, registry_, logger_);
    metadata_sender_->Start();
  }
  logger_.Info("promscrape ", kVersion, " started; remote write to ",
               config_.remote_write.target);
  return absl::OkStatus();
}

absl::Status Plugin::StartCluster() {
  if (!config_.cluster.enabled) return absl::OkStatus();
  const config::ClusterConfig& c = config_.cluster;
  std::string member_id = c.member_id;
  if (member_id.empty()) {
    char hostname[256] = {0};
    gethostname(hostname, sizeof hostname - 1);
    member_id = absl::StrCat(hostname, "/", server_->address());
  }
  PROMSCRAPE_ASSIGN_OR_RETURN(
      std::unique_ptr<cluster::EtcdClient> client,
      cluster::EtcdClient::Create({.endpoints = c.etcd_endpoints,
                                   .tls = c.tls,
                                   .ca_file = c.tls_ca_file,
                                   .cert_file = c.tls_cert_file,
                                   .key_file = c.tls_key_file,
                                   .username = c.username,
                                   .password = c.password}));
  ownership_->SetSelf(member_id);
  membership_ = std::make_unique<cluster::Membership>(
      cluster::Membership::Options{.name = c.name,
                                   .member_id = member_id,
                                   .lease_ttl = c.lease_ttl,
                                   .clock = &clock_},
      std::move(client),
      [filter = ownership_.get()](const cluster::Membership::MemberSet& set) {
        filter->SetMembers(set.members, set.ready, set.id);
      },
      registry_, logger_);
  control_->SetCluster(c.name, c.replication_factor, membership_.get(),
                       ownership_.get());
  membership_->Start();
  return absl::OkStatus();
}

const std::string& Plugin::control_address() const {
  return server_->address();
}

absl::Status Plugin::Stop() {
  MutexLock lock(&mu_);
  if (stopped_) return stop_status_;
  // Producers first, in the order that lets each drain into the next: no
  // self scrape or RPC reaches a half-stopped plugin, discovery stops
  // feeding the engine, then scraping stops and what it appended is
  // flushed below.
  if (self_metrics_ != nullptr) self_metrics_->Stop();
  if (metadata_sender_ != nullptr) metadata_sender_->Stop();
  if (server_ != nullptr) server_->Stop();
  if (config_reloader_ != nullptr) config_reloader_->Stop();
  if (reload_scheduler_ != nullptr) reload_scheduler_->Stop();
  // Leaving the cluster first lets the others take this member's targets
  // while it still scrapes them: it waits until they are ready (their
  // first scrapes of what they gained), at most two of its longest scrape
  // intervals plus a second, or cluster.handover_timeout when set (capped
  // at a minute either way: promscrape_stop blocks on it), so no series has
  // a gap.
  if (membership_ != nullptr) {
    absl::Duration longest = absl::ZeroDuration();
    for (const auto& pool : scrape_->AllPools()) {
      longest = std::max(longest, pool->scrape_interval());
    }
    const absl::Duration wait =
        config_.cluster.handover_timeout > absl::ZeroDuration()
            ? config_.cluster.handover_timeout
            : 2 * longest + absl::Seconds(1);
    membership_->Leave(std::min(wait, absl::Minutes(1)));
  }
  if (cluster_scheduler_ != nullptr) cluster_scheduler_->Stop();
  if (discovery_ != nullptr) discovery_->Stop();
  if (scrape_ != nullptr) scrape_->Stop();
  absl::Status status;
  if (queue_ != nullptr) {
    status = queue_->Stop(config_.remote_write.flush_timeout);
    if (!status.ok()) logger_.Error("remote write flush: ", status.ToString());
  }
  logger_.Info("promscrape stopped");
  stopped_ = true;
  stop_status_ = status;
  return status;
}

}  // namespace promscrape::api
