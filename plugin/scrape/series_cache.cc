#include "plugin/scrape/series_cache.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

namespace promscrape::scrape {

namespace {

uint64_t NextCacheId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

struct SeriesCache::ByLabelsIndex {
  const Slots* slots = nullptr;
  uint64_t owner = 0;  // SeriesCache::id_; 0: none
  int64_t iter = 0;
  absl::flat_hash_set<uint32_t, ByLabelsHash, ByLabelsEq> set{
      0, ByLabelsHash{&slots}, ByLabelsEq{&slots}};
};

SeriesCache::ByLabelsIndex& SeriesCache::ByLabels() {
  // Never moved: the set's functors point at its `slots`.
  static thread_local ByLabelsIndex index;
  if (index.owner != id_ || index.iter != iter_) {
    // clear() frees a large table; the build below sizes it for this cache.
    index.set.clear();
    index.slots = &slots_;
    index.owner = id_;
    index.iter = iter_;
    index.set.reserve(states_.size());
    for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
      if (slots_[slot].own != nullptr) index.set.insert(slot);
    }
  }
  return index;
}

SeriesCache::SeriesCache(const model::Labels& shared,
                         model::LabelSetPool* pool,
                         MetadataPool* metadata_pool)
    : shared_compact_(shared),
      pool_(pool),
      states_(0, ByKeyHash{&slots_}, ByKeyEq{&slots_}),
      id_(NextCacheId()),
      metadata_pool_(metadata_pool) {}

SeriesCache::~SeriesCache() {
  for (const SeriesState& state : slots_) {
    if (state.own != nullptr) pool_->Release(state.own);
  }
  MutexLock lock(&meta_mu_);
  for (const MetaSlot& slot : metadata_) metadata_pool_->Release(slot.entry);
}

void SeriesCache::Prepare(const std::vector<model::Label>& lset,
                          PreparedSeries* out) const {
  // Both sets are sorted by name: one merge walk decides whether `lset`
  // carries every shared label with its value, a second encodes the rest.
  // (The shared labels are walked in their compact form: the cache keeps
  // no other copy of them.)
  bool shares = !shared_compact_.empty();
  {
    auto it = lset.begin();
    for (const model::LabelView s : shared_compact_) {
      while (it != lset.end() && it->name < s.name) ++it;
      if (it == lset.end() || it->name != s.name || it->value != s.value) {
        shares = false;
        break;
      }
    }
  }
  out->own.clear();
  auto shared = shared_compact_.begin();
  const auto shared_end = shared_compact_.end();
  for (const model::Label& l : lset) {
    if (shares) {
      while (shared != shared_end && (*shared).name < l.name) ++shared;
      if (shared != shared_end && (*shared).name == l.name) continue;
    }
    model::CompactLabels::AppendEncoded(l.name, l.value, &out->own);
  }
  out->shares = shares;
  out->own_hash = model::LabelSetPool::HashOf(out->own);
  out->hash = MixShares(out->own_hash, shares);
}

uint32_t SeriesCache::NewState(const Fingerprint& key,
                               const PreparedSeries& p) {
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
    slots_[slot] = SeriesState();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    grew_ = true;
    if (slots_.size() == slots_.capacity()) {
      // Grow by an eighth, not double: the array is most of a target's
      // memory, and a doubled one would be up to half empty for good.
      slots_.reserve(slots_.size() + slots_.size() / 8 + 4);
    }
    slots_.emplace_back();
  }
  if (!times_.empty()) {
    if (times_.size() <= slot) times_.resize(slots_.capacity());
    times_[slot] = 0;
  }
  SeriesState& state = slots_[slot];
  state.key = key;
  state.own = pool_->Intern(p.own, p.own_hash);
  state.key_iter = stamp();
  // Neither this iteration nor the one before: not tracked, not appended.
  state.tracked_iter = stamp(2);
  state.appended_iter = stamp(2);
  state.alias_iter = stamp(2);
  state.shares_target = p.shares ? 1 : 0;
  return slot;
}

void SeriesCache::DeleteState(uint32_t slot) {
  SeriesState& state = slots_[slot];
  pool_->Release(state.own);
  state.own = nullptr;
  free_.push_back(slot);
}

SeriesState* SeriesCache::Get(const Fingerprint& key, bool* already_scraped) {
  auto it = states_.find(key);
  if (it != states_.end()) {
    SeriesState& state = slots_[*it];
    *already_scraped = state.key_iter == stamp();
    state.key_iter = stamp();
    return &state;
  }
  if (!aliases_.empty()) {
    auto alias = aliases_.find(key);
    if (alias != aliases_.end()) {
      *already_scraped = alias->second.last_iter == iter_;
      alias->second.last_iter = iter_;
      SeriesState& state = slots_[alias->second.series];
      state.alias_iter = stamp();
      return &state;
    }
  }
  *already_scraped = false;
  return nullptr;
}

SeriesState* SeriesCache::Add(const Fingerprint& key, const PreparedSeries& p) {
  auto& by_labels = ByLabels().set;
  auto found = by_labels.find(&p);
  if (found == by_labels.end()) {
    const uint32_t slot = NewState(key, p);
    states_.insert(slot);
    by_labels.insert(slot);
    return &slots_[slot];
  }
  // Another spelling of a known series.
  const uint32_t slot = *found;
  auto it = aliases_.find(key);
  if (it == aliases_.end()) {
    it = aliases_.emplace(key, Alias{slot, iter_}).first;
  }
  it->second.last_iter = iter_;
  slots_[slot].alias_iter = stamp();
  return &slots_[slot];
}

SeriesState* SeriesCache::FindSeries(const PreparedSeries& p) {
  auto& by_labels = ByLabels().set;
  auto it = by_labels.find(&p);
  return it == by_labels.end() ? nullptr : &slots_[*it];
}

bool SeriesCache::GetDropped(const Fingerprint& key) {
  // Most targets drop nothing: skip the probe.
  if (dropped_.empty()) return false;
  auto it = dropped_.find(key);
  if (it == dropped_.end()) return false;
  it->second = iter_;
  return true;
}

void SeriesCache::AddDropped(const Fingerprint& key) {
  dropped_[key] = iter_;
}

void SeriesCache::TrackStaleness(SeriesState* series) {
  if (series->tracked_iter == stamp()) return;
  if (series->tracked_iter == stamp(1)) ++retracked_;
  series->tracked_iter = stamp();
  ++cur_tracked_;
}

bool SeriesCache::IterDone(bool flush) {
  size_t count;
  {
    MutexLock lock(&meta_mu_);
    count = series_size() + dropped_.size() + metadata_.size();
  }
  bool forced = false;
  if (flush) {
    successful_count_ = count;
  } else if (count > successful_count_ * 2 + 1000) {
    flush = true;
    forced = true;
  }
  if (flush) {
    // A state goes when neither its own key nor any alias was seen in this
    // iteration. (An unseen embedded key whose state lives on through an
    // alias stays; it still names the same series.)
    absl::erase_if(aliases_,
                   [this](const auto& kv) { return kv.second.last_iter != iter_; });
    for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
      SeriesState& state = slots_[slot];
      if (state.own == nullptr) continue;
      if (state.key_iter == stamp() || state.alias_iter == stamp()) {
        Renormalize(state);
        continue;
      }
      // (A thread's by-labels index built in this iteration is stale once
      // iter_ moves on below; nothing to erase there.)
      states_.erase(slot);
      DeleteState(slot);
    }
    // Churn frees slots that later series reuse; a target that shrank for
    // good gives its memory back.
    if (slots_.size() >= 64 && states_.size() * 4 < slots_.size()) {
      Compact();
    } else if (slots_.capacity() > slots_.size() + slots_.size() / 4 + 8 ||
               (grew_ && slots_.capacity() > slots_.size())) {
      // More room than growth leaves (the array was built by a larger
      // scrape, or by a copy), or room left by this scrape's growth (up to
      // an eighth), which most targets, their set settled, would never
      // use. Given back now, in the scrape that allocated anyway, so a
      // warm scrape allocates nothing. Free slots count as used: the next
      // scrape's new series take them.
      slots_.shrink_to_fit();
      // (A kept times_ never becomes empty: empty means "not kept".)
      if (times_.size() > std::max<size_t>(slots_.size(), 1)) {
        times_.resize(std::max<size_t>(slots_.size(), 1));
        times_.shrink_to_fit();
      }
    }
    grew_ = false;
    absl::erase_if(dropped_,
                   [this](const auto& kv) { return kv.second != iter_; });
    MutexLock lock(&meta_mu_);
    absl::erase_if(metadata_, [this](const MetaSlot& slot) {
      if (iter_ - slot.last_iter <= 10) return false;
      metadata_pool_->Release(slot.entry);
      return true;
    });
  }
  if (!flush && (iter_ & 0x1fff) == 0) {
    // Failing scrapes flush nothing: keep the stamps from wrapping anyway.
    for (SeriesState& state : slots_) {
      if (state.own != nullptr) Renormalize(state);
    }
  }
  prev_tracked_ = cur_tracked_;
  cur_tracked_ = 0;
  retracked_ = 0;
  ++iter_;
  return forced;
}

void SeriesCache::KeepAppendTimes() {
  if (times_.empty()) times_.assign(std::max<size_t>(slots_.capacity(), 1), 0);
}

void SeriesCache::SetTime(SeriesState* series, int64_t t) {
  if (times_.empty()) {
    // Every append of this iteration so far was at the scrape's time; the
    // times of earlier iterations are never asked for without
    // KeepAppendTimes.
    times_.assign(std::max<size_t>(slots_.capacity(), 1), iter_time_ms_);
  }
  times_[static_cast<size_t>(series - slots_.data())] = t;
}

void SeriesCache::Renormalize(SeriesState& state) const {
  const uint16_t now = stamp();
  const uint16_t last = stamp(1);
  const uint16_t old = stamp(2);
  auto fix = [&](uint16_t s) { return s == now || s == last ? s : old; };
  state.tracked_iter = fix(state.tracked_iter) & 0x7fff;
  state.appended_iter = fix(state.appended_iter);
  state.key_iter = fix(state.key_iter);
  state.alias_iter = fix(state.alias_iter);
}

void SeriesCache::Compact() {
  Slots live;
  live.reserve(states_.size());
  std::vector<uint32_t> moved_to(slots_.size(), 0);
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    if (slots_[slot].own == nullptr) continue;
    moved_to[slot] = static_cast<uint32_t>(live.size());
    live.push_back(slots_[slot]);
  }
  if (!times_.empty()) {
    std::vector<int64_t> times(std::max<size_t>(live.size(), 1), 0);
    for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
      if (slots_[slot].own != nullptr) times[moved_to[slot]] = times_[slot];
    }
    times_.swap(times);
  }
  slots_.swap(live);
  free_.clear();
  free_.shrink_to_fit();
  // Fresh indexes: erasing never shrinks a hash table.
  states_ = decltype(states_)(slots_.size(), ByKeyHash{&slots_},
                              ByKeyEq{&slots_});
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    states_.insert(slot);
  }
  for (auto& [key, alias] : aliases_) alias.series = moved_to[alias.series];
}

const SeriesCache::MetaSlot& SeriesCache::MetaLocked(
    absl::string_view metric) {
  auto it = metadata_.find(metric);
  if (it == metadata_.end()) {
    it = metadata_
             .insert(MetaSlot{metadata_pool_->Intern(
                                  metric, model::MetricType::kUnknown, "", ""),
                              iter_})
             .first;
  }
  it->last_iter = iter_;
  return *it;
}

void SeriesCache::RepointLocked(const MetaSlot& slot, model::MetricType type,
                                absl::string_view help,
                                absl::string_view unit) {
  const MetaEntry* old = slot.entry;
  slot.entry = metadata_pool_->Intern(old->metric, type, help, unit);
  metadata_pool_->Release(old);
}

void SeriesCache::SetType(absl::string_view metric,
                          model::MetricType type) {
  MutexLock lock(&meta_mu_);
  const MetaSlot& slot = MetaLocked(metric);
  if (slot.entry->type != type) {
    RepointLocked(slot, type, slot.entry->help, slot.entry->unit);
  }
}

void SeriesCache::SetHelp(absl::string_view metric, absl::string_view help) {
  MutexLock lock(&meta_mu_);
  const MetaSlot& slot = MetaLocked(metric);
  if (slot.entry->help != help) {
    RepointLocked(slot, slot.entry->type, help, slot.entry->unit);
  }
}

void SeriesCache::SetUnit(absl::string_view metric, absl::string_view unit) {
  MutexLock lock(&meta_mu_);
  const MetaSlot& slot = MetaLocked(metric);
  if (slot.entry->unit != unit) {
    RepointLocked(slot, slot.entry->type, slot.entry->help, unit);
  }
}

}  // namespace promscrape::scrape
