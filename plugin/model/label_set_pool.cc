#include "plugin/model/label_set_pool.h"

#include <cstring>
#include <new>
#include <utility>

#include "absl/hash/hash.h"

namespace promscrape::model {

LabelSetPool::~LabelSetPool() {
  for (Shard& shard : shards_) {
    MutexLock lock(&shard.mu);
    for (Entry* e : shard.entries) {
      e->~Entry();
      ::operator delete(e);
    }
  }
}

LabelSetPool& LabelSetPool::Default() {
  // Never destroyed: caches of detached threads may release entries while
  // the process exits.
  static LabelSetPool* const pool = new LabelSetPool();
  return *pool;
}

uint64_t LabelSetPool::HashOf(absl::string_view bytes) {
  return absl::Hash<absl::string_view>()(bytes);
}

const LabelSetPool::Entry* LabelSetPool::Intern(absl::string_view bytes,
                                                uint64_t hash) {
  Shard& shard = ShardOf(hash);
  MutexLock lock(&shard.mu);
  auto it = shard.entries.find(std::make_pair(bytes, hash));
  if (it != shard.entries.end()) {
    ++(*it)->refs_;
    return *it;
  }
  void* block = ::operator new(sizeof(Entry) + bytes.size());
  auto* e = new (block) Entry();
  e->hash_ = hash;
  e->size_ = static_cast<uint32_t>(bytes.size());
  e->refs_ = 1;
  if (!bytes.empty()) {
    std::memcpy(reinterpret_cast<char*>(e + 1), bytes.data(), bytes.size());
  }
  shard.entries.insert(e);
  return e;
}

void LabelSetPool::Release(const Entry* entry) {
  Shard& shard = ShardOf(entry->hash());
  MutexLock lock(&shard.mu);
  Entry* e = const_cast<Entry*>(entry);
  if (--e->refs_ != 0) return;
  shard.entries.erase(e);
  e->~Entry();
  ::operator delete(e);
}

size_t LabelSetPool::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    MutexLock lock(&shard.mu);
    n += shard.entries.size();
  }
  return n;
}

}  // namespace promscrape::model
