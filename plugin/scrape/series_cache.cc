#include "plugin/scrape/series_cache.h"

#include <cstring>
#include <new>
#include <utility>
#include <vector>

namespace promscrape::scrape {

SeriesCache::SeriesCache(const model::Labels& shared)
    : shared_(shared),
      shared_compact_(shared),
      by_labels_(0, ByLabelsHash(), ByLabelsEq()) {}

SeriesCache::~SeriesCache() {
  for (SeriesState* state : states_) DeleteState(state);
}

void SeriesCache::Prepare(const std::vector<model::Label>& lset,
                          PreparedSeries* out) const {
  // Both sets are sorted by name: one merge walk decides whether `lset`
  // carries every shared label with its value, a second encodes the rest.
  bool shares = !shared_.empty();
  {
    auto it = lset.begin();
    for (const model::Label& s : shared_) {
      while (it != lset.end() && it->name < s.name) ++it;
      if (it == lset.end() || it->name != s.name || it->value != s.value) {
        shares = false;
        break;
      }
    }
  }
  out->own.clear();
  auto shared = shared_.begin();
  for (const model::Label& l : lset) {
    if (shares) {
      while (shared != shared_.end() && shared->name < l.name) ++shared;
      if (shared != shared_.end() && shared->name == l.name) continue;
    }
    model::CompactLabels::AppendEncoded(l.name, l.value, &out->own);
  }
  out->shares = shares;
  out->hash = OwnHash(out->own, shares);
}

SeriesState* SeriesCache::NewState(const Fingerprint& key,
                                   const PreparedSeries& p) {
  void* block = ::operator new(sizeof(SeriesState) + p.own.size());
  auto* state = new (block) SeriesState();
  state->key = key;
  state->key_iter = iter32();
  // Neither this iteration nor the one before: not tracked.
  state->tracked_iter = iter32() - 2;
  state->labels_size = static_cast<uint32_t>(p.own.size()) & 0x7fffffffu;
  state->shares_target = p.shares ? 1 : 0;
  if (!p.own.empty()) {
    std::memcpy(reinterpret_cast<char*>(state + 1), p.own.data(),
                p.own.size());
  }
  return state;
}

void SeriesCache::DeleteState(SeriesState* state) {
  state->~SeriesState();
  ::operator delete(state);
}

SeriesState* SeriesCache::Get(const Fingerprint& key, bool* already_scraped) {
  auto it = states_.find(key);
  if (it != states_.end()) {
    SeriesState* state = *it;
    *already_scraped = state->key_iter == iter32();
    state->key_iter = iter32();
    return state;
  }
  if (!aliases_.empty()) {
    auto alias = aliases_.find(key);
    if (alias != aliases_.end()) {
      *already_scraped = alias->second.last_iter == iter_;
      alias->second.last_iter = iter_;
      return alias->second.series;
    }
  }
  *already_scraped = false;
  return nullptr;
}

SeriesState* SeriesCache::Add(const Fingerprint& key, const PreparedSeries& p) {
  auto found = by_labels_.find(&p);
  if (found == by_labels_.end()) {
    SeriesState* state = NewState(key, p);
    states_.insert(state);
    by_labels_.insert(state);
    return state;
  }
  // Another spelling of a known series.
  SeriesState* state = *found;
  auto it = aliases_.find(key);
  if (it == aliases_.end()) {
    it = aliases_.emplace(key, Alias{state, iter_}).first;
    ++state->alias_refs;
  }
  it->second.last_iter = iter_;
  return state;
}

SeriesState* SeriesCache::FindSeries(const PreparedSeries& p) {
  auto it = by_labels_.find(&p);
  return it == by_labels_.end() ? nullptr : *it;
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
  if (series->tracked_iter == iter32()) return;
  if (series->tracked_iter == iter32() - 1) ++retracked_;
  series->tracked_iter = iter32();
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
    // Aliases first: a state goes when neither its own key nor any alias
    // was seen in this iteration. (An unseen embedded key whose state lives
    // on through an alias stays; it still names the same series.)
    for (auto it = aliases_.begin(); it != aliases_.end();) {
      if (it->second.last_iter != iter_) {
        --it->second.series->alias_refs;
        aliases_.erase(it++);
      } else {
        ++it;
      }
    }
    for (auto it = states_.begin(); it != states_.end();) {
      SeriesState* state = *it;
      if (state->key_iter != iter32() && state->alias_refs == 0) {
        by_labels_.erase(state);
        states_.erase(it++);
        DeleteState(state);
      } else {
        ++it;
      }
    }
    absl::erase_if(dropped_,
                   [this](const auto& kv) { return kv.second != iter_; });
    MutexLock lock(&meta_mu_);
    absl::erase_if(metadata_, [this](const auto& kv) {
      return iter_ - kv.second.last_iter > 10;
    });
  }
  prev_tracked_ = cur_tracked_;
  cur_tracked_ = 0;
  retracked_ = 0;
  ++iter_;
  return forced;
}

MetaEntry& SeriesCache::MetaLocked(absl::string_view metric) {
  auto it = metadata_.find(metric);
  if (it == metadata_.end()) it = metadata_.try_emplace(metric).first;
  it->second.last_iter = iter_;
  return it->second;
}

void SeriesCache::SetType(absl::string_view metric,
                          model::MetricType type) {
  MutexLock lock(&meta_mu_);
  MetaLocked(metric).type = type;
}

void SeriesCache::SetHelp(absl::string_view metric, absl::string_view help) {
  MutexLock lock(&meta_mu_);
  MetaEntry& e = MetaLocked(metric);
  if (e.help != help) e.help.assign(help.data(), help.size());
}

void SeriesCache::SetUnit(absl::string_view metric, absl::string_view unit) {
  MutexLock lock(&meta_mu_);
  MetaEntry& e = MetaLocked(metric);
  if (e.unit != unit) e.unit.assign(unit.data(), unit.size());
}

}  // namespace promscrape::scrape
