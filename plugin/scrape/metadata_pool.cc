#include "plugin/scrape/metadata_pool.h"

#include <tuple>

#include "absl/hash/hash.h"

namespace promscrape::scrape {

MetadataPool::~MetadataPool() {
  MutexLock lock(&mu_);
  for (MetaEntry* e : entries_) delete e;
}

MetadataPool& MetadataPool::Default() {
  // Never destroyed: caches may release entries while the process exits.
  static MetadataPool* const pool = new MetadataPool();
  return *pool;
}

uint64_t MetadataPool::HashOf(absl::string_view metric, model::MetricType type,
                              absl::string_view help, absl::string_view unit) {
  return absl::HashOf(metric, static_cast<int>(type), help, unit);
}

const MetaEntry* MetadataPool::Intern(absl::string_view metric,
                                      model::MetricType type,
                                      absl::string_view help,
                                      absl::string_view unit) {
  const Key key{metric, type, help, unit, HashOf(metric, type, help, unit)};
  MutexLock lock(&mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    ++(*it)->refs_;
    return *it;
  }
  auto* e = new MetaEntry();
  e->metric.assign(metric.data(), metric.size());
  e->type = type;
  e->help.assign(help.data(), help.size());
  e->unit.assign(unit.data(), unit.size());
  e->hash_ = key.hash;
  e->refs_ = 1;
  entries_.insert(e);
  return e;
}

void MetadataPool::Release(const MetaEntry* entry) {
  MutexLock lock(&mu_);
  MetaEntry* e = const_cast<MetaEntry*>(entry);
  if (--e->refs_ != 0) return;
  entries_.erase(e);
  delete e;
}

size_t MetadataPool::size() const {
  MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace promscrape::scrape
