#include "plugin/http/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "plugin/common/clock.h"
#include "plugin/common/mutex.h"
#include "plugin/common/thread_name.h"
#include "plugin/http/curl_driver.h"
#include "plugin/http/http1_transport.h"
#include "plugin/http/loop_waker.h"
#include "plugin/http/oauth2_token_source.h"
#include "plugin/http/transfer.h"
#include "plugin/http/transport_errors.h"

namespace promscrape::http::internal {
namespace {

constexpr int kMaxEvents = 256;
// Free gzip streams kept for reuse; beyond these, a burst's extras are freed
// so a one-off spike does not pin memory.
constexpr size_t kMaxFreeInflaters = 256;

}  // namespace

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create(
    const HttpClientOptions& options) {
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) {
    return absl::InternalError(
        absl::StrCat("epoll_create1: ", ErrnoText(errno)));
  }
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    int err = errno;
    close(epoll_fd);
    return absl::InternalError(absl::StrCat("eventfd: ", ErrnoText(err)));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = EpollFdTag(wake_fd);
  absl::StatusOr<std::unique_ptr<CurlDriver>> curl =
      absl::InternalError("not created");
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &event) != 0 ||
      !(curl = CurlDriver::Create(epoll_fd, options.max_idle_connections))
           .ok()) {
    close(wake_fd);
    close(epoll_fd);
    return absl::InternalError("cannot set up the http event loop");
  }
  std::unique_ptr<EventLoop> loop(
      new EventLoop(options, epoll_fd, wake_fd, *std::move(curl)));
  loop->thread_ = std::thread([raw = loop.get()] {
    SetCurrentThreadName("ps-http");
    raw->Run();
  });
  return loop;
}

EventLoop::EventLoop(const HttpClientOptions& options, int epoll_fd,
                     int wake_fd, std::unique_ptr<CurlDriver> curl)
    : options_(options),
      epoll_fd_(epoll_fd),
      wake_fd_(wake_fd),
      waker_(std::make_shared<LoopWaker>(wake_fd)),
      curl_(std::move(curl)),
      inflaters_(kMaxFreeInflaters),
      http1_(epoll_fd, Http1Transport::Options{
                           .max_idle_connections = options.max_idle_connections,
                           .max_response_header_bytes =
                               options.max_response_header_bytes}) {}

EventLoop::~EventLoop() {
  Stop();
  waker_->Close();
  curl_.reset();
  close(wake_fd_);
  close(epoll_fd_);
}

void EventLoop::Start(uint64_t id, Request request, DoneCallback done) {
  const Clock& clock = options_.clock ? *options_.clock : Clock::Real();
  std::unique_ptr<Transfer> transfer =
      NewTransfer(id, std::move(request), std::move(done), clock.Now(),
                  options_.native_http1, this, &inflaters_);
  {
    MutexLock lock(&mu_);
    if (!stopping_) {
      bool was_empty = queued_.empty() && cancels_.empty();
      queued_.push_back(std::move(transfer));
      // On the loop thread (a scrape tick) the queue is drained later in
      // this same iteration: no wake-up needed.
      if (was_empty && !OnLoopThreadLocked()) Wake();
      return;
    }
  }
  Response response = std::move(transfer->response);
  response.status = ContextCanceledError(transfer->url);
  response.elapsed = clock.Now() - transfer->start;
  transfer->done(std::move(response));
}

void EventLoop::Cancel(uint64_t id) {
  MutexLock lock(&mu_);
  if (stopping_) return;
  bool was_empty = queued_.empty() && cancels_.empty();
  cancels_.push_back(id);
  if (was_empty) Wake();
}

void EventLoop::Stop() {
  MutexLock stop_lock(&stop_mu_);
  if (joined_) return;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    Wake();
  }
  thread_.join();
  joined_ = true;
}

void EventLoop::Wake() {
  uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the loop will wake anyway.
  while (write(wake_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

int EventLoop::NextTimeoutMs() {
  std::optional<SteadyTime> next = http1_.NextTimer();
  for (const std::optional<SteadyTime>& other :
       {curl_->next_timer(), NextTimerDeadline()}) {
    if (other.has_value() && (!next.has_value() || *other < *next)) {
      next = other;
    }
  }
  if (!next.has_value()) return -1;
  return EpollTimeoutMs(*next - std::chrono::steady_clock::now());
}

int EpollTimeoutMs(std::chrono::nanoseconds left) {
  // Round up: waking a little early would just spin once more.
  const int64_t ms = std::max<int64_t>(
      0, std::chrono::ceil<std::chrono::milliseconds>(left).count());
  // Linux lets epoll_wait oversleep by 0.1% of its timeout (up to 100 ms;
  // select_estimate_accuracy): 15 ms on a 15 s wait, which would push an
  // idle loop's scrape off Prometheus' 2 ms timestamp tolerance. Long waits
  // stop short by 1/32 (well beyond that slack) and wait again; only the
  // last wait, 50 ms or less, is exact to the kernel's 50 us timer slack.
  if (ms <= kExactWaitMs) return static_cast<int>(ms);
  return static_cast<int>(std::min<int64_t>(ms - ms / 32, INT32_MAX));
}

uint64_t EventLoop::RunTimerAt(absl::Time when,
                               absl::AnyInvocable<void()> task) {
  const Clock& clock = options_.clock ? *options_.clock : Clock::Real();
  const absl::Duration delay =
      std::max(absl::ZeroDuration(), when - clock.Now());
  const SteadyTime deadline =
      std::chrono::steady_clock::now() +
      std::chrono::nanoseconds(absl::ToInt64Nanoseconds(delay));
  MutexLock lock(&mu_);
  if (stopping_) return 0;
  const TimerHeap<SteadyTime>::Added added =
      timer_heap_.Add(deadline, std::move(task));
  // The loop sleeps until its earliest deadline; an earlier one must wake
  // it (unless this is the loop thread, which recomputes before sleeping).
  if (added.earliest && !OnLoopThreadLocked()) Wake();
  return added.id;
}

bool EventLoop::CancelTimer(uint64_t id) {
  MutexLock lock(&mu_);
  return timer_heap_.Cancel(id, mu_);
}

void EventLoop::RunDueTimers() {
  // Tasks due within the slack (kTimerEarlySlack, the heap's) run now, with
  // the one that woke the loop: thousands of scrape ticks a second then
  // share wake-ups (a context switch costs more than the rest of a tick).
  // ScrapeLoop stamps an early tick with its grid time, so 2 ms keeps the
  // scrape within Prometheus' 2 ms timestamp tolerance of its stamp.
  const SteadyTime now = std::chrono::steady_clock::now();
  MutexLock lock(&mu_);
  while (timer_heap_.RunOneDue(now, mu_)) {
  }
}

std::optional<SteadyTime> EventLoop::NextTimerDeadline() {
  MutexLock lock(&mu_);
  return timer_heap_.NextDeadline();
}

void EventLoop::TrackLoad(SteadyTime idle_from, SteadyTime woke) {
  // Each pass over the window ends in a verdict for the next one: busy when
  // the loop worked (was not in epoll_wait) over half of the window.
  constexpr std::chrono::seconds kWindow{1};
  if (load_window_start_ == SteadyTime()) load_window_start_ = idle_from;
  idle_in_window_ += woke - idle_from;
  const auto elapsed = woke - load_window_start_;
  if (elapsed < kWindow) return;
  busy_ = idle_in_window_ * 2 < elapsed;
  load_window_start_ = woke;
  idle_in_window_ = SteadyTime::duration::zero();
}

void EventLoop::Run() {
  {
    MutexLock lock(&mu_);
    loop_thread_ = std::this_thread::get_id();
  }
  epoll_event events[kMaxEvents];
  while (true) {
    const int timeout_ms = NextTimeoutMs();
    const SteadyTime idle_from = std::chrono::steady_clock::now();
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
    const SteadyTime woke = std::chrono::steady_clock::now();
    TrackLoad(idle_from, woke);
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if ((tag & 1) == 0) {
        http1_.OnEvent(static_cast<Http1Connection*>(events[i].data.ptr),
                       events[i].events);
        continue;
      }
      int fd = static_cast<int>(tag >> 1);
      if (fd == wake_fd_) {
        uint64_t count;
        while (read(wake_fd_, &count, sizeof(count)) > 0) {
        }
        continue;
      }
      curl_->OnSocketEvent(fd, events[i].events);
    }
    SteadyTime now = std::chrono::steady_clock::now();
    http1_.OnTimers(now);
    curl_->OnTimers(now);
    ReadCompletions();
    RunDueTimers();
    bool running_on = DrainQueue();
    if (running_on && !awaiting_token_.empty()) ServiceTokenWaiters();
    http1_.EndOfBatch();
    if (!running_on) break;
  }

  // Shutdown: every request still here is cancelled; timers are dropped
  // (outside the lock: their captures may do anything when destroyed).
  std::vector<std::unique_ptr<Transfer>> queued;
  absl::flat_hash_map<uint64_t, absl::AnyInvocable<void()>> timers;
  {
    MutexLock lock(&mu_);
    queued.swap(queued_);
    cancels_.clear();
    timers = timer_heap_.TakeAll();
  }
  timers.clear();
  for (auto& transfer : queued) {
    std::string url = transfer->url;
    Finish(std::move(transfer), ContextCanceledError(url));
  }
  while (!awaiting_token_.empty()) {
    auto it = awaiting_token_.begin();
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    awaiting_token_.erase(it);
    std::string url = transfer->url;
    Finish(std::move(transfer), ContextCanceledError(url));
  }
  while (!active_.empty()) {
    auto it = active_.begin();
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    active_.erase(it);
    std::string url = transfer->url;
    Finish(std::move(transfer), ContextCanceledError(url));
  }
  http1_.EndOfBatch();
}

bool EventLoop::DrainQueue() {
  std::vector<std::unique_ptr<Transfer>> queued;
  std::vector<uint64_t> cancels;
  {
    MutexLock lock(&mu_);
    if (stopping_) return false;
    queued.swap(queued_);
    cancels.swap(cancels_);
  }
  for (auto& transfer : queued) AddTransfer(std::move(transfer));
  for (uint64_t id : cancels) {
    auto* map = &active_;
    auto it = map->find(id);
    if (it == map->end()) {
      map = &awaiting_token_;
      it = map->find(id);
      if (it == map->end()) continue;
    }
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    map->erase(it);
    std::string url = transfer->url;
    Finish(std::move(transfer), ContextCanceledError(url));
  }
  return true;
}

void EventLoop::AddTransfer(std::unique_ptr<Transfer> transfer) {
  if (!transfer->prepare_error.ok()) {
    absl::Status status = transfer->prepare_error;
    Finish(std::move(transfer), std::move(status));
    return;
  }
  if (transfer->awaiting_token) {
    AwaitToken(std::move(transfer));
    return;
  }
  StartOnTransport(std::move(transfer));
}

void EventLoop::StartOnTransport(std::unique_ptr<Transfer> transfer) {
  if (transfer->target.has_value()) {
    StartNative(std::move(transfer));
  } else {
    StartCurl(std::move(transfer));
  }
}

void EventLoop::AwaitToken(std::unique_ptr<Transfer> transfer) {
  const std::shared_ptr<OAuth2TokenSource>& source =
      transfer->settings_or_default().oauth2;
  const Clock& clock = options_.clock ? *options_.clock : Clock::Real();
  OAuth2TokenSource::Acquired acquired = source->Acquire(clock.Now(), waker_);
  if (!acquired.authorization.empty()) {
    ResumeWithToken(std::move(transfer), acquired.authorization);
    return;
  }
  transfer->token_wait_from = acquired.wait_from;
  const uint64_t id = transfer->id;
  const absl::Duration timeout = transfer->timeout;
  // Keeps the source alive while its fetch starts, whatever the transfer.
  std::shared_ptr<OAuth2TokenSource> keep = source;
  awaiting_token_.emplace(id, std::move(transfer));
  // A fetch that fails at once is seen by ServiceTokenWaiters later in this
  // iteration.
  if (acquired.start_fetch) StartTokenFetch(keep, timeout);
}

void EventLoop::StartTokenFetch(
    const std::shared_ptr<OAuth2TokenSource>& source, absl::Duration timeout) {
  absl::StatusOr<Request> request = source->MakeTokenRequest(timeout);
  if (!request.ok()) {
    source->FailFetch(request.status());
    return;
  }
  const Clock* clock = options_.clock ? options_.clock : &Clock::Real();
  std::unique_ptr<Transfer> transfer = NewTransfer(
      next_token_request_id_++, *std::move(request),
      [source, clock](Response response) {
        source->CompleteFetch(clock->Now(), response);
      },
      clock->Now(), /*native_http1=*/false, this, &inflaters_);
  AddTransfer(std::move(transfer));
}

void EventLoop::ServiceTokenWaiters() {
  std::vector<uint64_t> ids;
  ids.reserve(awaiting_token_.size());
  for (const auto& [id, transfer] : awaiting_token_) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = awaiting_token_.find(id);
    if (it == awaiting_token_.end()) continue;
    std::string authorization;
    absl::Status error;
    const OAuth2TokenSource::PollResult result =
        it->second->settings_or_default().oauth2->Poll(
            it->second->token_wait_from, &authorization, &error);
    if (result == OAuth2TokenSource::PollResult::kPending) continue;
    if (result == OAuth2TokenSource::PollResult::kStartFetch) {
      // The fetch's second attempt; the transfer waits on for it.
      StartTokenFetch(it->second->settings_or_default().oauth2,
                      it->second->timeout);
      continue;
    }
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    awaiting_token_.erase(it);
    if (result == OAuth2TokenSource::PollResult::kReady) {
      ResumeWithToken(std::move(transfer), authorization);
    } else {
      // Go wraps the token error in the scrape request's url.Error.
      absl::Status status(error.code(),
                          absl::StrCat(GetPrefix(transfer->url),
                                       error.message()));
      Finish(std::move(transfer), std::move(status));
    }
  }
}

void EventLoop::ResumeWithToken(std::unique_ptr<Transfer> transfer,
                                const std::string& authorization) {
  transfer->awaiting_token = false;
  if (transfer->timeout > absl::ZeroDuration()) {
    // One deadline covers token and scrape, as Go's request context does.
    const Clock& clock = options_.clock ? *options_.clock : Clock::Real();
    const absl::Duration waited = clock.Now() - transfer->start;
    if (waited >= transfer->timeout) {
      std::string url = transfer->url;
      Finish(std::move(transfer), ContextDeadlineError(url));
      return;
    }
    transfer->timeout -= std::max(absl::ZeroDuration(), waited);
  }
  Headers headers = std::move(transfer->pending_headers);
  BuildRequestHeaders(*transfer, headers, authorization);
  if (!transfer->prepare_error.ok()) {
    absl::Status status = transfer->prepare_error;
    Finish(std::move(transfer), std::move(status));
    return;
  }
  StartOnTransport(std::move(transfer));
}

void EventLoop::StartNative(std::unique_ptr<Transfer> transfer) {
  Transfer* t = transfer.get();
  t->native = true;
  if (t->timeout > absl::ZeroDuration()) {
    t->native_deadline = std::chrono::steady_clock::now() +
                         absl::ToChronoNanoseconds(t->timeout);
  }
  active_.emplace(t->id, std::move(transfer));
  // May complete `t` (a refused connect) before returning.
  http1_.Start(*t, *t->target, t->url, t->http1_request, t->native_deadline);
}

void EventLoop::OnNativeDone(Transfer* transfer, absl::Status status) {
  auto it = active_.find(transfer->id);
  if (it == active_.end()) return;  // Cannot happen; be defensive.
  std::unique_ptr<Transfer> owned = std::move(it->second);
  active_.erase(it);
  Transfer& t = *owned;
  if (status.ok() && t.redirect) {
    RestartOnCurl(std::move(owned));
    return;
  }
  if (!t.body.error().ok()) {
    status = t.body.error();
  } else if (status.ok() && t.response.status_code != 200) {
    status = HttpStatusError(t.response.status_code, t.reason);
  } else if (status.ok()) {
    status = t.body.Finish();
  }
  Finish(std::move(owned), std::move(status));
}

void EventLoop::RestartOnCurl(std::unique_ptr<Transfer> transfer) {
  if (!transfer->RewindForCurl()) {
    std::string url = transfer->url;
    Finish(std::move(transfer), ContextDeadlineError(url));
    return;
  }
  StartCurl(std::move(transfer));
}

void EventLoop::StartCurl(std::unique_ptr<Transfer> transfer) {
  // curl adds "Accept: */*" unless told otherwise; Prometheus sends only
  // what the scrape asks for, so an empty Accept: disables curl's default
  // when the request sets none.
  if (!transfer->has_accept) {
    transfer->headers = curl_slist_append(transfer->headers, "Accept:");
  }
  absl::Status status = curl_->Start(*transfer);
  if (!status.ok()) {
    Finish(std::move(transfer), std::move(status));
    return;
  }
  const uint64_t id = transfer->id;
  active_.emplace(id, std::move(transfer));
}

void EventLoop::ReadCompletions() {
  curl_->ReadCompletions([this](Transfer* raw, CURLcode code) {
    auto it = active_.find(raw->id);
    if (it == active_.end()) return;  // Cannot happen; be defensive.
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    active_.erase(it);
    absl::Status status = CurlDriver::CompletionStatus(*transfer, code);
    Finish(std::move(transfer), std::move(status));
  });
}

void EventLoop::Finish(std::unique_ptr<Transfer> transfer,
                       absl::Status status) {
  curl_->Release(*transfer);
  if (transfer->native) http1_.Abort(*transfer);
  transfer->body.ReleaseInflater();
  transfer->response.body_size_limit_exceeded = transfer->body.limit_exceeded();
  const Clock& clock = options_.clock ? *options_.clock : Clock::Real();
  Response response = std::move(transfer->response);
  response.status = std::move(status);
  response.elapsed = clock.Now() - transfer->start;
  if (!response.status.ok() && !response.body_size_limit_exceeded) {
    response.body.clear();
  }
  DoneCallback done = std::move(transfer->done);
  transfer.reset();
  const bool run_inline =
      !options_.callback_executor ||
      (!busy_ && response.body.size() <= options_.inline_callback_max_body);
  if (!run_inline) {
    options_.callback_executor(
        [done = std::move(done), response = std::move(response)]() mutable {
          done(std::move(response));
        });
  } else {
    done(std::move(response));
  }
}

}  // namespace promscrape::http::internal
