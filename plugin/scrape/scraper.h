#ifndef PLUGIN_SCRAPE_SCRAPER_H_
#define PLUGIN_SCRAPE_SCRAPER_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "plugin/common/task_scheduler.h"
#include "plugin/http/http_client.h"
#include "plugin/http/request.h"

namespace promscrape::scrape {

// How a scrape loop fetches its target (Prometheus' targetScraper): the
// seam between the loop runtime and the network. Production uses
// `HttpScraper` over the shared `http::HttpClient`; tests use
// `testing::FakeScraper` (tests/testutil/fake_scraper.h), which answers on
// the test's thread, so loop, pool and manager tests run on a FakeClock
// without sockets or sleeps.
//
// The contract is `http::HttpClient`'s: `Start` returns an id at once and
// `done` runs exactly once with the response, possibly before `Start`
// returns; `Cancel` of a request not yet done makes it complete with
// kCancelled, and ignores finished ids. Implementations are thread-safe.
class Scraper {
 public:
  using DoneCallback = absl::AnyInvocable<void(http::Response)>;

  virtual ~Scraper() = default;
  virtual uint64_t Start(http::Request request, DoneCallback done) = 0;
  virtual void Cancel(uint64_t id) = 0;
  // Where a loop scraping `url` should run its ticks, when the transport
  // has a better place than the shared timer thread (the event loop that
  // will carry the request: no hand-off per scrape); null for the default.
  virtual TaskScheduler* TimersFor(const std::string& url) { return nullptr; }
};

// The production Scraper: forwards to an HttpClient, which must outlive it.
// One virtual call per scrape on top of the client; nothing else.
class HttpScraper final : public Scraper {
 public:
  explicit HttpScraper(http::HttpClient& client) : client_(client) {}

  uint64_t Start(http::Request request, DoneCallback done) override {
    return client_.Start(std::move(request), std::move(done));
  }
  void Cancel(uint64_t id) override { client_.Cancel(id); }
  TaskScheduler* TimersFor(const std::string& url) override {
    return &client_.TimersFor(url);
  }

 private:
  http::HttpClient& client_;
};

}  // namespace promscrape::scrape

#endif  // PLUGIN_SCRAPE_SCRAPER_H_
