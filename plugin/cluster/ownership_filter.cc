#include "plugin/cluster/ownership_filter.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"

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

// How often a new owner looks whether its gained targets have been
// scraped: a twentieth of the interval (10ms to 1s), small against the
// interval so that the old owner's double scrapes end within one interval.
absl::Duration PollInterval(absl::Duration interval) {
  return std::clamp(interval / 20, absl::Milliseconds(10), absl::Seconds(1));
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
          "Targets this member started or stopped owning.")),
      handover_ready_(registry.Counter(
          "promscrape_cluster_handovers_total",
          "Targets this member stopped scraping after they moved to another "
          "member: once the new owner was ready (ready) or after waiting "
          "for it for cluster.handover_timeout, by default two intervals "
          "plus the lease TTL (timeout).",
          {{"outcome", "ready"}})),
      handover_timeout_(registry.Counter(
          "promscrape_cluster_handovers_total",
          "Targets this member stopped scraping after they moved to another "
          "member: once the new owner was ready (ready) or after waiting "
          "for it for cluster.handover_timeout, by default two intervals "
          "plus the lease TTL (timeout).",
          {{"outcome", "timeout"}})),
      handing_over_gauge_(registry.Gauge(
          "promscrape_cluster_handover_targets",
          "Targets this member still scrapes until their new owner is "
          "ready.")),
      ready_gauge_(registry.Gauge(
          "promscrape_cluster_ready",
          "1 once every target this member gained under the member set in "
          "force has had its first scrape (readiness published).")) {}

void OwnershipFilter::Sync(const std::string& job,
                           const std::vector<discovery::TargetGroup>& groups) {
  MutexLock lock(&mu_);
  synced_ = true;
  auto [it, first] = jobs_.try_emplace(job);
  Job& state = it->second;
  state.groups = groups;
  AssignLocked(job, state);
  // A job's first targets (at start, or a job new in the config) may be
  // scraped by their previous owners until this member says it is ready;
  // targets discovery adds later were nobody's.
  if (HandOnLocked(job, state, /*force=*/true) && first) {
    const absl::Duration interval = IntervalLocked(job);
    if (interval > absl::ZeroDuration() && options_.scheduler != nullptr) {
      state.pending_until = clock_.Now() + 2 * interval;
    }
  }
  if (groups.empty()) {
    jobs_.erase(job);
    owners_.erase(job);
  }
  ReadinessLocked();
  UpdateStatsLocked(/*targets=*/true);
}

void OwnershipFilter::SetSelf(std::string self) {
  MutexLock lock(&mu_);
  self_ = std::move(self);
  for (auto& [job, state] : jobs_) HandOnLocked(job, state, /*force=*/false);
  ReadinessLocked();
  UpdateStatsLocked(/*targets=*/true);
}

void OwnershipFilter::SetMembers(std::vector<std::string> members,
                                 std::map<std::string, uint64_t> ready,
                                 uint64_t member_set) {
  std::sort(members.begin(), members.end());
  if (members.empty()) {
    member_set = 0;
  } else if (member_set == 0) {
    member_set = MemberSetHash(members);
  }
  MutexLock lock(&mu_);
  if (members == members_ && member_set == member_set_ && ready == ready_) {
    return;
  }
  const bool changed = members != members_ || member_set != member_set_;
  // Members newly ready for the member set in force: only hand-overs to
  // them can end when the member set itself did not change.
  std::set<std::string> newly_ready;
  if (!changed) {
    for (const auto& [m, set] : ready) {
      auto was = ready_.find(m);
      if (set == member_set_ && (was == ready_.end() || was->second != set)) {
        newly_ready.insert(m);
      }
    }
  }
  members_ = std::move(members);
  ready_ = std::move(ready);
  member_set_ = member_set;
  const absl::Time now = clock_.Now();
  for (auto& [job, state] : jobs_) {
    if (!changed) {
      // NOTE: this looks at the leaving targets only, not at every target:
      // with many members, readiness changes come once per member.
      bool ends = false;
      for (const auto& [key, leaving] : state.leaving) {
        if (newly_ready.count(leaving.to) > 0) {
          ends = true;
          break;
        }
      }
      if (ends) HandOnLocked(job, state, /*force=*/false);
      continue;
    }
    AssignLocked(job, state);
    if (HandOnLocked(job, state, /*force=*/false)) {
      const absl::Duration interval = IntervalLocked(job);
      if (interval > absl::ZeroDuration() && options_.scheduler != nullptr) {
        state.pending_until = now + 2 * interval;
      }
    }
  }
  ReadinessLocked();
  UpdateStatsLocked(/*targets=*/changed);
}

void OwnershipFilter::OnTimer(uint64_t seq) {
  MutexLock lock(&mu_);
  if (seq == timer_seq_) timer_at_ = absl::InfiniteFuture();
  const absl::Time now = clock_.Now();
  for (auto& [job, state] : jobs_) {
    if (state.next_deadline <= now) HandOnLocked(job, state, /*force=*/false);
  }
  ReadinessLocked();
  UpdateStatsLocked(/*targets=*/false);
}

absl::Duration OwnershipFilter::IntervalLocked(const std::string& job) const {
  return options_.scrape_interval ? options_.scrape_interval(job)
                                  : absl::ZeroDuration();
}

absl::Duration OwnershipFilter::HandOverTimeoutLocked(
    const std::string& job) const {
  if (options_.handover_timeout > absl::ZeroDuration()) {
    return options_.handover_timeout;
  }
  return 2 * IntervalLocked(job) + options_.handover_grace;
}

void OwnershipFilter::AssignLocked(const std::string& job, Job& state) {
  state.hashes.clear();
  for (const auto& group : state.groups) {
    for (const auto& target : group.targets) {
      state.hashes.push_back(TargetKeyHash(
          job, Lookup(target, group.labels, model::kSchemeLabel),
          Lookup(target, group.labels, model::kAddressLabel),
          Lookup(target, group.labels, model::kMetricsPathLabel)));
    }
  }
  state.assignment =
      Assignment::Compute(members_, state.hashes,
                          {.replication_factor = options_.replication_factor,
                           .load_bound = options_.load_bound});
  std::vector<TargetOwner>& owners = owners_[job];
  owners.clear();
  size_t i = 0;
  for (const auto& group : state.groups) {
    for (const auto& target : group.targets) {
      TargetOwner owner;
      owner.job = job;
      owner.address =
          std::string(Lookup(target, group.labels, model::kAddressLabel));
      for (uint32_t m : state.assignment.owners(i++)) {
        owner.owners.push_back(state.assignment.members()[m]);
      }
      owners.push_back(std::move(owner));
    }
  }
}

std::vector<discovery::TargetGroup> OwnershipFilter::BuildLocked(
    const Job& state, const std::set<uint64_t>& keys) const {
  const size_t replicas =
      static_cast<size_t>(std::max(1, options_.replication_factor));
  std::vector<discovery::TargetGroup> out;
  size_t i = 0;
  for (const auto& group : state.groups) {
    discovery::TargetGroup g;
    g.labels = group.labels;
    g.source = group.source;
    for (const auto& target : group.targets) {
      const uint64_t key = state.hashes[i++];
      for (size_t rank = 0; rank < replicas; ++rank) {
        if (keys.count(ReplicaKey(key, rank)) == 0) continue;
        if (options_.replication_factor > 1) {
          std::vector<model::Label> labels = target.labels();
          labels.push_back({options_.replica_label, absl::StrCat(rank)});
          g.targets.push_back(model::Labels::FromUnsorted(std::move(labels)));
        } else {
          g.targets.push_back(target);
        }
      }
    }
    // Empty groups stay: the engine sees the same groups, fewer targets.
    out.push_back(std::move(g));
  }
  return out;
}

bool OwnershipFilter::HandOnLocked(const std::string& job, Job& state,
                                   bool force) {
  const absl::Time now = clock_.Now();
  const Assignment& a = state.assignment;
  const int self = a.IndexOf(self_);
  const absl::Duration interval = IntervalLocked(job);
  // A member outside the member set owns nothing and hands nothing over.
  const bool handing_over = self >= 0 && options_.scheduler != nullptr &&
                            interval > absl::ZeroDuration();
  const size_t replicas =
      static_cast<size_t>(std::max(1, options_.replication_factor));

  std::set<uint64_t> keys;  // owned and leaving
  std::set<uint64_t> handed_over;  // leaving no more, the new owner has them
  std::map<uint64_t, Leaving> leaving;
  absl::Time next_deadline = absl::InfiniteFuture();
  bool gained = false;
  int64_t by_ready = 0;
  int64_t by_timeout = 0;
  for (size_t i = 0; i < state.hashes.size(); ++i) {
    absl::Span<const uint32_t> ranks = a.owners(i);
    for (size_t rank = 0; rank < replicas; ++rank) {
      const uint64_t rkey = ReplicaKey(state.hashes[i], rank);
      const bool before = state.owned_keys.count(rkey) > 0;
      if (rank < ranks.size() && static_cast<int>(ranks[rank]) == self) {
        keys.insert(rkey);
        gained |= !before;
        continue;
      }
      if (!before) continue;
      if (!handing_over || rank >= ranks.size()) {
        handed_over.insert(rkey);
        continue;
      }
      // Scraped here and now another member's: keep scraping it until that
      // member is ready for this member set. A newer member set that moves
      // it to yet another member starts the wait again.
      const std::string& to = a.members()[ranks[rank]];
      auto was = state.leaving.find(rkey);
      const absl::Time deadline =
          was != state.leaving.end() && was->second.to == to
              ? was->second.deadline
              : now + HandOverTimeoutLocked(job);
      auto r = ready_.find(to);
      if (r != ready_.end() && r->second == member_set_) {
        handed_over.insert(rkey);
        ++by_ready;
        continue;
      }
      if (now >= deadline) {
        handed_over.insert(rkey);
        ++by_timeout;
        continue;
      }
      keys.insert(rkey);
      leaving.emplace(rkey, Leaving{to, deadline});
      next_deadline = std::min(next_deadline, deadline);
    }
  }
  state.leaving = std::move(leaving);
  state.next_deadline = next_deadline;
  handover_ready_.Add(static_cast<double>(by_ready));
  handover_timeout_.Add(static_cast<double>(by_timeout));
  if (!force && keys == state.owned_keys) return gained;

  // Targets gone from discovery get staleness markers; handed-over ones
  // must not (their series go on from the new owner). When both vanish at
  // once, the first call drops only the former.
  bool stale_vanished = false;
  int64_t changed = 0;
  for (uint64_t k : state.owned_keys) {
    if (keys.count(k) > 0) continue;
    ++changed;
    if (handed_over.count(k) == 0) stale_vanished = true;
  }
  for (uint64_t k : keys) changed += state.owned_keys.count(k) == 0;
  changes_.Add(static_cast<double>(changed));
  if (stale_vanished && !handed_over.empty()) {
    std::set<uint64_t> first = keys;
    first.insert(handed_over.begin(), handed_over.end());
    downstream_(job, BuildLocked(state, first), /*stale_vanished=*/true);
    stale_vanished = false;
  }
  state.owned = BuildLocked(state, keys);
  state.owned_keys = std::move(keys);
  downstream_(job, state.owned, stale_vanished);
  return gained;
}

void OwnershipFilter::ReadinessLocked() {
  const absl::Time now = clock_.Now();
  absl::Time next = absl::InfiniteFuture();
  // NOTE: no readiness before discovery's first targets: a member that
  // joins before its config's jobs arrive would otherwise say it is ready
  // for targets it does not scrape yet.
  const bool member =
      synced_ && member_set_ != 0 &&
      std::binary_search(members_.begin(), members_.end(), self_);
  bool awaiting = false;
  for (auto& [job, state] : jobs_) {
    next = std::min(next, state.next_deadline);
    if (state.pending_until == absl::InfinitePast()) continue;
    if (!member || now >= state.pending_until || !options_.all_scraped ||
        options_.all_scraped(job)) {
      state.pending_until = absl::InfinitePast();
      continue;
    }
    awaiting = true;
    next = std::min(
        next, std::min(state.pending_until,
                       now + PollInterval(IntervalLocked(job))));
  }
  const uint64_t ready = member && !awaiting ? member_set_ : 0;
  if (ready != published_ready_) {
    published_ready_ = ready;
    ready_gauge_.Set(ready != 0 ? 1 : 0);
    if (options_.on_ready) options_.on_ready(ready);
  }
  if (next != absl::InfiniteFuture()) ScheduleLocked(next);
}

void OwnershipFilter::ScheduleLocked(absl::Time when) {
  if (options_.scheduler == nullptr || timer_at_ <= when) return;
  timer_at_ = when;
  const uint64_t seq = ++timer_seq_;
  // NOTE: timers are never cancelled (Cancel waits for a running timer,
  // which waits for mu_); an earlier one only re-evaluates.
  options_.scheduler->RunAt(when, [this, seq] { OnTimer(seq); });
}

void OwnershipFilter::UpdateStatsLocked(bool targets) {
  int64_t handing_over = 0;
  for (const auto& [job, state] : jobs_) {
    handing_over += static_cast<int64_t>(state.leaving.size());
  }
  handing_over_gauge_.Set(static_cast<double>(handing_over));
  std::set<std::string> ready_members;
  for (const auto& [m, set] : ready_) {
    if (set != 0 && set == member_set_ &&
        std::binary_search(members_.begin(), members_.end(), m)) {
      ready_members.insert(m);
    }
  }
  if (!targets) {
    MutexLock lock(&stats_mu_);
    share_.handing_over = handing_over;
    share_.member_set = member_set_;
    share_.ready_for = published_ready_;
    share_.ready_members = std::move(ready_members);
    return;
  }
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
  share.handing_over = handing_over;
  share.member_set = member_set_;
  share.ready_for = published_ready_;
  share.ready_members = std::move(ready_members);
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
