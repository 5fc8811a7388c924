#ifndef PLUGIN_HTTP_EVENT_LOOP_H_
#define PLUGIN_HTTP_EVENT_LOOP_H_

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <functional>
#include <optional>
#include <queue>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "plugin/common/mutex.h"
#include "plugin/common/task_scheduler.h"
#include "plugin/http/body_decoder.h"
#include "plugin/http/http1_transport.h"
#include "plugin/http/http_client_options.h"
#include "plugin/http/request.h"

namespace promscrape::http::internal {

struct Transfer;

// One thread running two transports over one epoll set: the native
// HTTP/1.1 transport (`Http1Transport`) for plain-http requests it serves
// exactly as Go's client would (see `ParseHttp1Target`; no proxy), and a
// libcurl multi handle (curl_multi_socket_action) for everything else
// (https, proxies, host names, redirects). Every request is non-blocking,
// driven by socket readiness and deadlines, so a hanging target costs a
// socket and a timer entry until its own timeout, nothing more. Keep-alive
// connections are cached per loop and transport.
//
// NOTE: the native transport exists because libcurl 7.88's multi interface
// costs O(cached connections) per transfer (curl_multi_remove_handle walks
// the connection cache), 20% of the engine's CPU at 1,000 targets.
//
// Thread-safe: `Start`, `Cancel` and `Stop` may be called from any thread;
// everything else runs on the loop thread. Completion callbacks run on the
// loop thread (or on `options.callback_executor`) and must not block or call
// `Stop`. Used by `HttpClient`; not a public API.
// The epoll_wait timeout (ms) for a deadline `left` from now: rounded up,
// and for long waits cut short so that the kernel's timeout slack cannot
// make the loop wake after the deadline. -1 is never returned.
inline constexpr int64_t kExactWaitMs = 50;
int EpollTimeoutMs(std::chrono::nanoseconds left);

class EventLoop {
 public:
  using DoneCallback = absl::AnyInvocable<void(Response)>;

  // Creates the epoll set, the wakeup eventfd and the multi handle, and
  // starts the thread.
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
  // thread. Idempotent; returns after all callbacks have been invoked.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_, stop_mu_);

  // Timers run on this loop's thread (the scrape ticks of the targets whose
  // requests this loop serves): a tick that starts a request needs no
  // thread hand-off or wake-up, and ticks coalesce with I/O wake-ups.
  // Tasks must be quick. Pending tasks are dropped at Stop. A task may run
  // up to kTimerEarlySlack before its time, together with an earlier one.
  TaskScheduler& timers() { return timers_; }
  static constexpr std::chrono::milliseconds kTimerEarlySlack{2};

 private:
  EventLoop(const HttpClientOptions& options, int epoll_fd, int wake_fd,
            CURLM* multi);

  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* loop,
                      void* socket_data);
  static int OnTimer(CURLM* multi, long timeout_ms, void* loop);

  void Run();
  void Wake();
  // Moves queued requests and cancellations into the multi handle. Returns
  // false once stopping.
  bool DrainQueue() ABSL_LOCKS_EXCLUDED(mu_);
  void AddTransfer(std::unique_ptr<Transfer> transfer);
  void StartNative(std::unique_ptr<Transfer> transfer);
  void StartCurl(std::unique_ptr<Transfer> transfer);
  // The native transport ended `transfer`'s exchange.
  void OnNativeDone(Transfer* transfer, absl::Status status);
  // Re-runs a natively answered redirect through curl, which follows it.
  void RestartOnCurl(std::unique_ptr<Transfer> transfer);
  // The epoll_wait timeout in ms for the earliest curl, native or task
  // timer.
  int NextTimeoutMs();
  void ReadCompletions();
  void Finish(std::unique_ptr<Transfer> transfer, absl::Status status);
  CURL* AcquireEasy();
  void ReleaseEasy(CURL* easy);

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
  using SteadyTime = std::chrono::steady_clock::time_point;
  // Accounts one epoll_wait (idle from `idle_from` to `woke`) in the load
  // window behind busy_.
  void TrackLoad(SteadyTime idle_from, SteadyTime woke);
  struct TimerEntry {
    SteadyTime when;
    uint64_t id;
    bool operator>(const TimerEntry& o) const {
      return when != o.when ? when > o.when : id > o.id;
    }
  };

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
  CURLM* const multi_;
  std::thread thread_;

  Mutex stop_mu_;
  bool joined_ ABSL_GUARDED_BY(stop_mu_) = false;

  Mutex mu_ ABSL_ACQUIRED_AFTER(stop_mu_);
  std::vector<std::unique_ptr<Transfer>> queued_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> cancels_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread::id loop_thread_ ABSL_GUARDED_BY(mu_);
  std::priority_queue<TimerEntry, std::vector<TimerEntry>,
                      std::greater<TimerEntry>>
      timer_heap_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, absl::AnyInvocable<void()>> timer_tasks_
      ABSL_GUARDED_BY(mu_);
  uint64_t next_timer_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t running_timer_ ABSL_GUARDED_BY(mu_) = 0;
  CondVar timer_done_cv_;
  Timers timers_{this};

  // Loop-thread state.
  absl::flat_hash_map<uint64_t, std::unique_ptr<Transfer>> active_;
  // curl's next timeout. NOTE: the monotonic clock, not the injected
  // `Clock`: curl itself times transfers monotonically, and this only sets
  // how long epoll_wait may sleep.
  std::optional<std::chrono::steady_clock::time_point> timer_deadline_;
  std::vector<CURL*> free_easy_;
  InflaterPool inflaters_;
  Http1Transport http1_;

  friend struct Transfer;
};

}  // namespace promscrape::http::internal

#endif  // PLUGIN_HTTP_EVENT_LOOP_H_
