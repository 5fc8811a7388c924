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

// The identity of one replica of a target: a rank change is a different
// target for the engine (its replica label changes).
uint64_t ReplicaKey(uint64_t target_key, size_t rank) {
  return target_key ^ (0x9e3779b97f4a7c15ULL * (rank + 1));
}

}  // namespace

OwnershipFilter::OwnershipFilter(Options options, SyncFn downstream,
                                 metrics::Registry& registry)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : Clock::Real()),
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
    // NOTE: a pending hand-over timer is not cancelled (Cancel would wait
    // for a running timer, which waits for mu_); it finds no job and returns.
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

void OwnershipFilter::OnHandoverTimer(const std::string& job) {
  MutexLock lock(&mu_);
  auto it = jobs_.find(job);
  if (it == jobs_.end()) return;
  it->second.timer = 0;
  FilterLocked(job, it->second, /*force=*/false);
  UpdateStatsLocked();
}

void OwnershipFilter::FilterLocked(const std::string& job, Job& state,
                                   bool force) {
  const absl::Time now = clock_.Now();
  const absl::Duration delay =
      options_.handover_delay && options_.scheduler != nullptr
          ? options_.handover_delay(job)
          : absl::ZeroDuration();
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
  const size_t replicas =
      static_cast<size_t>(std::max(1, options_.replication_factor));

  std::vector<discovery::TargetGroup> owned;
  std::set<uint64_t> owned_keys;
  std::map<uint64_t, absl::Time> leaving;
  std::vector<TargetOwner>& owners = owners_[job];
  owners.clear();
  auto add = [&](discovery::TargetGroup& out, const model::Labels& target,
                 size_t rank) {
    if (options_.replication_factor > 1) {
      std::vector<model::Label> labels = target.labels();
      labels.push_back({options_.replica_label, absl::StrCat(rank)});
      out.targets.push_back(model::Labels::FromUnsorted(std::move(labels)));
    } else {
      out.targets.push_back(target);
    }
  };
  size_t i = 0;
  for (const auto& group : state.groups) {
    discovery::TargetGroup out;
    out.labels = group.labels;
    out.source = group.source;
    for (const auto& target : group.targets) {
      const uint64_t key = hashes[i];
      TargetOwner owner;
      owner.job = job;
      owner.address =
          std::string(Lookup(target, group.labels, model::kAddressLabel));
      absl::Span<const uint32_t> ranks = a.owners(i++);
      std::set<size_t> mine;
      for (size_t rank = 0; rank < ranks.size(); ++rank) {
        owner.owners.push_back(a.members()[ranks[rank]]);
        if (static_cast<int>(ranks[rank]) == self) mine.insert(rank);
      }
      for (size_t rank = 0; rank < replicas; ++rank) {
        const uint64_t rkey = ReplicaKey(key, rank);
        if (mine.count(rank) > 0) {
          owned_keys.insert(rkey);
          add(out, target, rank);
          continue;
        }
        if (delay <= absl::ZeroDuration() ||
            state.owned_keys.count(rkey) == 0) {
          continue;
        }
        // Handed on before and no longer ours: keep it until the new
        // owner has had its first scrape.
        auto was = state.leaving.find(rkey);
        const absl::Time until =
            was != state.leaving.end() ? was->second : now + delay;
        if (until > now) {
          owned_keys.insert(rkey);
          leaving[rkey] = until;
          add(out, target, rank);
        }
      }
      owners.push_back(std::move(owner));
    }
    // Empty groups stay: the engine sees the same groups, fewer targets.
    owned.push_back(std::move(out));
  }
  state.leaving = std::move(leaving);
  if (!state.leaving.empty() && state.timer == 0) {
    absl::Time next = absl::InfiniteFuture();
    for (const auto& [k, until] : state.leaving) next = std::min(next, until);
    state.timer = options_.scheduler->RunAt(
        next, [this, job] { OnHandoverTimer(job); });
  }
  if (!force && owned_keys == state.owned_keys && owned == state.owned) return;
  // Vanished targets get staleness unless every one of them was handed
  // over (still in discovery's set, owned by another member now).
  std::set<uint64_t> all_keys;
  for (uint64_t h : hashes) {
    for (size_t rank = 0; rank < replicas; ++rank) {
      all_keys.insert(ReplicaKey(h, rank));
    }
  }
  bool stale_vanished = false;
  int64_t changed = 0;
  for (uint64_t k : state.owned_keys) {
    if (owned_keys.count(k) > 0) continue;
    ++changed;
    if (all_keys.count(k) == 0) stale_vanished = true;
  }
  for (uint64_t k : owned_keys) changed += state.owned_keys.count(k) == 0;
  changes_.Add(static_cast<double>(changed));
  state.owned = std::move(owned);
  state.owned_keys = std::move(owned_keys);
  downstream_(job, state.owned, stale_vanished);
}

void OwnershipFilter::UpdateStatsLocked() {
  Share share;
  share.self = self_;
  share.members = members_;
  for (const auto& [job, owners] : owners_) {
    for (const auto& owner : owners) {
      ++share.total_targets;
      if (std::find(owner.owners.begin(), owner.owners.end(), self_) !=
          owner.owners.end()) {
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
