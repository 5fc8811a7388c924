#include "plugin/cluster/membership.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plugin/common/thread_name.h"

namespace promscrape::cluster {
namespace {

absl::Duration KeepAliveInterval(const Membership::Options& o) {
  return std::min(o.lease_ttl / 3, absl::Seconds(1));
}

}  // namespace

Membership::Membership(Options options, std::unique_ptr<EtcdClient> client,
                       ChangeFn on_change, metrics::Registry& registry,
                       const Logger& logger)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : Clock::Real()),
      on_change_(std::move(on_change)),
      logger_(logger),
      etcd_up_(registry.Gauge("promscrape_cluster_etcd_up",
                              "1 if the last call to etcd succeeded.")),
      etcd_errors_(registry.Counter("promscrape_cluster_etcd_errors_total",
                                    "Failed rounds of calls to etcd.")),
      lease_lost_(registry.Counter(
          "promscrape_cluster_lease_lost_total",
          "Times this member was cut off from etcd for longer than its "
          "lease TTL and stopped owning targets.")),
      members_gauge_(registry.Gauge(
          "promscrape_cluster_members",
          "Members of the cluster in force (0 while not owning).")),
      client_(std::move(client)) {}

Membership::~Membership() { Stop(); }

std::string Membership::prefix() const {
  return absl::StrCat("/promscrape/", options_.name, "/members/");
}

void Membership::Start() {
  {
    MutexLock lock(&mu_);
    if (started_) return;
    started_ = true;
  }
  Round();
  thread_ = std::thread([this] { Run(); });
}

void Membership::Stop() {
  {
    MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
  if (lease_ != 0) {
    absl::Status status = client_->LeaseRevoke(lease_);
    if (!status.ok()) {
      logger_.Warning("cluster: revoking the lease: ", status.ToString());
    }
    lease_ = 0;
  }
}

Membership::View Membership::view() const {
  MutexLock lock(&mu_);
  return view_;
}

void Membership::Run() {
  SetCurrentThreadName("ps-cluster");
  const absl::Duration interval = options_.poll_interval;
  while (true) {
    {
      MutexLock lock(&mu_);
      absl::Time deadline = absl::Now() + interval;
      while (!stopping_) {
        absl::Duration left = deadline - absl::Now();
        if (left <= absl::ZeroDuration()) break;
        cv_.WaitWithTimeout(&mu_, left);
      }
      if (stopping_) return;
    }
    Round();
  }
}

absl::Status Membership::Register() {
  absl::StatusOr<int64_t> lease = client_->LeaseGrant(options_.lease_ttl);
  if (!lease.ok()) return lease.status();
  absl::Status status = client_->Put(
      absl::StrCat(prefix(), options_.member_id), options_.member_id, *lease);
  if (!status.ok()) return status;
  lease_ = *lease;
  logger_.Info("cluster \"", options_.name, "\": member \"",
               options_.member_id, "\" registered in etcd (lease ", lease_,
               ", ttl ", absl::FormatDuration(options_.lease_ttl), ")");
  return absl::OkStatus();
}

void Membership::Round() {
  const absl::Time now = clock_.Now();
  absl::Status status;
  if (lease_ != 0 && now - keepalive_sent_ >= KeepAliveInterval(options_)) {
    keepalive_sent_ = now;
    absl::StatusOr<int64_t> ttl = client_->LeaseKeepAlive(lease_);
    if (absl::IsNotFound(ttl.status())) {
      logger_.Warning("cluster: ", ttl.status().message(),
                      "; registering again");
      lease_ = 0;
    } else {
      status = ttl.status();
      if (status.ok()) last_keepalive_ = now;
    }
  }
  if (status.ok() && lease_ == 0) {
    status = Register();
    if (status.ok()) {
      last_keepalive_ = now;
      keepalive_sent_ = now;
    }
  }
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> kvs;
  if (status.ok()) {
    kvs = client_->RangePrefix(prefix());
    status = kvs.status();
  }
  if (status.ok()) {
    std::vector<std::string> members;
    const std::string p = prefix();
    for (const auto& [key, value] : *kvs) {
      if (absl::StartsWith(key, p)) members.push_back(key.substr(p.size()));
    }
    std::sort(members.begin(), members.end());
    if (!std::binary_search(members.begin(), members.end(),
                            options_.member_id)) {
      // The key went away under a live lease (deleted by hand): put it back.
      status = client_->Put(absl::StrCat(p, options_.member_id),
                            options_.member_id, lease_);
      if (status.ok()) {
        members.push_back(options_.member_id);
        std::sort(members.begin(), members.end());
      }
    }
    if (lost_) {
      logger_.Info("cluster \"", options_.name,
                   "\": etcd reachable again; owning targets again");
      lost_ = false;
    }
    etcd_up_.Set(1);
    {
      MutexLock lock(&mu_);
      view_.members = members;
      view_.owning = true;
      view_.etcd_up = true;
      view_.last_contact = now;
      view_.etcd_endpoint = client_->endpoint();
    }
    Publish(std::move(members));
    return;
  }
  etcd_up_.Set(0);
  etcd_errors_.Increment();
  {
    MutexLock lock(&mu_);
    view_.etcd_up = false;
    view_.etcd_endpoint = client_->endpoint();
  }
  if (!lost_ && now - last_keepalive_ >= options_.lease_ttl) {
    lost_ = true;
    lease_ = 0;  // expired in etcd by now
    lease_lost_.Increment();
    logger_.Error("cluster \"", options_.name, "\": no successful call to etcd for ",
                  absl::FormatDuration(options_.lease_ttl),
                  " (lease TTL); this member stops owning targets: ",
                  status.ToString());
    {
      MutexLock lock(&mu_);
      view_.owning = false;
    }
    Publish({});
  } else if (!lost_) {
    logger_.Warning("cluster \"", options_.name,
                    "\": etcd call failed; keeping the last member set: ",
                    status.ToString());
  }
}

void Membership::Publish(std::vector<std::string> members) {
  if (published_once_ && members == published_) return;
  published_once_ = true;
  published_ = members;
  members_gauge_.Set(static_cast<double>(members.size()));
  logger_.Info("cluster \"", options_.name, "\": ", members.size(),
               " member(s) in force");
  on_change_(members);
}

}  // namespace promscrape::cluster
