#ifndef TESTS_TESTUTIL_FAKE_CLOCK_H_
#define TESTS_TESTUTIL_FAKE_CLOCK_H_

#include "absl/time/time.h"
#include "plugin/common/clock.h"
#include "plugin/common/mutex.h"

namespace promscrape::testing {

// A clock that moves only when told. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000))
      : now_(start) {}

  absl::Time Now() const override {
    MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace promscrape::testing

#endif  // TESTS_TESTUTIL_FAKE_CLOCK_H_
