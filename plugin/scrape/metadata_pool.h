#ifndef PLUGIN_SCRAPE_METADATA_POOL_H_
#define PLUGIN_SCRAPE_METADATA_POOL_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "plugin/common/mutex.h"
#include "plugin/model/metadata.h"

namespace promscrape::scrape {

// One family's TYPE/HELP/UNIT as a target exposes it. Immutable once
// interned: a target whose HELP changes points at another entry.
struct MetaEntry {
  std::string metric;
  model::MetricType type = model::MetricType::kUnknown;
  std::string help;
  std::string unit;

 private:
  friend class MetadataPool;
  uint64_t hash_ = 0;
  uint64_t refs_ = 0;  // Guarded by the pool's lock.
};

// Interned metadata entries, one copy per distinct (metric, type, help,
// unit) in the process, shared by the metadata caches of every target.
// The targets of a job expose the same families with the same help texts:
// stored per target they were over a kilobyte each (a map slot of three
// strings plus the help text's heap block, per family).
//
// Interning and releasing happen when a target's metadata changes (its
// first scrape, a new family, a new help text), never on a scrape that
// repeats the last one's metadata; one lock suffices.
//
// Thread-safe.
class MetadataPool {
 public:
  MetadataPool() = default;
  ~MetadataPool();
  MetadataPool(const MetadataPool&) = delete;
  MetadataPool& operator=(const MetadataPool&) = delete;

  // The pool metadata caches use unless told otherwise.
  static MetadataPool& Default();

  // The entry equal to the arguments, made if new, with one more reference.
  const MetaEntry* Intern(absl::string_view metric, model::MetricType type,
                          absl::string_view help, absl::string_view unit)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Drops one reference taken by Intern.
  void Release(const MetaEntry* entry) ABSL_LOCKS_EXCLUDED(mu_);

  // Distinct entries held (tests).
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Key {
    absl::string_view metric;
    model::MetricType type;
    absl::string_view help;
    absl::string_view unit;
    uint64_t hash;
  };
  static uint64_t HashOf(absl::string_view metric, model::MetricType type,
                         absl::string_view help, absl::string_view unit);
  struct EntryHash {
    using is_transparent = void;
    size_t operator()(const MetaEntry* e) const { return e->hash_; }
    size_t operator()(const Key& k) const { return k.hash; }
  };
  struct EntryEq {
    using is_transparent = void;
    static Key K(const MetaEntry* e) {
      return Key{e->metric, e->type, e->help, e->unit, e->hash_};
    }
    static const Key& K(const Key& k) { return k; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      const Key& x = K(a);
      const Key& y = K(b);
      return x.metric == y.metric && x.type == y.type && x.help == y.help &&
             x.unit == y.unit;
    }
  };

  mutable Mutex mu_;
  absl::flat_hash_set<MetaEntry*, EntryHash, EntryEq> entries_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_METADATA_POOL_H_
