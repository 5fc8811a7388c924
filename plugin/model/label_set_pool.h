#ifndef PLUGIN_MODEL_LABEL_SET_POOL_H_
#define PLUGIN_MODEL_LABEL_SET_POOL_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "plugin/common/mutex.h"

namespace promscrape::model {

// Interned encoded label sets (CompactLabels payloads), one copy per
// distinct set in the process, shared by every series cache that holds it.
//
// Why: the targets of one job mostly expose the same series. Fleets of
// node_exporters, of one service's replicas, differ in their target labels
// (instance, ...), which the series cache keeps once per target, not in
// their own labels: `node_cpu_seconds_total{cpu="0",mode="idle"}` is the
// same bytes on every host. Stored once, a series costs each target only its
// small fixed state instead of its labels.
//
// Entries are reference-counted; the bytes of an entry never change while a
// reference is held, so holders read them without a lock. Interning and
// releasing (a cache's miss and eviction paths, never a warm scrape) take the
// lock of one of 64 shards.
//
// Thread-safe.
class LabelSetPool {
 public:
  // One interned set: this header, then the bytes.
  class Entry {
   public:
    absl::string_view bytes() const {
      return absl::string_view(reinterpret_cast<const char*>(this + 1), size_);
    }
    // HashOf(bytes()).
    uint64_t hash() const { return hash_; }

   private:
    friend class LabelSetPool;
    uint64_t hash_ = 0;
    uint32_t size_ = 0;
    uint32_t refs_ = 0;  // Guarded by the entry's shard lock.
  };
  static_assert(sizeof(Entry) == 16);

  LabelSetPool() = default;
  ~LabelSetPool();
  LabelSetPool(const LabelSetPool&) = delete;
  LabelSetPool& operator=(const LabelSetPool&) = delete;

  // The pool series caches use unless told otherwise.
  static LabelSetPool& Default();

  // The hash Intern expects for `bytes`.
  static uint64_t HashOf(absl::string_view bytes);

  // The entry holding `bytes` (`hash` = HashOf(bytes)), made if new, with
  // one more reference for the caller.
  const Entry* Intern(absl::string_view bytes, uint64_t hash);
  // Drops one reference taken by Intern; the entry is freed with its last.
  void Release(const Entry* entry);

  // Distinct sets held (for tests and self-metrics).
  size_t size() const;

 private:
  struct ByBytesHash {
    using is_transparent = void;
    size_t operator()(const Entry* e) const { return e->hash(); }
    size_t operator()(const std::pair<absl::string_view, uint64_t>& k) const {
      return k.second;
    }
  };
  struct ByBytesEq {
    using is_transparent = void;
    static absl::string_view B(const Entry* e) { return e->bytes(); }
    static absl::string_view B(const std::pair<absl::string_view, uint64_t>& k) {
      return k.first;
    }
    template <typename A, typename C>
    bool operator()(const A& a, const C& c) const {
      return B(a) == B(c);
    }
  };
  struct Shard {
    mutable Mutex mu;
    absl::flat_hash_set<Entry*, ByBytesHash, ByBytesEq> entries
        ABSL_GUARDED_BY(mu);
  };
  static constexpr int kShardBits = 6;
  Shard& ShardOf(uint64_t hash) { return shards_[hash >> (64 - kShardBits)]; }

  std::array<Shard, 1 << kShardBits> shards_;
};

}  // namespace promscrape::model

#endif  // PLUGIN_MODEL_LABEL_SET_POOL_H_
