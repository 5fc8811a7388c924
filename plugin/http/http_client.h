#ifndef PLUGIN_HTTP_HTTP_CLIENT_H_
#define PLUGIN_HTTP_HTTP_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "plugin/common/task_scheduler.h"
#include "plugin/http/event_loop.h"
#include "plugin/http/http_client_options.h"
#include "plugin/http/request.h"

namespace promscrape::http {

// The scrape engine's HTTP client: asynchronous GETs multiplexed over a few
// event-loop threads (libcurl multi + epoll), so thousands of scrapes are in
// flight at once without a thread per request. A slow or hanging target
// holds a socket until its own `Request::timeout`, nothing else. Keep-alive
// connections are reused; requests to one scheme://host:port always go to
// the same loop so they share its connection cache.
//
// Thread-safe. `Start`, `Cancel` and `Stop` may be called from any thread,
// including from a completion callback (except `Stop`).
//
// Completion callbacks run on the loop thread that served the request,
// or, with `HttpClientOptions::callback_executor`, on that executor unless
// the response is small and the loop idle (see
// `HttpClientOptions::inline_callback_max_body`). On the loop thread they
// must be quick and never block.
class HttpClient {
 public:
  using DoneCallback = absl::AnyInvocable<void(Response)>;

  // Starts `options.num_loops` (>= 1) loop threads. Fails with
  // kInvalidArgument on bad options, kInternal if the OS refuses epoll or
  // eventfd.
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(
      HttpClientOptions options = {});

  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Equivalent to `Stop()`.
  ~HttpClient();

  // Sends `request` and returns its id at once; `done` runs exactly once
  // with the response (see `Response::status` for the error texts). Never
  // blocks on the network; reads the job's secret files (password_file,
  // credentials_file, oauth2's client_secret_file) on the calling thread.
  // An `oauth2` job's request without a cached token waits on its loop for
  // the token, which that loop fetches without blocking. After `Stop()`,
  // `done` runs immediately on the calling thread with kCancelled.
  uint64_t Start(Request request, DoneCallback done);

  // Aborts request `id` if it has not completed: its callback then gets
  // kCancelled (`Get "<url>": context canceled`). Ignores finished ids.
  void Cancel(uint64_t id);

  // Cancels all queued and in-flight requests (their callbacks get
  // kCancelled), and joins the loop threads. Idempotent. Must not be called
  // from a completion callback.
  void Stop();

  // The timers of the loop that serves `url`: a task scheduled here runs on
  // the thread that will carry that URL's requests (see EventLoop::timers;
  // a task may run up to 2 ms early, to share a wake-up with another).
  TaskScheduler& TimersFor(const std::string& url);

 private:
  explicit HttpClient(std::vector<std::unique_ptr<internal::EventLoop>> loops);

  // Picks the loop for `url` by its scheme://authority prefix.
  size_t LoopIndex(const std::string& url) const;

  const std::vector<std::unique_ptr<internal::EventLoop>> loops_;
  std::atomic<uint64_t> next_sequence_{1};
};

}  // namespace promscrape::http

#endif  // PLUGIN_HTTP_HTTP_CLIENT_H_
