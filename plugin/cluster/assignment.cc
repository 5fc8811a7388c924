#include "plugin/cluster/assignment.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace promscrape::cluster {
namespace {

uint64_t Mix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

void HashPart(uint64_t& h, absl::string_view part) {
  for (unsigned char c : part) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  // A separator byte that cannot occur in label values' UTF-8 keeps
  // ("ab", "c") and ("a", "bc") apart.
  h ^= 0xff;
  h *= 0x100000001b3ULL;
}

}  // namespace

uint64_t StableHash(absl::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  HashPart(h, text);
  return Mix64(h);
}

uint64_t MemberSetHash(std::vector<std::string> members) {
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const std::string& m : members) HashPart(h, m);
  h = Mix64(h);
  return h == 0 ? 1 : h;
}

uint64_t MemberSetId(const std::vector<std::string>& members,
                     int64_t revision) {
  uint64_t h = 0xcbf29ce484222325ULL;
  HashPart(h, absl::StrCat(absl::Hex(MemberSetHash(members), absl::kZeroPad16),
                           "@", revision));
  h = Mix64(h);
  return h == 0 ? 1 : h;
}

uint64_t TargetKeyHash(absl::string_view job, absl::string_view scheme,
                       absl::string_view address,
                       absl::string_view metrics_path) {
  uint64_t h = 0xcbf29ce484222325ULL;
  HashPart(h, job);
  HashPart(h, scheme);
  HashPart(h, address);
  HashPart(h, metrics_path);
  return Mix64(h);
}

Assignment Assignment::Compute(std::vector<std::string> members,
                               absl::Span<const uint64_t> target_hashes,
                               const AssignmentOptions& options) {
  Assignment a;
  std::sort(members.begin(), members.end());
  a.members_ = std::move(members);
  a.target_count_ = target_hashes.size();
  const size_t m = a.members_.size();
  if (m == 0 || target_hashes.empty()) return a;
  a.replicas_ = static_cast<int>(
      std::clamp<size_t>(static_cast<size_t>(std::max(
                             1, options.replication_factor)),
                         1, m));
  const size_t r = static_cast<size_t>(a.replicas_);
  const size_t n = target_hashes.size();
  a.owners_.assign(n * r, 0);

  std::vector<uint64_t> member_seeds(m);
  for (size_t i = 0; i < m; ++i) member_seeds[i] = StableHash(a.members_[i]);
  const double bound = std::max(1.0, options.load_bound);
  const int64_t cap = static_cast<int64_t>(std::ceil(
      bound * static_cast<double>(n) * static_cast<double>(r) /
      static_cast<double>(m)));
  std::vector<int64_t> load(m, 0);

  // Placement order decides who is displaced when the bound binds, so it
  // must be the same on every member: by hash, then by position.
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) {
    if (target_hashes[x] != target_hashes[y]) {
      return target_hashes[x] < target_hashes[y];
    }
    return x < y;
  });

  std::vector<uint64_t> scores(m);
  for (uint32_t t : order) {
    const uint64_t th = target_hashes[t];
    for (size_t i = 0; i < m; ++i) scores[i] = Mix64(th ^ member_seeds[i]);
    uint32_t* out = &a.owners_[static_cast<size_t>(t) * r];
    for (size_t k = 0; k < r; ++k) {
      // Highest score among members below the bound and not yet chosen.
      int best = -1;
      for (size_t i = 0; i < m; ++i) {
        if (load[i] >= cap) continue;
        bool taken = false;
        for (size_t j = 0; j < k; ++j) taken |= out[j] == i;
        if (taken) continue;
        if (best < 0 || scores[i] > scores[static_cast<size_t>(best)]) {
          best = static_cast<int>(i);
        }
      }
      if (best < 0) {
        // Every member below the bound already holds a replica of this
        // target: the bound yields (it can, with replication, near the end
        // of the placement order); take the best member not chosen yet.
        for (size_t i = 0; i < m; ++i) {
          bool taken = false;
          for (size_t j = 0; j < k; ++j) taken |= out[j] == i;
          if (taken) continue;
          if (best < 0 || scores[i] > scores[static_cast<size_t>(best)]) {
            best = static_cast<int>(i);
          }
        }
      }
      out[k] = static_cast<uint32_t>(best);
      ++load[static_cast<size_t>(best)];
    }
  }
  return a;
}

std::vector<int64_t> Assignment::Loads() const {
  std::vector<int64_t> loads(members_.size(), 0);
  for (uint32_t o : owners_) ++loads[o];
  return loads;
}

int Assignment::IndexOf(absl::string_view member) const {
  auto it = std::lower_bound(members_.begin(), members_.end(), member);
  if (it == members_.end() || *it != member) return -1;
  return static_cast<int>(it - members_.begin());
}

}  // namespace promscrape::cluster
