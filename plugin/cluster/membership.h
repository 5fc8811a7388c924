#ifndef PLUGIN_CLUSTER_MEMBERSHIP_H_
#define PLUGIN_CLUSTER_MEMBERSHIP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/cluster/etcd_client.h"
#include "plugin/common/clock.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/metrics/registry.h"

namespace promscrape::cluster {

// The value of a member key: the member id, and once the member has
// published hand-over readiness for a member set, "\nready=" and that set's
// MemberSetHash in 16 hex digits.
std::string MemberKeyValue(absl::string_view member_id, uint64_t ready);
// The readiness in a member key's value (MemberKeyValue); 0 when it carries
// none or cannot be read.
uint64_t ReadyOf(absl::string_view value);

// This plugin instance's membership in a cluster kept in etcd. The member
// holds the key `/promscrape/<name>/members/<member_id>` attached to a
// lease of `lease_ttl` and keeps the lease alive (every lease_ttl / 3, at
// most every second). The member set comes from etcd's Watch API: the
// watch thread lists the prefix once, then watches it from the listed
// revision, and lists again (then watches again) when the stream breaks or
// its revision was compacted. A member whose process died disappears when
// its lease expires. Every change of the member set or of a member's
// readiness is handed to `on_change`, within the watch's latency
// (milliseconds) of the change in etcd, which bounds double scrapes at
// hand-over.
//
// Start does not wait for etcd. Until the first registration and listing
// succeed the member owns nothing (the filter's default); an unreachable
// etcd at start is logged once, and the member joins when etcd answers.
//
// Fail static: while etcd cannot be reached, the last member set stays in
// force until the lease would have expired (lease_ttl after the last
// successful keep-alive); then the member hands on an empty set (it owns
// nothing), logs it and counts it in promscrape_cluster_lease_lost_total.
// Once etcd answers again it registers with a new lease.
//
// Hand-over readiness: SetReady(h) makes the member key's value say "ready
// for member set h" (MemberKeyValue); every member reads the others'
// readiness from the same watch and hands it on with the member set. One
// put per member per member-set change, whatever the number of targets.
//
// Thread-safe. Two threads, both started by Start: the membership thread
// makes every unary etcd call and runs `on_change` (which must not call
// Stop()); the watch thread holds the watch stream. A unary call blocks for
// at most the client's deadline (2s).
class Membership {
 public:
  struct Options {
    std::string name;
    std::string member_id;
    absl::Duration lease_ttl = absl::Seconds(10);
    // Wait between attempts to list and watch again after a failure.
    absl::Duration rewatch_backoff = absl::Milliseconds(250);
    const Clock* clock = nullptr;  // default Clock::Real()
  };

  struct View {
    // Members in etcd as last listed and watched, sorted.
    std::vector<std::string> members;
    // The member set in force: `members`, or empty after the lease was lost.
    bool owning = false;
    bool etcd_up = false;
    absl::Time last_contact = absl::InfinitePast();
    std::string etcd_endpoint;
  };

  // What the member hands on: the member set in force and, for each of its
  // members, the member set it last said it is ready for (0: none).
  struct MemberSet {
    std::vector<std::string> members;  // sorted
    std::map<std::string, uint64_t> ready;
    bool operator==(const MemberSet& o) const {
      return members == o.members && ready == o.ready;
    }
  };
  using ChangeFn = std::function<void(const MemberSet& set)>;

  // `registry` and `logger` must outlive the membership.
  Membership(Options options, std::unique_ptr<EtcdClient> client,
             ChangeFn on_change, metrics::Registry& registry,
             const Logger& logger);
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;
  // Equivalent to Stop().
  ~Membership();

  // Starts the threads; returns at once (registration happens on the
  // membership thread).
  void Start() ABSL_LOCKS_EXCLUDED(mu_);

  // Stops the threads and revokes the lease, so the other members take this
  // one's targets at once. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  // A hand-over for a member that stops: revokes the lease (the others take
  // this member's targets), keeps the member set it has in force (this
  // member goes on scraping what it owns) and waits until every remaining
  // member is ready for the member set without this one, or `max_wait`
  // passed, or etcd cannot be reached; then Stop(). Blocks.
  void Leave(absl::Duration max_wait) ABSL_LOCKS_EXCLUDED(mu_);

  // Publishes this member's hand-over readiness for the member set with
  // MemberSetHash `member_set` (0: withdraws it). Returns at once; the
  // membership thread puts it if that set is the one in force. Takes only
  // mu_, which is never held around `on_change`, so `on_change`'s own locks
  // may be held by the caller.
  void SetReady(uint64_t member_set) ABSL_LOCKS_EXCLUDED(mu_);

  View view() const ABSL_LOCKS_EXCLUDED(mu_);
  // Replaces the view (for a membership that was never started).
  void SetViewForTest(View view) ABSL_LOCKS_EXCLUDED(mu_) {
    MutexLock lock(&mu_);
    view_ = std::move(view);
  }
  const std::string& member_id() const { return options_.member_id; }
  std::string prefix() const;

 private:
  void Run();
  void RunWatch();
  // A keep-alive when due (registering if needed); publishes the watched
  // member set when it changed.
  void Round() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status Register();
  void Publish(MemberSet set) ABSL_LOCKS_EXCLUDED(mu_);

  const Options options_;
  const Clock& clock_;
  const ChangeFn on_change_;
  const Logger& logger_;
  metrics::Metric& etcd_up_;
  metrics::Metric& etcd_errors_;
  metrics::Metric& lease_lost_;
  metrics::Metric& members_gauge_;

  // Touched by the round thread only (and by Stop after joining it).
  std::unique_ptr<EtcdClient> client_;
  int64_t lease_ = 0;
  // Last successful keep-alive (or registration), and last attempt.
  absl::Time last_keepalive_ = absl::InfinitePast();
  absl::Time keepalive_sent_ = absl::InfinitePast();
  absl::Status keepalive_status_;
  bool lost_ = false;
  bool ever_registered_ = false;
  bool start_failure_logged_ = false;
  uint64_t seen_generation_ = 0;
  bool published_once_ = false;
  MemberSet published_;

  mutable Mutex mu_;
  CondVar cv_;
  View view_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Written by the watch thread: the member keys under prefix() (member
  // id -> readiness in its value), whether a listing succeeded yet, and a
  // count of changes.
  std::map<std::string, uint64_t> watched_ ABSL_GUARDED_BY(mu_);
  bool listed_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  // Readiness asked for by SetReady, whether the round has seen it, and
  // what the member key's value says now.
  uint64_t ready_wanted_ ABSL_GUARDED_BY(mu_) = 0;
  bool ready_dirty_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t ready_put_ = 0;  // round thread only
  // Leave(): asked for, and the lease revoked by the membership thread
  // (which from then on neither registers nor hands changes on).
  bool leaving_ ABSL_GUARDED_BY(mu_) = false;
  bool left_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
  // The watch thread's own client (CancelWatch is thread-safe).
  std::unique_ptr<EtcdClient> watch_client_;
  std::thread watch_thread_;
};

}  // namespace promscrape::cluster

#endif  // PLUGIN_CLUSTER_MEMBERSHIP_H_
