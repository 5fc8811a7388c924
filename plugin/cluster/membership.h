#ifndef PLUGIN_CLUSTER_MEMBERSHIP_H_
#define PLUGIN_CLUSTER_MEMBERSHIP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "plugin/cluster/etcd_client.h"
#include "plugin/common/clock.h"
#include "plugin/common/logging.h"
#include "plugin/common/mutex.h"
#include "plugin/metrics/registry.h"

namespace promscrape::cluster {

// This plugin instance's membership in a cluster kept in etcd. The member
// holds the key `/promscrape/<name>/members/<member_id>` attached to a
// lease of `lease_ttl`, keeps the lease alive (every lease_ttl / 3, at most
// every second), and lists the member set (keys under the prefix) once per
// `poll_interval`; a member whose process died disappears when its lease
// expires. Every change of the member set is handed to `on_change`. The
// short poll keeps members' views of a change within a quarter second of
// each other, which bounds double scrapes at hand-over.
//
// Fail static: while etcd cannot be reached, the last member set stays in
// force until the lease would have expired (lease_ttl after the last
// successful keep-alive); then the member hands on an empty set (it owns
// nothing), logs it and counts it in promscrape_cluster_lease_lost_total.
// Once etcd answers again it registers with a new lease.
//
// Thread-safe. One thread (started by Start) makes every etcd call, after
// Start's first round on the caller's thread; `on_change` runs there and
// must not call Stop(). A call blocks for at most the client's deadline
// (2s), so Start may too when etcd is unreachable.
class Membership {
 public:
  struct Options {
    std::string name;
    std::string member_id;
    absl::Duration lease_ttl = absl::Seconds(10);
    absl::Duration poll_interval = absl::Milliseconds(250);
    const Clock* clock = nullptr;  // default Clock::Real()
  };

  struct View {
    // Members listed in etcd at the last successful poll, sorted.
    std::vector<std::string> members;
    // The member set in force: `members`, or empty after the lease was lost.
    bool owning = false;
    bool etcd_up = false;
    absl::Time last_contact = absl::InfinitePast();
    std::string etcd_endpoint;
  };

  using ChangeFn = std::function<void(const std::vector<std::string>& members)>;

  // `registry` and `logger` must outlive the membership.
  Membership(Options options, std::unique_ptr<EtcdClient> client,
             ChangeFn on_change, metrics::Registry& registry,
             const Logger& logger);
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;
  // Equivalent to Stop().
  ~Membership();

  // Registers (one round, on the caller's thread, so a reachable etcd gives
  // the member set before Start returns) and starts the thread.
  void Start() ABSL_LOCKS_EXCLUDED(mu_);

  // Stops the thread and revokes the lease, so the other members take this
  // one's targets at once. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

  View view() const ABSL_LOCKS_EXCLUDED(mu_);
  const std::string& member_id() const { return options_.member_id; }
  std::string prefix() const;

 private:
  void Run();
  // One keep-alive and listing; publishes a changed member set.
  void Round() ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status Register();
  void Publish(std::vector<std::string> members) ABSL_LOCKS_EXCLUDED(mu_);

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
  bool lost_ = false;
  bool published_once_ = false;
  std::vector<std::string> published_;

  mutable Mutex mu_;
  CondVar cv_;
  View view_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace promscrape::cluster

#endif  // PLUGIN_CLUSTER_MEMBERSHIP_H_
