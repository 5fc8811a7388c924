#ifndef PLUGIN_CLUSTER_ASSIGNMENT_H_
#define PLUGIN_CLUSTER_ASSIGNMENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace promscrape::cluster {

// A 64-bit hash of `text` that is the same in every process, build and
// machine (FNV-1a, then murmur3's finalizer): members must agree on it.
// absl::Hash is not stable across processes, so it cannot be used here.
uint64_t StableHash(absl::string_view text);

// The stable key of a target: its job and the parts of its scrape URL that
// are known before relabeling (scheme, address, metrics path, each only if
// the target or its group sets it). Members hash it to agree on the owner.
uint64_t TargetKeyHash(absl::string_view job, absl::string_view scheme,
                       absl::string_view address,
                       absl::string_view metrics_path);

// The identity of a member set, the same in every member: a stable hash of
// the sorted, distinct member ids (any order in `members`); never 0, which
// stands for "no member set". Hand-over readiness names the member set it
// was reached under by this value.
uint64_t MemberSetHash(std::vector<std::string> members);

// The identity of one member-set change, which hand-over readiness names:
// MemberSetHash(members) mixed with the etcd revision at which the member
// set became `members` (the revision of the put that added, or the delete
// that removed, a member key). Every member that saw the change computes the
// same id; a set that comes back (A, B, A) gets a new one, so readiness
// reached under the first A never counts for the second. Never 0.
uint64_t MemberSetId(const std::vector<std::string>& members, int64_t revision);

struct AssignmentOptions {
  // Owners per target (distinct members); capped at the member count.
  int replication_factor = 1;
  // No member gets more than ceil(load_bound * targets * replicas /
  // members) targets (consistent hashing with bounded loads, Mirrokni et
  // al. 2016). Must be >= 1.
  double load_bound = 1.05;
};

// Which members own which targets: rendezvous (highest random weight)
// hashing with bounded loads. A pure function of its inputs: every member
// that computes it from the same member ids and target hashes gets the same
// result, whatever the order of `members`.
//
// Targets are placed in the order of their hash; each goes to the
// `replication_factor` members with the highest score hash(member, target)
// that are still below the load bound. With far more targets than members
// the bound rarely binds, so a member joining or leaving moves about 1/N of
// the targets, as plain rendezvous hashing does.
//
// Thread-compatible (immutable after Compute).
class Assignment {
 public:
  Assignment() = default;

  // `members` may be in any order and must not repeat; an empty member list
  // gives no owners at all.
  static Assignment Compute(std::vector<std::string> members,
                            absl::Span<const uint64_t> target_hashes,
                            const AssignmentOptions& options);

  // The members, sorted; owner indices refer to this list.
  const std::vector<std::string>& members() const { return members_; }
  int replicas() const { return replicas_; }
  size_t target_count() const { return target_count_; }

  // The owners of target `i`, highest rank first (rank 0 is the primary);
  // empty when there are no members.
  absl::Span<const uint32_t> owners(size_t i) const {
    if (replicas_ == 0) return {};
    return absl::MakeConstSpan(owners_).subspan(i * replicas_, replicas_);
  }

  // The number of targets each member owns (any rank), by member index.
  std::vector<int64_t> Loads() const;

  // Index of `member` in members(), or -1.
  int IndexOf(absl::string_view member) const;

 private:
  std::vector<std::string> members_;
  int replicas_ = 0;
  size_t target_count_ = 0;
  // target_count_ * replicas_ member indices.
  std::vector<uint32_t> owners_;
};

}  // namespace promscrape::cluster

#endif  // PLUGIN_CLUSTER_ASSIGNMENT_H_
