#include "tools/host/duplicate_window.h"

namespace promscrape::host {

DuplicateWindow::Writer* DuplicateWindow::Find(uint64_t writer_id) {
  auto it = writers_.find(writer_id);
  if (it == writers_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return &it->second;
}

bool DuplicateWindow::Contains(uint64_t writer_id, uint64_t sequence) {
  if (writer_id == 0) return false;
  Writer* w = Find(writer_id);
  if (w == nullptr) return false;
  return sequence <= w->contiguous || w->above.contains(sequence);
}

void DuplicateWindow::Record(uint64_t writer_id, uint64_t sequence) {
  if (writer_id == 0) return;
  Writer* w = Find(writer_id);
  if (w == nullptr) {
    if (writers_.size() >= max_writers_ && !lru_.empty()) {
      writers_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(writer_id);
    w = &writers_[writer_id];
    w->lru = lru_.begin();
    w->contiguous = sequence == 0 ? 0 : sequence - 1;
  }
  if (sequence <= w->contiguous) return;
  if (sequence != w->contiguous + 1) {
    w->above.insert(sequence);
    // Forgetting the lowest may store a very late resend again; raising
    // `contiguous` over the gap instead could drop a request never stored.
    if (w->above.size() > max_above_) w->above.erase(w->above.begin());
    return;
  }
  w->contiguous = sequence;
  while (!w->above.empty() && *w->above.begin() == w->contiguous + 1) {
    w->contiguous = *w->above.begin();
    w->above.erase(w->above.begin());
  }
}

}  // namespace promscrape::host
