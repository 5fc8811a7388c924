#include "plugin/scrape/series_cache.h"

#include <utility>

namespace promscrape::scrape {

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
  auto [state_it, inserted] = states_.try_emplace(lset);
  if (inserted) state_it->second.labels = lset;
  SeriesState* state = &state_it->second;
  auto [it, added] = series_.try_emplace(key);
  if (added) ++state->key_refs;
  it->second.series = state;
  it->second.last_iter = iter_;
  return &it->second;
}

SeriesState* SeriesCache::FindSeries(const labels::Labels& lset) {
  auto it = states_.find(lset);
  return it == states_.end() ? nullptr : &it->second;
}

bool SeriesCache::GetDropped(absl::string_view key) {
  auto it = dropped_.find(key);
  if (it == dropped_.end()) return false;
  it->second = iter_;
  return true;
}

void SeriesCache::AddDropped(absl::string_view key) {
  dropped_[key] = iter_;
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
        if (--state->key_refs == 0) states_.erase(states_.find(state->labels));
        series_.erase(it++);
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
