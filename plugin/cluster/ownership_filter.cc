#include "plugin/cluster/ownership_filter.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace promscrape::cluster {
namespace {

// A target's label, or its group's when the target does not set it.
absl::string_view Lookup(const model::Labels& target,
                         const model::Labels& group, absl::string_view name) {
  if (target.Has(name)) return target.Get(name);
  return group.Get(name);
}

}  // namespace

OwnershipFilter::OwnershipFilter(Options options, SyncFn downstream,
                                 metrics::Registry& registry)
    : options_(std::move(options)),
      downstream_(std::move(downstream)),
      owned_gauge_(registry.Gauge(
          "promscrape_cluster_owned_targets",
          "Targets this member owns (any replica rank).")),
      total_gauge_(registry.Gauge("promscrape_cluster_targets",
                                  "Targets of the whole cluster.")),
      changes_(registry.Counter(
          "promscrape_cluster_ownership_changes_total",
          "Targets this member started or stopped owning.")) {}

void OwnershipFilter::Sync(const std::string& job,
                           const std::vector<discovery::TargetGroup>& groups) {
  MutexLock lock(&mu_);
  Job& state = jobs_[job];
  state.groups = groups;
  FilterLocked(job, state, /*force=*/true);
  if (groups.empty()) {
    jobs_.erase(job);
    owners_.erase(job);
  }
  UpdateStatsLocked();
}

void OwnershipFilter::SetSelf(std::string self) {
  MutexLock lock(&mu_);
  self_ = std::move(self);
  for (auto& [job, state] : jobs_) FilterLocked(job, state, /*force=*/false);
  UpdateStatsLocked();
}

void OwnershipFilter::SetMembers(std::vector<std::string> members) {
  std::sort(members.begin(), members.end());
  MutexLock lock(&mu_);
  if (members == members_) return;
  members_ = std::move(members);
  for (auto& [job, state] : jobs_) FilterLocked(job, state, /*force=*/false);
  UpdateStatsLocked();
}

void OwnershipFilter::FilterLocked(const std::string& job, Job& state,
                                   bool force) {
  std::vector<uint64_t> hashes;
  for (const auto& group : state.groups) {
    for (const auto& target : group.targets) {
      hashes.push_back(TargetKeyHash(
          job, Lookup(target, group.labels, model::kSchemeLabel),
          Lookup(target, group.labels, model::kAddressLabel),
          Lookup(target, group.labels, model::kMetricsPathLabel)));
    }
  }
  Assignment a = Assignment::Compute(
      members_, hashes, {.replication_factor = options_.replication_factor});
  const int self = a.IndexOf(self_);
  std::vector<discovery::TargetGroup> owned;
  std::vector<TargetOwner>& owners = owners_[job];
  owners.clear();
  size_t i = 0;
  for (const auto& group : state.groups) {
    discovery::TargetGroup out;
    out.labels = group.labels;
    out.source = group.source;
    for (const auto& target : group.targets) {
      TargetOwner owner;
      owner.job = job;
      owner.address =
          std::string(Lookup(target, group.labels, model::kAddressLabel));
      absl::Span<const uint32_t> ranks = a.owners(i++);
      for (size_t rank = 0; rank < ranks.size(); ++rank) {
        owner.owners.push_back(a.members()[ranks[rank]]);
        if (static_cast<int>(ranks[rank]) != self) continue;
        if (options_.replication_factor > 1) {
          std::vector<model::Label> labels = target.labels();
          labels.push_back({options_.replica_label, absl::StrCat(rank)});
          out.targets.push_back(model::Labels::FromUnsorted(std::move(labels)));
        } else {
          out.targets.push_back(target);
        }
      }
      owners.push_back(std::move(owner));
    }
    // Empty groups stay: the engine sees the same groups, fewer targets.
    owned.push_back(std::move(out));
  }
  if (!force && owned == state.owned) return;
  auto count = [](const std::vector<discovery::TargetGroup>& groups) {
    std::set<uint64_t> hashes;
    for (const auto& g : groups) {
      for (const auto& t : g.targets) hashes.insert(t.Hash() ^ g.labels.Hash());
    }
    return hashes;
  };
  std::set<uint64_t> before = count(state.owned);
  std::set<uint64_t> after = count(owned);
  int64_t changed = 0;
  for (uint64_t h : after) changed += before.count(h) == 0;
  for (uint64_t h : before) changed += after.count(h) == 0;
  changes_.Add(static_cast<double>(changed));
  state.owned = std::move(owned);
  downstream_(job, state.owned);
}

void OwnershipFilter::UpdateStatsLocked() {
  Share share;
  share.self = self_;
  share.members = members_;
  for (const auto& [job, owners] : owners_) {
    for (const auto& owner : owners) {
      ++share.total_targets;
      if (std::find(owner.owners.begin(), owner.owners.end(),
                    self_) != owner.owners.end()) {
        ++share.owned_targets;
      }
      share.targets.push_back(owner);
    }
  }
  owned_gauge_.Set(static_cast<double>(share.owned_targets));
  total_gauge_.Set(static_cast<double>(share.total_targets));
  MutexLock lock(&stats_mu_);
  share_ = std::move(share);
}

OwnershipFilter::Share OwnershipFilter::share() const {
  MutexLock lock(&stats_mu_);
  return share_;
}

}  // namespace promscrape::cluster
