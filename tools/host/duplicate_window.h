#ifndef TOOLS_HOST_DUPLICATE_WINDOW_H_
#define TOOLS_HOST_DUPLICATE_WINDOW_H_

#include <cstddef>
#include <cstdint>
#include <list>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"

namespace promscrape::host {

// Remembers which (writer_id, sequence) requests the host has answered for
// good (stored, or rejected as bad data), so a request the plugin resends
// after a reconnect (same writer_id, same sequence) is acknowledged again
// without being stored twice. Rejections count too: otherwise each would
// leave a gap below which the window could never advance.
//
// Per writer it keeps the highest sequence up to which every request is
// stored (`contiguous`) plus the stored sequences above it (at most
// `max_above`; past that the lowest are forgotten, so a very late resend of
// one of them is stored again: at least once, never lost). The first
// sequence seen from a writer starts its window: a writer sends in order and
// resends only what was not acknowledged, so nothing below it comes later.
// At most `max_writers` writers are remembered, the least recently used
// forgotten first.
//
// Lives as long as the service, across streams. Thread-compatible: the
// caller serializes calls (RemoteWriteService holds its store lock).
class DuplicateWindow {
 public:
  explicit DuplicateWindow(size_t max_writers = 1024, size_t max_above = 4096)
      : max_writers_(max_writers), max_above_(max_above) {}

  // Whether (writer_id, sequence) was recorded as answered. Always false for
  // writer_id 0 (a sender without an id).
  bool Contains(uint64_t writer_id, uint64_t sequence);

  // Records (writer_id, sequence) as answered for good. No-op for writer_id 0.
  void Record(uint64_t writer_id, uint64_t sequence);

  size_t writers() const { return writers_.size(); }

 private:
  struct Writer {
    // Every sequence <= contiguous is answered.
    uint64_t contiguous = 0;
    absl::btree_set<uint64_t> above;
    std::list<uint64_t>::iterator lru;
  };

  Writer* Find(uint64_t writer_id);

  const size_t max_writers_;
  const size_t max_above_;
  absl::flat_hash_map<uint64_t, Writer> writers_;
  // Most recently used writer ids first.
  std::list<uint64_t> lru_;
};

}  // namespace promscrape::host

#endif  // TOOLS_HOST_DUPLICATE_WINDOW_H_
