#ifndef PLUGIN_HTTP_EVENT_LOOP_H_
#define PLUGIN_HTTP_EVENT_LOOP_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "plugin/common/mutex.h"
#include "plugin/common/task_scheduler.h"
#include "plugin/common/timer_heap.h"
#include "plugin/http/body_decoder.h"
#include "plugin/http/curl_driver.h"
#include "plugin/http/http1_connection.h"
#include "plugin/http/http1_transport.h"
#include "plugin/http/http_client_options.h"
#include "plugin/http/loop_waker.h"
#include "plugin/http/oauth2_token_source.h"
#include "plugin/http/request.h"
#include "plugin/http/transfer.h"

namespace promscrape::http::internal {

// The epoll_wait timeout (ms) for a deadline `left` from now: rounded up,
// and for waits over kExactWaitMs cut short so that the kernel's timeout
// slack cannot make the loop wake after the deadline (it waits again).
// Never -1.
inline constexpr int64_t kExactWaitMs = 50;
int EpollTimeoutMs(std::chrono::nanoseconds left);

// One thread running two transports over one epoll set: the native
// HTTP/1.1 transport (`Http1Transport`) for plain-http requests it serves
// exactly as Go's client would (see `ParseHttp1Target`; no proxy), and a
// libcurl multi handle (`CurlDriver`) for everything else (https, proxies,
// host names, redirects). Every request is non-blocking, driven by socket
// readiness and deadlines, so a hanging target costs a socket and a timer
// entry until its own timeout, nothing more. Keep-alive connections are
// cached per loop and transport. The loop also runs timer tasks (`timers()`)
// between its I/O events.
//
// OAuth2 jobs: a request whose job has no valid token is parked (no socket,
// no thread) while the loop fetches the token with a non-blocking POST on
// its own curl handle; one fetch per job at a time, whichever loop starts
// it, and the job's token source wakes every loop waiting on it. A failed
// fetch fails the parked requests with `Get "<url>": oauth2: cannot fetch
// token: ...`.
//
// NOTE: the native transport exists because libcurl 7.88's multi interface
// costs O(cached connections) per transfer (curl_multi_remove_handle walks
// the connection cache), 20% of the engine's CPU at 1,000 targets.
//
// Completion callbacks: without `options.callback_executor` every callback
// runs on the loop thread. With one, a callback runs on the loop thread if
// the loop is not busy (it worked, i.e. was outside epoll_wait, for at most
// half of the last whole one-second window) and the response body it
// carries is at most `options.inline_callback_max_body` bytes (so with 0,
// only empty bodies, which includes failed requests other than a body size
// limit); every other callback is handed to the executor from the loop
// thread. Callbacks must not block or call `Stop`.
//
// Thread-safe: `Start`, `Cancel`, `Stop` and `timers()` may be called from
// any thread; everything else runs on the loop thread. Used by
// `HttpClient`; not a public API.
class EventLoop final : private NativeDoneHandler {
 public:
  using DoneCallback = Transfer::DoneCallback;

  // Creates the epoll set, the wakeup eventfd and the curl multi handle,
  // and starts the thread. kInternal if the OS or libcurl refuses.
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create(
      const HttpClientOptions& options);

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Equivalent to `Stop()`.
  ~EventLoop();

  // Queues `request`; `done` runs exactly once. Secret files are read and
  // headers built here, on the caller's thread, so the loop never blocks on
  // file I/O. After `Stop()`, `done` runs at once on the caller's thread
  // with kCancelled.
  void Start(uint64_t id, Request request, DoneCallback done)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Aborts request `id` if it is still queued or in flight; its callback
  // gets kCancelled. Unknown or finished ids are ignored.
  void Cancel(uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);

  // Cancels every queued and in-flight request (kCancelled), then joins the
  // thread. Idempotent; returns after all callbacks have been invoked (or
  // handed to the callback executor).
  void Stop() ABSL_LOCKS_EXCLUDED(mu_, stop_mu_);

  // Timers run on this loop's thread (the scrape ticks of the targets whose
  // requests this loop serves): a tick that starts a request needs no
  // thread hand-off or wake-up, and ticks coalesce with I/O wake-ups.
  // Tasks must be quick. `when` is read on the injected clock and turned
  // into a monotonic deadline when scheduled. A task may run up to
  // kTimerEarlySlack before its time, together with an earlier one.
  // Cancel waits for a running task unless called on the loop thread.
  // After Stop, RunAt returns 0; pending tasks are dropped when the loop
  // thread exits.
  TaskScheduler& timers() { return timers_; }
  static constexpr std::chrono::milliseconds kTimerEarlySlack{2};

 private:
  EventLoop(const HttpClientOptions& options, int epoll_fd, int wake_fd,
            std::unique_ptr<CurlDriver> curl);

  void Run();
  void Wake();
  // Moves queued requests and cancellations into the transports. Returns
  // false once stopping.
  bool DrainQueue() ABSL_LOCKS_EXCLUDED(mu_);
  void AddTransfer(std::unique_ptr<Transfer> transfer);
  // Starts `transfer` on the transport its headers were built for.
  void StartOnTransport(std::unique_ptr<Transfer> transfer);
  // OAuth2: sends `transfer` with the job's token, parking it (and, if no
  // fetch is in flight, starting one on this loop) until there is one.
  void AwaitToken(std::unique_ptr<Transfer> transfer);
  // Sends the token request of `source` as a transfer of this loop, within
  // `timeout` (the scrape's, as Go's request context covers the token
  // fetch).
  void StartTokenFetch(const std::shared_ptr<OAuth2TokenSource>& source,
                       absl::Duration timeout);
  // Resumes or fails the parked transfers whose token fetch has ended.
  void ServiceTokenWaiters();
  // Builds a parked transfer's headers with `authorization` and sends it.
  void ResumeWithToken(std::unique_ptr<Transfer> transfer,
                       const std::string& authorization);
  void StartNative(std::unique_ptr<Transfer> transfer);
  void StartCurl(std::unique_ptr<Transfer> transfer);
  // NativeDoneHandler: the native transport ended `transfer`'s exchange.
  void OnNativeDone(Transfer* transfer, absl::Status status) override;
  // Re-runs a natively answered redirect through curl, which follows it.
  void RestartOnCurl(std::unique_ptr<Transfer> transfer);
  // The epoll_wait timeout in ms for the earliest curl, native or task
  // timer.
  int NextTimeoutMs();
  void ReadCompletions();
  // Ends `transfer` with `status` and runs (or hands off) its callback.
  void Finish(std::unique_ptr<Transfer> transfer, absl::Status status);

  // TaskScheduler over the loop's timer heap.
  class Timers final : public TaskScheduler {
   public:
    explicit Timers(EventLoop* loop) : loop_(loop) {}
    uint64_t RunAt(absl::Time when, absl::AnyInvocable<void()> task) override {
      return loop_->RunTimerAt(when, std::move(task));
    }
    bool Cancel(uint64_t id) override { return loop_->CancelTimer(id); }

   private:
    EventLoop* loop_;
  };
  // Accounts one epoll_wait (idle from `idle_from` to `woke`) in the load
  // window behind busy_.
  void TrackLoad(SteadyTime idle_from, SteadyTime woke);

  uint64_t RunTimerAt(absl::Time when, absl::AnyInvocable<void()> task)
      ABSL_LOCKS_EXCLUDED(mu_);
  bool CancelTimer(uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);
  // Runs every timer task due now (or within kTimerEarlySlack), on the
  // loop thread.
  void RunDueTimers() ABSL_LOCKS_EXCLUDED(mu_);
  // The earliest pending timer, if any.
  std::optional<SteadyTime> NextTimerDeadline() ABSL_LOCKS_EXCLUDED(mu_);
  bool OnLoopThreadLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return std::this_thread::get_id() == loop_thread_;
  }

  const HttpClientOptions options_;
  const int epoll_fd_;
  // Loop thread only: the load window and its last verdict (see
  // HttpClientOptions::inline_callback_max_body).
  SteadyTime load_window_start_{};
  SteadyTime::duration idle_in_window_{};
  bool busy_ = false;
  const int wake_fd_;
  std::thread thread_;

  Mutex stop_mu_;
  bool joined_ ABSL_GUARDED_BY(stop_mu_) = false;

  Mutex mu_ ABSL_ACQUIRED_AFTER(stop_mu_);
  std::vector<std::unique_ptr<Transfer>> queued_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> cancels_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread::id loop_thread_ ABSL_GUARDED_BY(mu_);
  // Monotonic deadlines; tasks run on the loop thread.
  TimerHeap<SteadyTime> timer_heap_ ABSL_GUARDED_BY(mu_){kTimerEarlySlack};
  Timers timers_{this};

  // Lets OAuth2 token sources wake this loop; closed before wake_fd_ is.
  const std::shared_ptr<LoopWaker> waker_;

  // Loop-thread state.
  std::unique_ptr<CurlDriver> curl_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Transfer>> active_;
  // Requests of oauth2 jobs waiting for their token, by id.
  absl::flat_hash_map<uint64_t, std::unique_ptr<Transfer>> awaiting_token_;
  // Ids of the loop's own token requests, apart from HttpClient's ids.
  uint64_t next_token_request_id_ = uint64_t{1} << 63;
  InflaterPool inflaters_;
  Http1Transport http1_;
};

}  // namespace promscrape::http::internal

#endif  // PLUGIN_HTTP_EVENT_LOOP_H_
