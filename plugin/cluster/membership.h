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
// MemberSetId in 16 hex digits.
std::string MemberKeyValue(absl::string_view member_id, uint64_t ready);
// The readiness in a member key's value (MemberKeyValue); 0 when it carries
// none or cannot be read.
uint64_t ReadyOf(absl::string_view value);

// The member keys under a cluster's prefix as etcd's Range and Watch show
// them: each member's readiness (ReadyOf its value) and the identity of the
// member-set change in force (MemberSetId). Every member that follows the
// same keys through the watch computes the same id for the same change.
//
// Thread-compatible (Membership keeps one under its lock).
class MemberKeys {
 public:
  struct Listed {
    std::string member;
    std::string value;
    int64_t create_revision = 0;
  };

  // A listing made at store revision `revision`. The first listing dates
  // the member set by its newest key's creation: exact unless a member left
  // after that and before the listing (then the id matches no member set
  // ever in force: hand-overs to and from this member end by their timeout,
  // never early). A later listing means the watch could not be resumed
  // (history compacted, or the store went back): the change it missed is
  // dated `revision`, an id no earlier member set had, for the same reason.
  void List(const std::vector<Listed>& keys, int64_t revision);

  // One watch event (EtcdClient::WatchEvent) for `member`'s key. A key
  // created or deleted changes the member set, dated by the event's
  // revision; a put to an existing key changes only its readiness.
  void Apply(const std::string& member, bool put, absl::string_view value,
             int64_t revision);

  bool listed() const { return listed_; }
  // The store revision seen so far: a broken watch resumes after it.
  int64_t revision() const { return revision_; }
  // Member id -> readiness in its key's value (ReadyOf).
  const std::map<std::string, uint64_t>& ready() const { return ready_; }
  std::vector<std::string> members() const;
  // MemberSetId of members() at the change that made it (0 before the first
  // listing).
  uint64_t set_id() const { return set_id_; }

 private:
  bool listed_ = false;
  int64_t revision_ = 0;
  std::map<std::string, uint64_t> ready_;
  uint64_t set_id_ = 0;
};

// This plugin instance's membership in a cluster kept in etcd. The member
// holds the key `/promscrape/<name>/members/<member_id>` attached to a
// lease of `lease_ttl` and keeps the lease alive (every lease_ttl / 3, at
// most every second). The member set comes from etcd's Watch API: the
// watch thread lists the prefix once, then watches it from the listed
// revision; when the stream breaks it watches again from the last revision
// it saw (so it sees every change, and dates it exactly: MemberKeys), and
// lists again only when that revision was compacted. A member whose process
// died disappears when its lease expires. Every change of the member set or of
// a member's readiness is handed to `on_change`, within the watch's latency
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
// Hand-over readiness: SetReady(id) makes the member key's value say "ready
// for the member set change `id`" (MemberKeyValue, MemberSetId); every
// member reads the others' readiness from the same watch and hands it on
// with the member set and its id. One put per member per member-set change,
// whatever the number of targets.
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
    // MemberSetId of `members` (0 before the first listing).
    uint64_t set_id = 0;
    // The member set in force: `members`, or empty after the lease was lost.
    bool owning = false;
    bool etcd_up = false;
    absl::Time last_contact = absl::InfinitePast();
    std::string etcd_endpoint;
  };

  // What the member hands on: the member set in force, its MemberSetId
  // (0 with no members) and, for each member, the member set id it last
  // said it is ready for (0: none).
  struct MemberSet {
    std::vector<std::string> members;  // sorted
    uint64_t id = 0;
    std::map<std::string, uint64_t> ready;
    bool operator==(const MemberSet& o) const {
      return members == o.members && id == o.id && ready == o.ready;
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

  // Publishes this member's hand-over readiness for the member set change
  // with MemberSetId `member_set` (0: withdraws it). Returns at once; the
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
  // Written by the watch thread: the member keys under prefix(), and a
  // count of changes.
  MemberKeys keys_ ABSL_GUARDED_BY(mu_);
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
