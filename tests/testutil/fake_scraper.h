#ifndef TESTS_TESTUTIL_FAKE_SCRAPER_H_
#define TESTS_TESTUTIL_FAKE_SCRAPER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "plugin/common/clock.h"
#include "plugin/common/mutex.h"
#include "plugin/http/request.h"
#include "plugin/scrape/scraper.h"

namespace promscrape::testing {

// A scrape::Scraper without a network: each URL answers with the reply set
// for it, synchronously inside Start() (on the caller's thread), unless the
// reply hangs; a hung request completes on Cancel (kCancelled) or once its
// timeout has passed on `clock` and ExpireDeadlines runs (kDeadlineExceeded,
// Prometheus' `Get "<url>": context deadline exceeded`).
//
// Thread-safe. Callbacks never run with the fake's lock held.
class FakeScraper final : public scrape::Scraper {
 public:
  struct Reply {
    absl::Status status;  // non-OK: the transport error
    std::string content_type = "text/plain; version=0.0.4";
    std::string body;
    bool body_size_limit_exceeded = false;
    bool hang = false;  // never answers by itself
  };
  // What a request looked like.
  struct Seen {
    std::string url;
    absl::Time at;
    absl::Duration timeout;
    http::Headers headers;
  };

  // `clock` must outlive the fake.
  explicit FakeScraper(const Clock& clock) : clock_(clock) {}

  // The reply for `url` from now on. URLs without a reply get a 404.
  void SetReply(const std::string& url, Reply reply) ABSL_LOCKS_EXCLUDED(mu_);
  // Shorthand: a 200 text-format reply with `body`.
  void SetBody(const std::string& url, std::string body)
      ABSL_LOCKS_EXCLUDED(mu_);

  uint64_t Start(http::Request request, DoneCallback done) override
      ABSL_LOCKS_EXCLUDED(mu_);
  void Cancel(uint64_t id) override ABSL_LOCKS_EXCLUDED(mu_);
  // The loops' tick scheduler (as the HTTP event loops are in production);
  // null (the default) leaves them on the manager's scheduler. Set before
  // the loops start; `timers` must outlive them.
  TaskScheduler* TimersFor(const std::string& url) override { return timers_; }
  void set_timers(TaskScheduler* timers) { timers_ = timers; }

  // Completes the hung requests whose deadline is at or before
  // `clock.Now()`. Returns how many.
  int ExpireDeadlines() ABSL_LOCKS_EXCLUDED(mu_);
  // The earliest deadline of a hung request, InfiniteFuture() if none.
  absl::Time NextDeadline() const ABSL_LOCKS_EXCLUDED(mu_);

  // Every request started, in order.
  std::vector<Seen> requests() const ABSL_LOCKS_EXCLUDED(mu_);
  // Requests started for `url`.
  int calls(const std::string& url) const ABSL_LOCKS_EXCLUDED(mu_);
  // Requests not yet completed.
  int pending() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Pending {
    http::Request request;
    DoneCallback done;
    absl::Time deadline;
  };

  const Clock& clock_;
  TaskScheduler* timers_ = nullptr;
  mutable Mutex mu_;
  std::map<std::string, Reply> replies_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, Pending> pending_ ABSL_GUARDED_BY(mu_);
  std::vector<Seen> seen_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace promscrape::testing

#endif  // TESTS_TESTUTIL_FAKE_SCRAPER_H_
