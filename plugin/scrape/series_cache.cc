#include "plugin/scrape/series_cache.h"

#include <cstring>
#include <utility>
#include <vector>

namespace promscrape::scrape {

SeriesCache::Key SeriesCache::Key::Make(absl::string_view bytes) {
  const auto n = static_cast<uint32_t>(bytes.size());
  char* data = new char[sizeof n + n];
  std::memcpy(data, &n, sizeof n);
  if (n > 0) std::memcpy(data + sizeof n, bytes.data(), n);
  return Key(data);
}

SeriesCache::SeriesCache(const labels::Labels& shared)
    : shared_(shared),
      shared_compact_(shared),
      states_(0, StateHash(), StateEq{this}) {}

SeriesCache::~SeriesCache() {
  for (const auto& [key, entry] : series_) key.Free();
  for (const auto& [key, iter] : dropped_) key.Free();
}

absl::string_view SeriesCache::Key::view() const {
  uint32_t n = 0;
  std::memcpy(&n, data_, sizeof n);
  return absl::string_view(data_ + sizeof n, n);
}

SeriesCache::Entry* SeriesCache::Get(absl::string_view key,
                                     bool* already_scraped) {
  auto it = series_.find(key);
  if (it == series_.end()) {
    *already_scraped = false;
    return nullptr;
  }
  *already_scraped = it->second.last_iter == iter_;
  it->second.last_iter = iter_;
  return &it->second;
}

SeriesCache::Entry* SeriesCache::Add(absl::string_view key,
                                     const labels::Labels& lset) {
  const uint64_t hash = lset.Hash();
  auto state_it = states_.find(StateLookup{&lset, hash});
  if (state_it == states_.end()) {
    auto state = std::make_unique<SeriesState>();
    state->hash = hash;
    state->shares_target = !shared_.empty();
    for (const labels::Label& l : shared_) {
      if (lset.Get(l.name) != l.value) {
        state->shares_target = false;
        break;
      }
    }
    if (state->shares_target) {
      // Keep only the labels not shared; the merge restores the set.
      std::vector<labels::Label> own;
      own.reserve(lset.size());
      for (const labels::Label& l : lset) {
        if (!shared_.Has(l.name)) own.push_back(l);
      }
      state->labels =
          labels::CompactLabels(labels::Labels::FromUnsorted(std::move(own)));
    } else {
      state->labels = labels::CompactLabels(lset);
    }
    state_it = states_.insert(std::move(state)).first;
  }
  SeriesState* state = state_it->get();
  auto it = series_.find(key);
  if (it == series_.end()) {
    it = series_.emplace(Key::Make(key), Entry{}).first;
    ++state->key_refs;
  }
  it->second.series = state;
  it->second.last_iter = iter_;
  return &it->second;
}

SeriesState* SeriesCache::FindSeries(const labels::Labels& lset) {
  auto it = states_.find(StateLookup{&lset, lset.Hash()});
  return it == states_.end() ? nullptr : it->get();
}

bool SeriesCache::GetDropped(absl::string_view key) {
  auto it = dropped_.find(key);
  if (it == dropped_.end()) return false;
  it->second = iter_;
  return true;
}

void SeriesCache::AddDropped(absl::string_view key) {
  auto it = dropped_.find(key);
  if (it == dropped_.end()) {
    it = dropped_.emplace(Key::Make(key), 0).first;
  }
  it->second = iter_;
}

void SeriesCache::TrackStaleness(SeriesState* series) {
  if (series->tracked_iter == iter_) return;
  if (series->tracked_iter == iter_ - 1) ++retracked_;
  series->tracked_iter = iter_;
  ++cur_tracked_;
}

bool SeriesCache::IterDone(bool flush) {
  size_t count;
  {
    MutexLock lock(&meta_mu_);
    count = series_.size() + dropped_.size() + metadata_.size();
  }
  bool forced = false;
  if (flush) {
    successful_count_ = count;
  } else if (count > successful_count_ * 2 + 1000) {
    flush = true;
    forced = true;
  }
  if (flush) {
    for (auto it = series_.begin(); it != series_.end();) {
      if (it->second.last_iter != iter_) {
        SeriesState* state = it->second.series;
        // A series tracked in this iteration was seen under some key in this
        // iteration, so its state never loses its last key here.
        if (--state->key_refs == 0) {
          states_.erase(states_.find(static_cast<const SeriesState*>(state)));
        }
        it->first.Free();
        series_.erase(it++);
      } else {
        ++it;
      }
    }
    absl::erase_if(dropped_, [this](const auto& kv) {
      if (kv.second == iter_) return false;
      kv.first.Free();
      return true;
    });
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
                          textparse::MetricType type) {
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
