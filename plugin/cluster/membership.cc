#include "plugin/cluster/membership.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "plugin/cluster/assignment.h"
#include "plugin/common/thread_name.h"

namespace promscrape::cluster {
namespace {

absl::Duration KeepAliveInterval(const Membership::Options& o) {
  return std::min(o.lease_ttl / 3, absl::Seconds(1));
}

constexpr absl::string_view kReadyField = "\nready=";

}  // namespace

std::string MemberKeyValue(absl::string_view member_id, uint64_t ready) {
  if (ready == 0) return std::string(member_id);
  return absl::StrCat(member_id, kReadyField, absl::Hex(ready, absl::kZeroPad16));
}

uint64_t ReadyOf(absl::string_view value) {
  const size_t at = value.rfind(kReadyField);
  if (at == absl::string_view::npos) return 0;
  uint64_t ready = 0;
  if (!absl::SimpleHexAtoi(value.substr(at + kReadyField.size()), &ready)) {
    return 0;
  }
  return ready;
}

void MemberKeys::List(const std::vector<Listed>& keys, int64_t revision) {
  std::map<std::string, uint64_t> ready;
  int64_t newest = 0;
  for (const Listed& k : keys) {
    ready[k.member] = ReadyOf(k.value);
    newest = std::max(newest, k.create_revision);
  }
  // NOTE: dating a relisted set by its newest key could give the id of an
  // earlier set: A (dated by its newest key), B (one more member), A again
  // after B's member left, both A the same keys. `revision` is at least
  // the real change's revision and no earlier set can have it unless it is
  // exactly that change.
  const int64_t dated = listed_ || keys.empty() ? revision : newest;
  ready_ = std::move(ready);
  revision_ = revision;
  listed_ = true;
  set_id_ = MemberSetId(members(), dated);
}

void MemberKeys::Apply(const std::string& member, bool put,
                       absl::string_view value, int64_t revision) {
  revision_ = std::max(revision_, revision);
  auto it = ready_.find(member);
  if (put) {
    const bool joined = it == ready_.end();
    ready_[member] = ReadyOf(value);
    if (joined) set_id_ = MemberSetId(members(), revision);
  } else if (it != ready_.end()) {
    ready_.erase(it);
    set_id_ = MemberSetId(members(), revision);
  }
}

std::vector<std::string> MemberKeys::members() const {
  std::vector<std::string> out;
  out.reserve(ready_.size());
  for (const auto& [m, ready] : ready_) out.push_back(m);
  return out;
}

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
    if (started_ || stopping_) return;
    started_ = true;
  }
  watch_client_ = client_->Clone();
  watch_thread_ = std::thread([this] { RunWatch(); });
  thread_ = std::thread([this] { Run(); });
}

void Membership::Stop() {
  {
    MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.SignalAll();
  }
  if (watch_client_ != nullptr) watch_client_->CancelWatch();
  if (watch_thread_.joinable()) watch_thread_.join();
  if (thread_.joinable()) thread_.join();
  if (lease_ != 0) {
    absl::Status status = client_->LeaseRevoke(lease_);
    if (!status.ok()) {
      logger_.Warning("cluster: revoking the lease: ", status.ToString());
    }
    lease_ = 0;
  }
}

void Membership::SetReady(uint64_t member_set) {
  MutexLock lock(&mu_);
  if (member_set == ready_wanted_) return;
  ready_wanted_ = member_set;
  ready_dirty_ = true;
  cv_.SignalAll();
}

void Membership::Leave(absl::Duration max_wait) {
  {
    MutexLock lock(&mu_);
    if (!started_ || stopping_ || leaving_) {
      // Not started or already on the way out.
    } else {
      leaving_ = true;
      cv_.SignalAll();
      const absl::Time deadline = absl::Now() + max_wait;
      while (!stopping_) {
        if (left_) {
          // Done once the watch shows this member gone and every other
          // member ready for the change that removed it.
          bool done = keys_.ready().count(options_.member_id) == 0;
          for (const auto& [m, ready] : keys_.ready()) {
            done &= ready == keys_.set_id();
          }
          if (done) break;
        }
        const absl::Duration left = deadline - absl::Now();
        if (left <= absl::ZeroDuration()) {
          std::string members;
          for (const auto& [m, ready] : keys_.ready()) {
            absl::StrAppend(&members, members.empty() ? "" : ", ", m, "=",
                            absl::Hex(ready, absl::kZeroPad16));
          }
          logger_.Warning("cluster \"", options_.name,
                          "\": leaving without every member's readiness "
                          "after ", absl::FormatDuration(max_wait),
                          " (members and readiness: ", members, ")");
          break;
        }
        cv_.WaitWithTimeout(&mu_, left);
      }
    }
  }
  Stop();
}

Membership::View Membership::view() const {
  MutexLock lock(&mu_);
  return view_;
}

void Membership::Run() {
  SetCurrentThreadName("ps-cluster");
  const absl::Duration keepalive = KeepAliveInterval(options_);
  Round();
  while (true) {
    {
      MutexLock lock(&mu_);
      // Wakes for the next keep-alive, or at once when the watch thread
      // saw a change or readiness is to be published.
      absl::Time deadline = absl::Now() + keepalive;
      while (!stopping_ && generation_ == seen_generation_ && !ready_dirty_ &&
             !(leaving_ && !left_)) {
        absl::Duration left = deadline - absl::Now();
        if (left <= absl::ZeroDuration()) break;
        cv_.WaitWithTimeout(&mu_, left);
      }
      if (stopping_) return;
    }
    Round();
  }
}

void Membership::RunWatch() {
  SetCurrentThreadName("ps-cluster-watch");
  const std::string p = prefix();
  auto member_of = [&p](const std::string& key) -> std::string {
    return absl::StartsWith(key, p) ? key.substr(p.size()) : std::string();
  };
  bool failure_logged = false;
  // Whether keys_ can be brought up to date by watching from the revision
  // it saw last (false at first and after a compacted revision).
  bool resume = false;
  while (true) {
    int64_t revision = 0;
    absl::Status status;
    // NOTE: listed even when resuming: it checks that etcd answers and that
    // its store did not go back (a restored or wiped etcd), where a watch
    // from our revision would wait for revisions already reused.
    absl::StatusOr<std::vector<EtcdClient::KeyValue>> kvs =
        watch_client_->RangePrefix(p, &revision);
    if (kvs.ok()) {
      failure_logged = false;
      int64_t start = 0;
      {
        MutexLock lock(&mu_);
        if (stopping_) return;
        if (resume && revision >= keys_.revision()) {
          // Replays what the broken stream missed, each change with its own
          // revision, so this member dates it as the others did.
          start = keys_.revision() + 1;
        } else {
          std::vector<MemberKeys::Listed> listed;
          for (EtcdClient::KeyValue& kv : *kvs) {
            std::string m = member_of(kv.key);
            if (m.empty()) continue;
            listed.push_back({.member = std::move(m),
                              .value = std::move(kv.value),
                              .create_revision = kv.create_revision});
          }
          keys_.List(listed, revision);
          start = revision + 1;
          ++generation_;
          cv_.SignalAll();
        }
      }
      status = watch_client_->WatchPrefix(
          p, start, [&](const std::vector<EtcdClient::WatchEvent>& events) {
            MutexLock lock(&mu_);
            for (const EtcdClient::WatchEvent& e : events) {
              std::string m = member_of(e.key);
              if (m.empty()) continue;
              keys_.Apply(m, e.put, e.value, e.revision);
            }
            ++generation_;
            cv_.SignalAll();
          });
      if (absl::IsCancelled(status)) return;
      resume = !absl::IsOutOfRange(status);
    } else {
      status = kvs.status();
    }
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (!failure_logged) {
      failure_logged = true;
      logger_.Warning(
          "cluster \"", options_.name,
          "\": member watch ended; watching again: ", status.ToString());
    }
    MutexLock lock(&mu_);
    absl::Time deadline = absl::Now() + options_.rewatch_backoff;
    while (!stopping_) {
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) break;
      cv_.WaitWithTimeout(&mu_, left);
    }
    if (stopping_) return;
  }
}

absl::Status Membership::Register() {
  absl::StatusOr<int64_t> lease = client_->LeaseGrant(options_.lease_ttl);
  if (!lease.ok()) return lease.status();
  absl::Status status = client_->Put(
      absl::StrCat(prefix(), options_.member_id),
      MemberKeyValue(options_.member_id, 0), *lease);
  if (!status.ok()) return status;
  lease_ = *lease;
  ready_put_ = 0;
  logger_.Info("cluster \"", options_.name, "\": member \"",
               options_.member_id, "\" registered in etcd (lease ", lease_,
               ", ttl ", absl::FormatDuration(options_.lease_ttl), ")");
  return absl::OkStatus();
}

void Membership::Round() {
  bool leaving = false;
  {
    MutexLock lock(&mu_);
    if (left_) {
      // Nothing more to do until Stop; mark what woke the thread as seen.
      seen_generation_ = generation_;
      ready_dirty_ = false;
      return;
    }
    leaving = leaving_;
  }
  if (leaving) {
    // NOTE: a failed revoke leaves the key to its lease's expiry; Leave
    // then waits out its bound.
    if (lease_ != 0) {
      absl::Status status = client_->LeaseRevoke(lease_);
      if (!status.ok()) {
        logger_.Warning("cluster: revoking the lease: ", status.ToString());
      }
      lease_ = 0;
    }
    logger_.Info("cluster \"", options_.name, "\": member \"",
                 options_.member_id,
                 "\" leaving; scraping until the others are ready");
    MutexLock lock(&mu_);
    left_ = true;
    cv_.SignalAll();
    return;
  }
  const absl::Time now = clock_.Now();
  if (lease_ != 0 && now - keepalive_sent_ >= KeepAliveInterval(options_)) {
    keepalive_sent_ = now;
    absl::StatusOr<int64_t> ttl = client_->LeaseKeepAlive(lease_);
    if (absl::IsNotFound(ttl.status())) {
      logger_.Warning("cluster: ", ttl.status().message(),
                      "; registering again");
      lease_ = 0;
      keepalive_status_ = absl::OkStatus();
    } else {
      keepalive_status_ = ttl.status();
      if (keepalive_status_.ok()) last_keepalive_ = now;
    }
  }
  absl::Status status = lease_ == 0 ? absl::OkStatus() : keepalive_status_;
  bool registered = false;
  if (lease_ == 0) {
    status = Register();
    keepalive_status_ = status;
    if (status.ok()) {
      last_keepalive_ = now;
      keepalive_sent_ = now;
      ever_registered_ = true;
      registered = true;
    }
  }
  bool listed = false;
  std::map<std::string, uint64_t> watched;
  uint64_t set_id = 0;
  uint64_t ready_wanted = 0;
  {
    MutexLock lock(&mu_);
    seen_generation_ = generation_;
    listed = keys_.listed();
    watched = keys_.ready();
    set_id = keys_.set_id();
    ready_wanted = ready_wanted_;
    ready_dirty_ = false;
  }
  if (status.ok() && listed && watched.count(options_.member_id) == 0) {
    // NOTE: nothing is handed on until the watch shows this member's key:
    // only the watch event dates the change (MemberKeys), so a set handed
    // on before it would carry an id no other member uses.
    if (!registered) {
      // The key went away under a live lease (deleted by hand), or the
      // watch has not shown it yet: put it (back).
      status = client_->Put(absl::StrCat(prefix(), options_.member_id),
                            MemberKeyValue(options_.member_id, 0), lease_);
      if (status.ok()) ready_put_ = 0;
    }
    if (status.ok()) return;
  }
  std::vector<std::string> members;
  for (const auto& [m, ready] : watched) members.push_back(m);
  if (status.ok() && listed && ready_wanted != ready_put_ &&
      (ready_wanted == 0 || ready_wanted == set_id)) {
    // Readiness for another member set than this one is stale: the filter
    // asks again for the set it is handed next.
    status = client_->Put(absl::StrCat(prefix(), options_.member_id),
                          MemberKeyValue(options_.member_id, ready_wanted),
                          lease_);
    if (status.ok()) {
      ready_put_ = ready_wanted;
      watched[options_.member_id] = ready_wanted;
      if (ready_wanted != 0) {
        logger_.Info("cluster \"", options_.name, "\": ready for member set ",
                     absl::Hex(ready_wanted, absl::kZeroPad16), " (",
                     members.size(), " member(s))");
      }
    }
  }
  if (status.ok() && listed) {
    if (lost_) {
      logger_.Info("cluster \"", options_.name,
                   "\": etcd reachable again; owning targets again");
      lost_ = false;
    }
    etcd_up_.Set(1);
    {
      MutexLock lock(&mu_);
      view_.members = members;
      view_.set_id = set_id;
      view_.owning = true;
      view_.etcd_up = true;
      view_.last_contact = now;
      view_.etcd_endpoint = client_->endpoint();
    }
    Publish({.members = std::move(members),
             .id = set_id,
             .ready = std::move(watched)});
    return;
  }
  if (status.ok()) return;  // registered; the first listing is under way
  etcd_up_.Set(0);
  etcd_errors_.Increment();
  {
    MutexLock lock(&mu_);
    view_.etcd_up = false;
    view_.etcd_endpoint = client_->endpoint();
  }
  if (!ever_registered_) {
    if (!start_failure_logged_) {
      start_failure_logged_ = true;
      logger_.Error("cluster \"", options_.name,
                    "\": etcd unreachable at start; this member owns no "
                    "targets until it can register (retrying): ",
                    status.ToString());
      {
        MutexLock lock(&mu_);
        view_.owning = false;
      }
      lost_ = true;
      Publish(MemberSet{});
    }
    return;
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
    Publish(MemberSet{});
  } else if (!lost_) {
    logger_.Warning("cluster \"", options_.name,
                    "\": etcd call failed; keeping the last member set: ",
                    status.ToString());
  }
}

void Membership::Publish(MemberSet set) {
  if (published_once_ && set == published_) return;
  if (!published_once_ || set.members != published_.members) {
    members_gauge_.Set(static_cast<double>(set.members.size()));
    logger_.Info("cluster \"", options_.name, "\": ", set.members.size(),
                 " member(s) in force");
  }
  published_once_ = true;
  published_ = set;
  on_change_(set);
}

}  // namespace promscrape::cluster
