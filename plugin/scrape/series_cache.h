#ifndef PLUGIN_SCRAPE_SERIES_CACHE_H_
#define PLUGIN_SCRAPE_SERIES_CACHE_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "plugin/common/fingerprint.h"
#include "plugin/common/mutex.h"
#include "plugin/model/compact_labels.h"
#include "plugin/model/label_set_pool.h"
#include "plugin/model/labels.h"
#include "plugin/scrape/metadata_pool.h"
#include "plugin/textparse/parser.h"

// Prometheus' scrapeCache for one target.
namespace promscrape::scrape {

// One final label set of the target: what Prometheus' storage ref stands
// for. Fixed-size: its own labels (encoded; without the target's shared
// labels when `shares_target`) are an interned entry of a LabelSetPool,
// shared with every other target whose series has the same own labels. The
// first raw key that produced it is kept as a fingerprint, not as text (the
// text is the largest part of a series and is only ever compared). Other
// spellings of the same series (rare) are aliases pointing here; staleness
// is tracked per series, not per key.
struct SeriesState {
  // The fingerprint of the raw key (the series' text in the exposition)
  // that created this state.
  Fingerprint key;
  // Null for a free slot of the cache's state array.
  const model::LabelSetPool::Entry* own = nullptr;
  // 15-bit iteration stamps (SeriesCache::stamp()), only compared for
  // equality with the current iteration or the one before. The cache resets
  // every older stamp to "two ago" at each successful scrape and every 8,192
  // iterations, so a stale stamp can never wrap around into a false match.
  // - tracked_iter: last append without an explicit timestamp (or with one
  //   and track_timestamps_staleness); the staleness sets seriesPrev /
  //   seriesCur are "tracked_iter == stamp(1) / stamp(0)".
  // - appended_iter: last append (with SeriesCache::AppendedMs, to skip a
  //   second sample of the same series at the same time within one scrape).
  // - key_iter: last time the embedded key was seen.
  // - alias_iter: last time an alias key of it was seen.
  uint16_t tracked_iter : 15 = 0;
  uint16_t shares_target : 1 = 0;
  uint16_t appended_iter = 0;
  uint16_t key_iter = 0;
  uint16_t alias_iter = 0;
  // 32 bytes, the whole per-series cost besides a 4-byte slot of the by-key
  // index and (unless another target shares them) the interned labels.

  absl::string_view own_labels() const { return own->bytes(); }
};

static_assert(sizeof(SeriesState) == 32);

// A final label set as the cache stores it: its own labels encoded
// (CompactLabels payload; without the target's shared labels when the set
// carries all of them) and their hash. Equal sets give equal bytes, so the
// by-labels index compares and hashes these bytes, never label lists.
// Scratch: reuse one across lookups (the buffer keeps its capacity).
struct PreparedSeries {
  std::string own;
  bool shares = false;
  uint64_t own_hash = 0;  // LabelSetPool::HashOf(own)
  uint64_t hash = 0;      // own_hash with `shares` mixed in
};

// The caches: raw series keys (by Fingerprint::Of the series' bytes in the
// exposition) -> final labels, dropped series, the per-series staleness
// state and metadata.
//
// Series states live in one array (no heap block per series); the by-key
// index holds 4-byte slot numbers, and the by-labels index the miss path
// needs is built per thread when a scrape misses (ByLabels). A
// SeriesState* is valid until the next Add or IterDone.
//
// Thread-compatible, except the metadata which has its own lock:
// `ForEachMetadata` may run concurrently with everything else.
class SeriesCache {
 public:
  // `shared`: labels most series of the target carry with the same values
  // (its target labels); stored once here instead of in every series.
  // `pool`: where own label sets are interned, `metadata_pool`: where
  // metadata entries are (both must outlive the cache).
  explicit SeriesCache(
      const model::Labels& shared = model::Labels(),
      model::LabelSetPool* pool = &model::LabelSetPool::Default(),
      MetadataPool* metadata_pool = &MetadataPool::Default());
  ~SeriesCache();

  // The whole label set of `series`.
  model::SeriesLabels LabelsOf(const SeriesState& series) const {
    return model::SeriesLabels(
        series.own_labels(),
        series.shares_target ? shared_compact_.payload() : absl::string_view());
  }
  SeriesCache(const SeriesCache&) = delete;
  SeriesCache& operator=(const SeriesCache&) = delete;

  int64_t iter() const { return iter_; }
  // The shared (target) labels' payload, for SeriesLabels views.
  const model::CompactLabels& shared_labels() const { return shared_compact_; }
  absl::string_view shared_payload() const {
    return shared_compact_.payload();
  }
  // The stamp of the iteration `ago` iterations before this one.
  uint16_t stamp(int64_t ago = 0) const {
    return static_cast<uint16_t>((iter_ - ago) & 0x7fff);
  }

  // Looks up `key` and marks it seen in this iteration. Sets
  // `*already_scraped` when it was seen earlier in this iteration. Returns
  // null on a miss. No allocation.
  SeriesState* Get(const Fingerprint& key, bool* already_scraped);
  // Fills `out` with the cache's form of the final labels `lset` (sorted by
  // name, as model::Builder::current() keeps them).
  void Prepare(const std::vector<model::Label>& lset,
               PreparedSeries* out) const;
  // The whole label set of a prepared series (a view of `p`).
  model::SeriesLabels LabelsOf(const PreparedSeries& p) const {
    return model::SeriesLabels(
        p.own, p.shares ? shared_compact_.payload() : absl::string_view());
  }
  // Adds `key` -> the series `p` (shared with other keys that have the same
  // final labels).
  SeriesState* Add(const Fingerprint& key, const PreparedSeries& p);
  // The series with final labels `p` if some key maps to it, else null.
  SeriesState* FindSeries(const PreparedSeries& p);

  // Whether `key` is a dropped series (marks it seen).
  bool GetDropped(const Fingerprint& key);
  void AddDropped(const Fingerprint& key);

  // The scrape timestamp of this iteration: a series appended in it without
  // an explicit timestamp was appended at this time.
  void BeginIteration(int64_t scrape_ms) { iter_time_ms_ = scrape_ms; }
  // Keeps every series' last append time across iterations (start
  // timestamps' zero samples compare with it). Otherwise the times are kept
  // only once a target exposes explicit timestamps: without them every
  // append of an iteration is at its scrape timestamp, and the per-series
  // array (8 bytes a series) is not needed.
  void KeepAppendTimes();
  // Records an append of `series` at `t` in this iteration; `explicit_time`:
  // `t` came from the exposition, not the scrape.
  void SetAppended(SeriesState* series, int64_t t, bool explicit_time) {
    series->appended_iter = stamp();
    if (!times_.empty() || explicit_time || t != iter_time_ms_) {
      SetTime(series, t);
    }
  }
  // The time of the last append of `series`: exact when it was appended in
  // this iteration, or always after KeepAppendTimes (0 before any append).
  int64_t AppendedMs(const SeriesState& series) const {
    return times_.empty() ? iter_time_ms_
                          : times_[static_cast<size_t>(&series - slots_.data())];
  }

  // Marks `series` as present in this iteration for staleness.
  void TrackStaleness(SeriesState* series);
  // Calls `f(const model::SeriesLabels&)` for each series tracked in the previous iteration and
  // not in this one.
  template <typename F>
  void ForEachStale(F f) const;

  // Prometheus' iterDone: on `flush` (a successful non-empty scrape) or when
  // the caches grew beyond 2 * last successful size + 1000, deletes entries
  // not seen in this iteration (metadata after 10 iterations); then starts
  // the next iteration. Returns whether a flush was forced.
  bool IterDone(bool flush);

  void SetType(absl::string_view metric, model::MetricType type);
  void SetHelp(absl::string_view metric, absl::string_view help);
  void SetUnit(absl::string_view metric, absl::string_view unit);
  // Calls `f(name, entry)` in unspecified order with the metadata lock held.
  template <typename F>
  void ForEachMetadata(F f) const;

  // Raw keys cached (embedded and aliases).
  size_t series_size() const { return states_.size() + aliases_.size(); }
  // Series states (each final label set once).
  size_t states_size() const { return states_.size(); }
  // Slots of the state array, live or free (tests: reuse and compaction).
  size_t slots_for_test() const { return slots_.size(); }
  size_t slot_capacity_for_test() const { return slots_.capacity(); }
  size_t dropped_size() const { return dropped_.size(); }

 private:
  struct Alias {
    uint32_t series = 0;  // slot in states_
    int64_t last_iter = 0;
  };
  using Slots = std::vector<SeriesState>;
  // The by-key index: slot numbers, found by their key's fingerprint.
  struct ByKeyHash {
    using is_transparent = void;
    const Slots* slots = nullptr;
    size_t operator()(const Fingerprint& k) const {
      return Fingerprint::Hash()(k);
    }
    size_t operator()(uint32_t i) const { return (*this)((*slots)[i].key); }
  };
  struct ByKeyEq {
    using is_transparent = void;
    const Slots* slots = nullptr;
    const Fingerprint& V(const Fingerprint& k) const { return k; }
    const Fingerprint& V(uint32_t i) const { return (*slots)[i].key; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return V(a) == V(b);
    }
  };
  // The by-labels index: slot numbers, found by their final labels (a
  // prepared set being looked up, or a state already stored). Equal own
  // labels share one interned entry, so two states compare by pointer.
  static uint64_t MixShares(uint64_t own_hash, bool shares) {
    return shares ? own_hash ^ 0x9e3779b97f4a7c15u : own_hash;
  }
  // The functors reach the states through the index's `slots` field, which
  // points at the cache the index currently serves.
  struct ByLabelsHash {
    using is_transparent = void;
    const Slots* const* slots = nullptr;
    size_t operator()(uint32_t i) const {
      const SeriesState& s = (**slots)[i];
      return MixShares(s.own->hash(), s.shares_target != 0);
    }
    size_t operator()(const PreparedSeries* p) const { return p->hash; }
  };
  struct ByLabelsEq {
    using is_transparent = void;
    const Slots* const* slots = nullptr;
    bool Same(uint32_t i, const PreparedSeries* p) const {
      const SeriesState& s = (**slots)[i];
      return (s.shares_target != 0) == p->shares && s.own_labels() == p->own;
    }
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(uint32_t a, const PreparedSeries* b) const {
      return Same(a, b);
    }
    bool operator()(const PreparedSeries* a, uint32_t b) const {
      return Same(b, a);
    }
  };

  // Only the miss path (a raw key not seen before) looks series up by
  // their labels, so the index is not kept per target (it would be a
  // tenth of the cache): each thread keeps one, built from the states of
  // the cache and iteration it last served and rebuilt when asked for by
  // another. A scrape appends on one thread from start to IterDone, so a
  // target's misses in one scrape build it once.
  struct ByLabelsIndex;
  ByLabelsIndex& ByLabels();

  uint32_t NewState(const Fingerprint& key, const PreparedSeries& p);
  void DeleteState(uint32_t slot);
  void SetTime(SeriesState* series, int64_t t);
  // Sets every stamp of `state` older than the last iteration to stamp(2).
  void Renormalize(SeriesState& state) const;
  // Moves the live states to the front of a right-sized array and rebuilds
  // the indexes (after evictions left most slots free).
  void Compact();

  // One family's metadata in this target: an interned entry and when it was
  // last seen. Keyed by the entry's metric name; `entry` is replaced by one
  // with the same name when the type, help or unit changes.
  struct MetaSlot {
    mutable const MetaEntry* entry = nullptr;
    mutable int64_t last_iter = 0;
  };
  struct MetaSlotHash {
    using is_transparent = void;
    size_t operator()(absl::string_view name) const {
      return absl::Hash<absl::string_view>()(name);
    }
    size_t operator()(const MetaSlot& s) const {
      return (*this)(absl::string_view(s.entry->metric));
    }
  };
  struct MetaSlotEq {
    using is_transparent = void;
    static absl::string_view N(absl::string_view n) { return n; }
    static absl::string_view N(const MetaSlot& s) { return s.entry->metric; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return N(a) == N(b);
    }
  };
  // The slot of `metric`, made (with empty metadata) if new, marked seen.
  const MetaSlot& MetaLocked(absl::string_view metric)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(meta_mu_);
  // Points `slot` at the interned form of the given metadata.
  void RepointLocked(const MetaSlot& slot, model::MetricType type,
                     absl::string_view help, absl::string_view unit)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(meta_mu_);

  const model::CompactLabels shared_compact_;
  model::LabelSetPool* const pool_;
  int64_t iter_ = 0;
  size_t successful_count_ = 0;
  // The states (free slots have a null `own`; their numbers are in free_).
  Slots slots_;
  std::vector<uint32_t> free_;
  // A series was added at the end of slots_ since the last flush.
  bool grew_ = false;
  // Last append time per slot; empty until needed (KeepAppendTimes,
  // SetAppended at a time other than the scrape's).
  std::vector<int64_t> times_;
  int64_t iter_time_ms_ = 0;
  // Live slots by their key's fingerprint.
  absl::flat_hash_set<uint32_t, ByKeyHash, ByKeyEq> states_;
  // Which cache a thread's ByLabelsIndex was built for (never reused).
  const uint64_t id_;
  // Further raw keys of existing states.
  absl::flat_hash_map<Fingerprint, Alias, Fingerprint::Hash> aliases_;
  absl::flat_hash_map<Fingerprint, int64_t, Fingerprint::Hash> dropped_;
  // Staleness bookkeeping that lets a scrape with no vanished series skip
  // the scan over all series.
  size_t prev_tracked_ = 0;  // Tracked in iteration iter_ - 1.
  size_t cur_tracked_ = 0;   // Tracked in iteration iter_.
  size_t retracked_ = 0;     // Of cur_tracked_, those also in prev.

  MetadataPool* const metadata_pool_;
  mutable Mutex meta_mu_;
  absl::flat_hash_set<MetaSlot, MetaSlotHash, MetaSlotEq> metadata_
      ABSL_GUARDED_BY(meta_mu_);
};

template <typename F>
void SeriesCache::ForEachStale(F f) const {
  if (retracked_ == prev_tracked_) return;
  for (const SeriesState& state : slots_) {
    if (state.own != nullptr && state.tracked_iter == stamp(1)) {
      f(LabelsOf(state));
    }
  }
}

template <typename F>
void SeriesCache::ForEachMetadata(F f) const {
  MutexLock lock(&meta_mu_);
  for (const MetaSlot& slot : metadata_) f(slot.entry->metric, *slot.entry);
}

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_SERIES_CACHE_H_
