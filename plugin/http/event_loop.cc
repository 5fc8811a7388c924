#include "plugin/http/event_loop.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/common/clock.h"
#include "plugin/common/mutex.h"
#include "plugin/http/body_decoder.h"
#include "plugin/http/client_settings.h"
#include "plugin/http/http1_request.h"
#include "plugin/http/http1_transport.h"
#include "plugin/http/request.h"
#include "plugin/http/transport_errors.h"
#include "plugin/common/thread_name.h"

namespace promscrape::http::internal {
namespace {

constexpr int kMaxEvents = 256;
// Free easy handles and gzip streams kept for reuse; beyond these, a burst's
// extras are freed so a one-off spike does not pin memory.
constexpr size_t kMaxFreeEasy = 1024;
constexpr size_t kMaxFreeInflaters = 256;
// Go's http.Client stops after 10 redirects.
constexpr long kMaxRedirects = 10;
// Tags of non-native descriptors in epoll data (the wakeup eventfd and
// curl's sockets): `fd << 1 | 1`. Native connections are tagged with their
// (even, aligned) `Http1Connection*`.
uint64_t FdTag(int fd) { return (static_cast<uint64_t>(fd) << 1) | 1; }

bool IsRedirect(int code) {
  return code == 301 || code == 302 || code == 303 || code == 307 ||
         code == 308;
}

const ClientSettings& DefaultSettings() {
  static const ClientSettings* const kDefault = new ClientSettings();
  return *kDefault;
}

std::string Lowercase(absl::string_view text) {
  std::string out(text);
  absl::AsciiStrToLower(&out);
  return out;
}

struct UrlParts {
  std::string scheme;
  std::string host;  // IPv6 in brackets
  std::string port;  // the scheme's default when absent
};

std::optional<UrlParts> ParseUrl(const std::string& url) {
  CURLU* handle = curl_url();
  if (handle == nullptr) return std::nullopt;
  std::optional<UrlParts> parts;
  if (curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* scheme = nullptr;
    char* host = nullptr;
    char* port = nullptr;
    if (curl_url_get(handle, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(handle, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(handle, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
            CURLUE_OK) {
      parts = UrlParts{scheme, host, port};
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
  }
  curl_url_cleanup(handle);
  return parts;
}

// Replaces the host of `url` (for tls_config.server_name).
std::optional<std::string> ReplaceHost(const std::string& url,
                                       const std::string& host) {
  CURLU* handle = curl_url();
  if (handle == nullptr) return std::nullopt;
  std::optional<std::string> out;
  char* result = nullptr;
  if (curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_set(handle, CURLUPART_HOST, host.c_str(), 0) == CURLUE_OK &&
      curl_url_get(handle, CURLUPART_URL, &result, 0) == CURLUE_OK) {
    out = result;
  }
  curl_free(result);
  curl_url_cleanup(handle);
  return out;
}

long CurlTlsVersion(TlsVersion version) {
  switch (version) {
    case TlsVersion::kTls10: return CURL_SSLVERSION_TLSv1_0;
    case TlsVersion::kTls11: return CURL_SSLVERSION_TLSv1_1;
    case TlsVersion::kTls13: return CURL_SSLVERSION_TLSv1_3;
    case TlsVersion::kTls12:
    case TlsVersion::kDefault: return CURL_SSLVERSION_TLSv1_2;
  }
  return CURL_SSLVERSION_TLSv1_2;
}

long CurlMaxTlsVersion(TlsVersion version) {
  switch (version) {
    case TlsVersion::kTls10: return CURL_SSLVERSION_MAX_TLSv1_0;
    case TlsVersion::kTls11: return CURL_SSLVERSION_MAX_TLSv1_1;
    case TlsVersion::kTls12: return CURL_SSLVERSION_MAX_TLSv1_2;
    case TlsVersion::kTls13: return CURL_SSLVERSION_MAX_TLSv1_3;
    case TlsVersion::kDefault: return CURL_SSLVERSION_MAX_DEFAULT;
  }
  return CURL_SSLVERSION_MAX_DEFAULT;
}

}  // namespace

// The state of one request from `Start` to its callback. Built on the
// caller's thread, then owned by the loop thread.
struct Transfer : Http1Exchange {
  ~Transfer() override {
    curl_slist_free_all(headers);
    curl_slist_free_all(connect_to);
  }

  // curl's callbacks.
  static size_t OnHeader(char* data, size_t size, size_t count, void* self);
  static size_t OnBody(char* data, size_t size, size_t count, void* self);
  void StartResponse(absl::string_view status_line);
  void AddCurlHeader(absl::string_view name, absl::string_view value);

  // Http1Exchange.
  void OnResponseHead(const Http1ResponseParser& head) override;
  bool OnResponseBody(absl::string_view data) override;
  void OnResponseDone(absl::Status status) override;

  void BeginBody() {
    body.Begin(&response.body, body_size_limit, gzip, content_length,
               &loop->inflaters_);
  }

  uint64_t id = 0;
  std::string url;
  std::string curl_url;
  // curl's headers; built for the curl path only.
  curl_slist* headers = nullptr;
  bool has_accept = false;
  curl_slist* connect_to = nullptr;
  // Set when the native transport serves the request.
  std::optional<Http1Target> target;
  std::string http1_request;
  absl::Duration timeout = absl::ZeroDuration();
  int64_t body_size_limit = 0;
  std::shared_ptr<const ClientSettings> settings;
  EventLoop::DoneCallback done;
  absl::Time start;
  absl::Status prepare_error;

  // Loop-thread state.
  EventLoop* loop = nullptr;
  CURL* easy = nullptr;
  bool native = false;
  std::optional<SteadyTime> native_deadline;
  bool redirect = false;
  Response response;
  std::string reason;
  bool gzip = false;
  int64_t content_length = -1;
  BodyDecoder body;
  char error_buffer[CURL_ERROR_SIZE] = {0};
};

void Transfer::AddCurlHeader(absl::string_view name, absl::string_view value) {
  if (absl::EqualsIgnoreCase(name, "Accept")) has_accept = true;
  // "Name;" is curl's syntax for a header with an empty value.
  std::string line = value.empty() ? absl::StrCat(name, ";")
                                   : absl::StrCat(name, ": ", value);
  headers = curl_slist_append(headers, line.c_str());
}

void Transfer::StartResponse(absl::string_view status_line) {
  // Each response of a redirect chain starts afresh; only the last counts.
  response.status_code = 0;
  response.content_type.clear();
  reason.clear();
  gzip = false;
  content_length = -1;
  // "HTTP/1.1 404 Not Found" or "HTTP/2 404".
  absl::string_view rest = status_line;
  size_t space = rest.find(' ');
  if (space == absl::string_view::npos) return;
  rest.remove_prefix(space + 1);
  space = rest.find(' ');
  int code = 0;
  if (absl::SimpleAtoi(rest.substr(0, space), &code)) {
    response.status_code = code;
  }
  if (space != absl::string_view::npos) {
    reason = std::string(absl::StripAsciiWhitespace(rest.substr(space + 1)));
  }
}

size_t Transfer::OnHeader(char* data, size_t size, size_t count, void* self) {
  auto* transfer = static_cast<Transfer*>(self);
  size_t n = size * count;
  absl::string_view line(data, n);
  line = absl::StripTrailingAsciiWhitespace(line);
  if (absl::StartsWith(line, "HTTP/")) {
    transfer->StartResponse(line);
    return n;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;
  absl::string_view name = line.substr(0, colon);
  absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  if (absl::EqualsIgnoreCase(name, "Content-Type")) {
    transfer->response.content_type = std::string(value);
  } else if (absl::EqualsIgnoreCase(name, "Content-Encoding")) {
    // NOTE: only exactly "gzip" is decoded, as Prometheus' readResponse
    // does; anything else is passed through raw.
    transfer->gzip = value == "gzip";
  } else if (absl::EqualsIgnoreCase(name, "Content-Length")) {
    int64_t length = 0;
    if (absl::SimpleAtoi(value, &length)) transfer->content_length = length;
  }
  return n;
}

size_t Transfer::OnBody(char* data, size_t size, size_t count, void* self) {
  auto* transfer = static_cast<Transfer*>(self);
  size_t n = size * count;
  // A non-200 body is drained (so the connection stays reusable) and
  // dropped, as Prometheus does.
  if (transfer->response.status_code != 200) return n;
  if (!transfer->body.started()) transfer->BeginBody();
  // Returning a short count makes curl abort with CURLE_WRITE_ERROR.
  return transfer->body.Write(data, n) ? n : 0;
}

void Transfer::OnResponseHead(const Http1ResponseParser& head) {
  response.status_code = head.status_code();
  response.content_type.assign(head.content_type().data(),
                               head.content_type().size());
  reason.assign(head.reason().data(), head.reason().size());
  // NOTE: only exactly "gzip" is decoded, as on the curl path.
  gzip = head.content_encoding() == "gzip";
  content_length = head.content_length();
  const bool follow = settings == nullptr || settings->follow_redirects;
  redirect = follow && IsRedirect(head.status_code()) &&
             !head.location().empty();
  if (response.status_code == 200) BeginBody();
}

bool Transfer::OnResponseBody(absl::string_view data) {
  // Non-200 bodies are drained and dropped, as on the curl path.
  if (response.status_code != 200) return true;
  return body.Write(data.data(), data.size());
}

void Transfer::OnResponseDone(absl::Status status) {
  loop->OnNativeDone(this, std::move(status));
}

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
  event.data.u64 = FdTag(wake_fd);
  CURLM* multi = nullptr;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &event) != 0 ||
      (multi = curl_multi_init()) == nullptr) {
    close(wake_fd);
    close(epoll_fd);
    return absl::InternalError("cannot set up the http event loop");
  }
  std::unique_ptr<EventLoop> loop(
      new EventLoop(options, epoll_fd, wake_fd, multi));
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &EventLoop::OnSocket);
  curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, loop.get());
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &EventLoop::OnTimer);
  curl_multi_setopt(multi, CURLMOPT_TIMERDATA, loop.get());
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS,
                    static_cast<long>(options.max_idle_connections));
  loop->thread_ = std::thread([raw = loop.get()] {
    SetCurrentThreadName("ps-http");
    raw->Run();
  });
  return loop;
}

EventLoop::EventLoop(const HttpClientOptions& options, int epoll_fd,
                     int wake_fd, CURLM* multi)
    : options_(options),
      epoll_fd_(epoll_fd),
      wake_fd_(wake_fd),
      multi_(multi),
      inflaters_(kMaxFreeInflaters),
      http1_(epoll_fd,
             Http1Transport::Options{
                 .max_idle_connections = options.max_idle_connections,
                 .max_response_header_bytes =
                     options.max_response_header_bytes}) {}

EventLoop::~EventLoop() {
  Stop();
  for (CURL* easy : free_easy_) curl_easy_cleanup(easy);
  curl_multi_cleanup(multi_);
  close(wake_fd_);
  close(epoll_fd_);
}

void EventLoop::Start(uint64_t id, Request request, DoneCallback done) {
  const Clock& clock = options_.clock ? *options_.clock : Clock::Real();
  auto transfer = std::make_unique<Transfer>();
  transfer->id = id;
  transfer->start = clock.Now();
  transfer->url = std::move(request.url);
  transfer->curl_url = transfer->url;
  transfer->timeout = request.timeout;
  transfer->body_size_limit = request.body_size_limit;
  transfer->settings = std::move(request.settings);
  transfer->done = std::move(done);
  transfer->loop = this;
  transfer->response.id = id;
  transfer->response.body = std::move(request.buffer);
  transfer->response.body.clear();

  const ClientSettings& settings =
      transfer->settings ? *transfer->settings : DefaultSettings();
  absl::Status headers_status;
  // The environment's proxies are ignored on both paths (see
  // ClientSettings::proxy_url), so only a configured proxy needs curl.
  if (options_.native_http1 && settings.proxy_url.empty()) {
    transfer->target = ParseHttp1Target(transfer->url);
  }
  if (transfer->target.has_value()) {
    auto names_host = [](const Headers& headers) {
      return std::any_of(headers.begin(), headers.end(), [](const Header& h) {
        return absl::EqualsIgnoreCase(h.name, "Host");
      });
    };
    std::string& out = transfer->http1_request;
    AppendHttp1RequestStart(
        *transfer->target,
        !names_host(settings.headers) && !names_host(request.headers), &out);
    bool sendable = true;
    headers_status = ForEachRequestHeader(
        settings, request.headers,
        [&](absl::string_view name, absl::string_view value) {
          sendable = AppendHttp1Header(name, value, &out) && sendable;
        });
    out.append("\r\n");
    if (!sendable) {
      // Headers only curl would send as given; let it.
      transfer->target.reset();
      out.clear();
    }
  }
  if (!transfer->target.has_value()) {
    headers_status = ForEachRequestHeader(
        settings, request.headers,
        [&](absl::string_view name, absl::string_view value) {
          transfer->AddCurlHeader(name, value);
        });
  }
  if (!headers_status.ok()) transfer->prepare_error = headers_status;
  if (!settings.tls.server_name.empty()) {
    // Go's tls.Config.ServerName changes SNI and the verified name but not
    // the address dialled nor the Host header. With curl: request the
    // server name, CONNECT_TO the real host, and send the original Host.
    std::optional<UrlParts> parts = ParseUrl(transfer->url);
    std::optional<std::string> renamed =
        parts ? ReplaceHost(transfer->url, settings.tls.server_name)
              : std::nullopt;
    if (parts && renamed && parts->scheme == "https") {
      transfer->curl_url = *renamed;
      std::string connect_to =
          absl::StrCat(settings.tls.server_name, ":", parts->port, ":",
                       parts->host, ":", parts->port);
      transfer->connect_to =
          curl_slist_append(transfer->connect_to, connect_to.c_str());
      transfer->AddCurlHeader("Host",
                              absl::StrCat(parts->host, ":", parts->port));
    }
  }

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

int EventLoop::OnSocket(CURL* easy, curl_socket_t fd, int what, void* self,
                        void* socket_data) {
  auto* loop = static_cast<EventLoop*>(self);
  if (what == CURL_POLL_REMOVE) {
    // curl may already have closed the descriptor; nothing to undo then.
    epoll_ctl(loop->epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    return 0;
  }
  epoll_event event{};
  event.data.u64 = FdTag(fd);
  if (what & CURL_POLL_IN) event.events |= EPOLLIN;
  if (what & CURL_POLL_OUT) event.events |= EPOLLOUT;
  if (epoll_ctl(loop->epoll_fd_, EPOLL_CTL_MOD, fd, &event) != 0 &&
      errno == ENOENT) {
    epoll_ctl(loop->epoll_fd_, EPOLL_CTL_ADD, fd, &event);
  }
  return 0;
}

int EventLoop::OnTimer(CURLM* multi, long timeout_ms, void* self) {
  auto* loop = static_cast<EventLoop*>(self);
  if (timeout_ms < 0) {
    loop->timer_deadline_.reset();
  } else {
    loop->timer_deadline_ = std::chrono::steady_clock::now() +
                            std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

int EventLoop::NextTimeoutMs() {
  std::optional<SteadyTime> next = http1_.NextTimer();
  for (const std::optional<SteadyTime>& other :
       {timer_deadline_, NextTimerDeadline()}) {
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
  const uint64_t id = next_timer_id_++;
  const bool earliest =
      timer_heap_.empty() || deadline < timer_heap_.top().when;
  timer_heap_.push(TimerEntry{deadline, id});
  timer_tasks_.emplace(id, std::move(task));
  // The loop sleeps until its earliest deadline; an earlier one must wake
  // it (unless this is the loop thread, which recomputes before sleeping).
  if (earliest && !OnLoopThreadLocked()) Wake();
  return id;
}

bool EventLoop::CancelTimer(uint64_t id) {
  MutexLock lock(&mu_);
  if (timer_tasks_.erase(id) > 0) return true;
  if (!OnLoopThreadLocked()) {
    while (running_timer_ == id && id != 0) timer_done_cv_.Wait(&mu_);
  }
  return false;
}

void EventLoop::RunDueTimers() {
  // Tasks due within the slack run now, with the one that woke the loop:
  // thousands of scrape ticks a second then share wake-ups (a context
  // switch costs more than the rest of a tick). ScrapeLoop stamps an early
  // tick with its grid time, so 2 ms keeps the scrape within Prometheus'
  // 2 ms timestamp tolerance of its stamp.
  const SteadyTime now = std::chrono::steady_clock::now() + kTimerEarlySlack;
  for (;;) {
    absl::AnyInvocable<void()> task;
    {
      MutexLock lock(&mu_);
      while (!timer_heap_.empty() &&
             !timer_tasks_.contains(timer_heap_.top().id)) {
        timer_heap_.pop();
      }
      if (timer_heap_.empty() || timer_heap_.top().when > now) return;
      const uint64_t id = timer_heap_.top().id;
      timer_heap_.pop();
      auto it = timer_tasks_.find(id);
      task = std::move(it->second);
      timer_tasks_.erase(it);
      running_timer_ = id;
    }
    task();
    task = nullptr;  // Captures die before Cancel may return.
    MutexLock lock(&mu_);
    running_timer_ = 0;
    timer_done_cv_.SignalAll();
  }
}

std::optional<EventLoop::SteadyTime> EventLoop::NextTimerDeadline() {
  MutexLock lock(&mu_);
  while (!timer_heap_.empty() &&
         !timer_tasks_.contains(timer_heap_.top().id)) {
    timer_heap_.pop();
  }
  if (timer_heap_.empty()) return std::nullopt;
  return timer_heap_.top().when;
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
  int running = 0;
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
      int flags = 0;
      if (events[i].events & (EPOLLIN | EPOLLHUP)) flags |= CURL_CSELECT_IN;
      if (events[i].events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
      if (events[i].events & EPOLLERR) flags |= CURL_CSELECT_ERR;
      curl_multi_socket_action(multi_, fd, flags, &running);
    }
    SteadyTime now = std::chrono::steady_clock::now();
    http1_.OnTimers(now);
    if (timer_deadline_.has_value() && now >= *timer_deadline_) {
      timer_deadline_.reset();
      curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    ReadCompletions();
    RunDueTimers();
    bool running_on = DrainQueue();
    http1_.EndOfBatch();
    if (!running_on) break;
  }

  // Shutdown: every request still here is cancelled; timers are dropped.
  std::vector<std::unique_ptr<Transfer>> queued;
  absl::flat_hash_map<uint64_t, absl::AnyInvocable<void()>> timers;
  {
    MutexLock lock(&mu_);
    queued.swap(queued_);
    cancels_.clear();
    timers.swap(timer_tasks_);
    timer_heap_ = {};
  }
  timers.clear();
  for (auto& transfer : queued) {
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
    auto it = active_.find(id);
    if (it == active_.end()) continue;
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    active_.erase(it);
    std::string url = transfer->url;
    Finish(std::move(transfer), ContextCanceledError(url));
  }
  return true;
}

CURL* EventLoop::AcquireEasy() {
  if (!free_easy_.empty()) {
    CURL* easy = free_easy_.back();
    free_easy_.pop_back();
    return easy;
  }
  return curl_easy_init();
}

void EventLoop::ReleaseEasy(CURL* easy) {
  if (free_easy_.size() >= kMaxFreeEasy) {
    curl_easy_cleanup(easy);
    return;
  }
  // Drops the options, keeps the allocation; connections live in the multi
  // handle's cache, not in the easy handle.
  curl_easy_reset(easy);
  free_easy_.push_back(easy);
}

void EventLoop::AddTransfer(std::unique_ptr<Transfer> transfer) {
  if (!transfer->prepare_error.ok()) {
    absl::Status status = transfer->prepare_error;
    Finish(std::move(transfer), std::move(status));
    return;
  }
  if (transfer->target.has_value()) {
    StartNative(std::move(transfer));
  } else {
    StartCurl(std::move(transfer));
  }
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
  Transfer& t = *transfer;
  // The native exchange is over; curl starts from the original URL and
  // follows the redirects itself, within what is left of the timeout.
  t.native = false;
  t.redirect = false;
  t.target.reset();
  t.response.status_code = 0;
  t.response.content_type.clear();
  t.response.body.clear();
  t.reason.clear();
  t.gzip = false;
  t.content_length = -1;
  if (t.native_deadline.has_value()) {
    auto left = *t.native_deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
      std::string url = t.url;
      Finish(std::move(transfer), ContextDeadlineError(url));
      return;
    }
    t.timeout = absl::FromChrono(left);
  }
  // The request's header lines, as already formatted for the wire.
  absl::string_view head = t.http1_request;
  head.remove_prefix(std::min(head.size(), head.find("\r\n") + 2));
  for (absl::string_view line : absl::StrSplit(head, "\r\n")) {
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    absl::string_view name = line.substr(0, colon);
    if (absl::EqualsIgnoreCase(name, "Host")) continue;
    t.AddCurlHeader(name, absl::StripLeadingAsciiWhitespace(
                              line.substr(colon + 1)));
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
  CURL* easy = AcquireEasy();
  if (easy == nullptr) {
    Finish(std::move(transfer),
           absl::ResourceExhaustedError("cannot allocate a curl handle"));
    return;
  }
  transfer->easy = easy;
  Transfer* t = transfer.get();
  const ClientSettings& settings =
      t->settings ? *t->settings : DefaultSettings();

  curl_easy_setopt(easy, CURLOPT_URL, t->curl_url.c_str());
  curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
  // Signals are process-wide; a multi-threaded plugin must not use them.
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
  if (t->connect_to != nullptr) {
    curl_easy_setopt(easy, CURLOPT_CONNECT_TO, t->connect_to);
  }
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Transfer::OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->error_buffer);
  // Raw bytes: gzip is decoded by us so the body limit counts decompressed
  // bytes and only "Content-Encoding: gzip" is decoded, as in Prometheus.
  curl_easy_setopt(easy, CURLOPT_HTTP_CONTENT_DECODING, 0L);
  if (t->timeout > absl::ZeroDuration()) {
    // The scrape timeout is the only deadline, covering connect too.
    long ms = std::max<long>(1, absl::ToInt64Milliseconds(t->timeout));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, ms);
  }
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  // No DNS cache, as Go's dialer (Prometheus resolves on every new
  // connection; kept-alive connections need no lookup). curl's cache also
  // costs O(entries) per request: every transfer walks the whole cache to
  // prune it, and one multi handle scraping 10,000 host:port pairs would
  // walk 10,000 entries per scrape.
  curl_easy_setopt(easy, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
  // Go's IdleConnTimeout in Prometheus is 5 min; curl's default (118 s)
  // would reconnect every scrape of a job with a 2 min interval.
  curl_easy_setopt(easy, CURLOPT_MAXAGE_CONN, 300L);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION,
                   settings.follow_redirects ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, kMaxRedirects);
  // An empty proxy disables curl's reading of http_proxy & co.
  curl_easy_setopt(easy, CURLOPT_PROXY, settings.proxy_url.c_str());
  if (!settings.no_proxy.empty()) {
    curl_easy_setopt(easy, CURLOPT_NOPROXY, settings.no_proxy.c_str());
  }
  if (settings.enable_http2) {
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    // Over TLS, wait for a pending connection's ALPN answer instead of
    // opening another that HTTP/2 would make redundant. NOTE: never for
    // plain http: there curl learns the connection is HTTP/1.1 only from
    // the response, so one hanging scrape would stall every other request
    // to that host.
    if (absl::StartsWithIgnoreCase(t->curl_url, "https://")) {
      curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    }
  } else {
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  }
  const TlsSettings& tls = settings.tls;
  // Blobs point into the shared settings, which the transfer keeps alive;
  // CURL_BLOB_NOCOPY avoids copying the PEM per request.
  if (!tls.ca.empty()) {
    curl_blob blob{const_cast<char*>(tls.ca.data()), tls.ca.size(),
                   CURL_BLOB_NOCOPY};
    curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob);
  } else if (!tls.ca_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, tls.ca_file.c_str());
  }
  if (!tls.cert.empty()) {
    curl_blob blob{const_cast<char*>(tls.cert.data()), tls.cert.size(),
                   CURL_BLOB_NOCOPY};
    curl_easy_setopt(easy, CURLOPT_SSLCERT_BLOB, &blob);
  } else if (!tls.cert_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSLCERT, tls.cert_file.c_str());
  }
  if (!tls.key.empty()) {
    curl_blob blob{const_cast<char*>(tls.key.data()), tls.key.size(),
                   CURL_BLOB_NOCOPY};
    curl_easy_setopt(easy, CURLOPT_SSLKEY_BLOB, &blob);
  } else if (!tls.key_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSLKEY, tls.key_file.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER,
                   tls.insecure_skip_verify ? 0L : 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST,
                   tls.insecure_skip_verify ? 0L : 2L);
  curl_easy_setopt(
      easy, CURLOPT_SSLVERSION,
      CurlTlsVersion(tls.min_version) | CurlMaxTlsVersion(tls.max_version));
  // Prometheus re-reads a changed CA file; curl caches the parsed store for
  // 24 h by default, so cap that at a minute.
  curl_easy_setopt(easy, CURLOPT_CA_CACHE_TIMEOUT, 60L);
  if (absl::StartsWithIgnoreCase(t->curl_url, "https://")) {
    // Keeps the peer's SANs so a name mismatch reads as Go's error. Costs
    // a little per TLS handshake only, not per request on a kept-alive
    // connection.
    curl_easy_setopt(easy, CURLOPT_CERTINFO, 1L);
  }

  CURLMcode rc = curl_multi_add_handle(multi_, easy);
  if (rc != CURLM_OK) {
    Finish(std::move(transfer),
           absl::InternalError(absl::StrCat("curl_multi_add_handle: ",
                                            curl_multi_strerror(rc))));
    return;
  }
  active_.emplace(t->id, std::move(transfer));
}

namespace {

// Go's x509.HostnameError text, from the SANs curl collected (CERTINFO).
std::string HostnameMismatch(Transfer& t) {
  std::string host = t.settings ? t.settings->tls.server_name : "";
  if (host.empty()) {
    std::optional<UrlParts> parts = ParseUrl(t.url);
    if (parts) host = parts->host;
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::vector<std::string> dns_names;
  std::vector<std::string> ips;
  curl_certinfo* info = nullptr;
  curl_easy_getinfo(t.easy, CURLINFO_CERTINFO, &info);
  if (info != nullptr && info->num_of_certs > 0) {
    for (curl_slist* item = info->certinfo[0]; item != nullptr;
         item = item->next) {
      absl::string_view line = item->data;
      if (!absl::ConsumePrefix(&line, "X509v3 Subject Alternative Name:")) {
        continue;
      }
      for (absl::string_view part : absl::StrSplit(line, ',')) {
        part = absl::StripAsciiWhitespace(part);
        if (absl::ConsumePrefix(&part, "DNS:")) {
          dns_names.emplace_back(part);
        } else if (absl::ConsumePrefix(&part, "IP Address:")) {
          ips.emplace_back(part);
        }
      }
    }
  }
  unsigned char addr[sizeof(in6_addr)];
  bool is_ip = inet_pton(AF_INET, host.c_str(), addr) == 1 ||
               inet_pton(AF_INET6, host.c_str(), addr) == 1;
  std::string valid;
  if (is_ip) {
    if (ips.empty()) {
      return absl::StrCat("x509: cannot validate certificate for ", host,
                          " because it doesn't contain any IP SANs");
    }
    valid = absl::StrJoin(ips, ", ");
  } else {
    if (dns_names.empty()) {
      return "x509: certificate relies on legacy Common Name field, use "
             "SANs instead";
    }
    valid = absl::StrJoin(dns_names, ", ");
  }
  return absl::StrCat("x509: certificate is valid for ", valid, ", not ", host);
}

// Maps a failed transfer to the error Go's http.Client would give.
absl::Status TransportError(CURLcode code, Transfer& t) {
  std::string prefix = GetPrefix(t.url);
  absl::string_view detail =
      t.error_buffer[0] != '\0' ? t.error_buffer : curl_easy_strerror(code);
  long os_errno = 0;
  curl_easy_getinfo(t.easy, CURLINFO_OS_ERRNO, &os_errno);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return ContextDeadlineError(t.url);
    case CURLE_COULDNT_CONNECT: {
      std::optional<UrlParts> parts = ParseUrl(t.url);
      char* ip = nullptr;
      curl_easy_getinfo(t.easy, CURLINFO_PRIMARY_IP, &ip);
      std::string host = (ip != nullptr && ip[0] != '\0')
                             ? std::string(ip)
                             : (parts ? parts->host : "");
      if (absl::StrContains(host, ':') && host[0] != '[') {
        host = absl::StrCat("[", host, "]");
      }
      std::string port = parts ? parts->port : "";
      std::string why = os_errno != 0 ? ErrnoText(static_cast<int>(os_errno))
                                      : Lowercase(detail);
      return DialError(t.url, absl::StrCat(host, ":", port), why);
    }
    case CURLE_COULDNT_RESOLVE_HOST: {
      std::optional<UrlParts> parts = ParseUrl(t.url);
      return absl::UnavailableError(absl::StrCat(prefix, "dial tcp: lookup ",
                                                 parts ? parts->host : "",
                                                 ": no such host"));
    }
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_PROXY:
      return absl::UnavailableError(
          absl::StrCat(prefix, "proxyconnect tcp: ", Lowercase(detail)));
    case CURLE_PEER_FAILED_VERIFICATION: {
      std::string lower = Lowercase(detail);
      if (absl::StrContains(lower, "subject name") ||
          absl::StrContains(lower, "does not match")) {
        return absl::UnavailableError(
            absl::StrCat(prefix, HostnameMismatch(t)));
      }
      if (absl::StrContains(lower, "expired") ||
          absl::StrContains(lower, "not yet valid")) {
        return absl::UnavailableError(absl::StrCat(
            prefix, "x509: certificate has expired or is not yet valid"));
      }
      if (absl::StrContains(lower, "issuer") ||
          absl::StrContains(lower, "self-signed") ||
          absl::StrContains(lower, "self signed")) {
        return absl::UnavailableError(absl::StrCat(
            prefix, "x509: certificate signed by unknown authority"));
      }
      // Anything else keeps OpenSSL's words.
      return absl::UnavailableError(absl::StrCat(prefix, "x509: ", lower));
    }
    case CURLE_SSL_CACERT_BADFILE: {
      // Name the OS error as Prometheus does ("open <file>: no such file or
      // directory") when the file is unreadable, else curl's parse error.
      std::string ca_file = t.settings ? t.settings->tls.ca_file : "";
      std::string why = Lowercase(detail);
      if (access(ca_file.c_str(), R_OK) != 0) {
        why = absl::StrCat("open ", ca_file, ": ", ErrnoText(errno));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "unable to load specified CA cert ", ca_file, ": ", why));
    }
    case CURLE_SSL_CERTPROBLEM:
      return absl::InvalidArgumentError(
          absl::StrCat("unable to use specified client cert (",
                       t.settings ? t.settings->tls.cert_file : "", ") & key (",
                       t.settings ? t.settings->tls.key_file : "",
                       "): ", Lowercase(detail)));
    case CURLE_SSL_CONNECT_ERROR:
      return absl::UnavailableError(absl::StrCat(
          prefix, "tls: handshake failure (", Lowercase(detail), ")"));
    case CURLE_GOT_NOTHING:
      return absl::UnavailableError(absl::StrCat(prefix, "EOF"));
    case CURLE_PARTIAL_FILE: return absl::UnavailableError("unexpected EOF");
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      return absl::UnavailableError(absl::StrCat(
          prefix, code == CURLE_RECV_ERROR ? "read: " : "write: ",
          os_errno != 0 ? ErrnoText(static_cast<int>(os_errno)) : Lowercase(detail)));
    case CURLE_TOO_MANY_REDIRECTS:
      return absl::UnavailableError(
          absl::StrCat(prefix, "stopped after 10 redirects"));
    case CURLE_UNSUPPORTED_PROTOCOL: {
      std::optional<UrlParts> parts = ParseUrl(t.url);
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "unsupported protocol scheme \"",
                       parts ? parts->scheme : "", "\""));
    }
    case CURLE_URL_MALFORMAT:
      return absl::InvalidArgumentError(
          absl::StrCat("parse \"", t.url, "\": ", Lowercase(detail)));
    default:
      return absl::UnavailableError(absl::StrCat(prefix, Lowercase(detail)));
  }
}

}  // namespace

void EventLoop::ReadCompletions() {
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    Transfer* raw = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &raw);
    CURLcode code = msg->data.result;
    auto it = active_.find(raw->id);
    if (it == active_.end()) continue;  // Cannot happen; be defensive.
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    active_.erase(it);
    Transfer& t = *transfer;
    absl::Status status;
    if (!t.body.error().ok()) {
      status = t.body.error();
    } else if (code != CURLE_OK) {
      status = TransportError(code, t);
    } else if (t.response.status_code != 200) {
      status = HttpStatusError(t.response.status_code, t.reason);
    } else {
      if (!t.body.started()) t.BeginBody();
      status = t.body.Finish();
    }
    Finish(std::move(transfer), std::move(status));
  }
}

void EventLoop::Finish(std::unique_ptr<Transfer> transfer,
                       absl::Status status) {
  if (transfer->easy != nullptr) {
    curl_multi_remove_handle(multi_, transfer->easy);
    ReleaseEasy(transfer->easy);
    transfer->easy = nullptr;
  }
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
