#ifndef TOOLS_HOST_HOST_MUTEX_H_
#define TOOLS_HOST_HOST_MUTEX_H_

#include <mutex>

#include "absl/base/thread_annotations.h"

namespace promscrape::host {

// A std::mutex with abseil's thread-safety annotations, so clang's
// -Wthread-safety checks the host's ABSL_GUARDED_BY fields.
//
// NOTE: not absl::Mutex: Debian's abseil is not built with -fsanitize=thread,
// so TSAN cannot see absl::Mutex and would report every guarded field as a
// race; it intercepts the pthread calls of std::mutex. (The plugin's
// plugin/common/mutex.h is the same idea; the host does not depend on it.)
//
// Thread-safe.
class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// Holds `*mu` for its scope (the pointer form, as absl::MutexLock 20220623).
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

}  // namespace promscrape::host

#endif  // TOOLS_HOST_HOST_MUTEX_H_
