#include "plugin/http/http1_transport.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "plugin/http/transport_errors.h"

namespace promscrape::http::internal {
namespace {

constexpr size_t kReadBufferSize = 256 * 1024;
// Prometheus' dialer: net.Dialer{KeepAlive: 30 * time.Second}.
constexpr int kKeepAliveSeconds = 30;
constexpr uint32_t kReadEvents = EPOLLIN | EPOLLRDHUP;

}  // namespace

Http1Transport::Http1Transport(int epoll_fd, const Options& options)
    : epoll_fd_(epoll_fd),
      max_head_bytes_(options.max_response_header_bytes),
      pool_(options.max_idle_connections, options.idle_timeout),
      read_buffer_(new char[kReadBufferSize]) {}

Http1Transport::~Http1Transport() = default;

void Http1Transport::Start(Http1Exchange& exchange, const Http1Target& target,
                           absl::string_view url, absl::string_view request,
                           std::optional<SteadyTime> deadline) {
  exchange.target_ = &target;
  exchange.url_ = url;
  exchange.request_ = request;
  exchange.retried_ = false;
  exchange.deadline_ = deadline;
  if (deadline.has_value()) deadlines_.insert({*deadline, &exchange});
  Connect(exchange, /*fresh=*/false);
}

void Http1Transport::Abort(Http1Exchange& exchange) {
  std::unique_ptr<Http1Connection> connection = Detach(exchange);
  if (connection != nullptr) Close(std::move(connection));
}

void Http1Transport::Connect(Http1Exchange& exchange, bool fresh) {
  const Http1Target& target = *exchange.target_;
  exchange.sent_ = 0;
  if (!fresh) {
    std::unique_ptr<Http1Connection> idle = pool_.Take(target.address_text);
    if (idle != nullptr) {
      exchange.reused_ = true;
      idle->exchange = &exchange;
      exchange.connection_ = std::move(idle);
      Write(exchange);
      return;
    }
  }
  exchange.reused_ = false;
  int fd = socket(target.address.ss_family,
                  SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int err = errno;
    Fail(exchange, absl::UnavailableError(
                       absl::StrCat(GetPrefix(exchange.url_), "dial tcp ",
                                    target.address_text,
                                    ": socket: ", ErrnoText(err))));
    return;
  }
  auto connection = std::make_unique<Http1Connection>(
      fd, target.address_text, max_head_bytes_);
  int one = 1;
  int idle = kKeepAliveSeconds;
  // Go's dialer sets TCP_NODELAY and TCP keep-alive on every connection.
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof(idle));
  int rc = connect(fd, reinterpret_cast<const sockaddr*>(&target.address),
                   target.address_size);
  if (rc != 0 && errno != EINPROGRESS) {
    int err = errno;
    Fail(exchange,
         DialError(exchange.url_, target.address_text, ErrnoText(err)));
    return;
  }
  connection->connected = rc == 0;
  // EPOLLOUT reports the connect's outcome, then a writable socket.
  connection->want_write = true;
  epoll_event event{};
  event.events = kReadEvents | EPOLLOUT;
  event.data.ptr = connection.get();
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    int err = errno;
    Fail(exchange, absl::InternalError(
                       absl::StrCat("epoll_ctl: ", ErrnoText(err))));
    return;
  }
  connection->exchange = &exchange;
  exchange.connection_ = std::move(connection);
  if (exchange.connection_->connected) Write(exchange);
}

void Http1Transport::SetWantWrite(Http1Connection& connection,
                                  bool want_write) {
  if (connection.want_write == want_write) return;
  connection.want_write = want_write;
  epoll_event event{};
  event.events = kReadEvents | (want_write ? uint32_t{EPOLLOUT} : 0u);
  event.data.ptr = &connection;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, connection.fd, &event);
}

void Http1Transport::Write(Http1Exchange& exchange) {
  Http1Connection& connection = *exchange.connection_;
  absl::string_view request = exchange.request_;
  while (exchange.sent_ < request.size()) {
    ssize_t n = send(connection.fd, request.data() + exchange.sent_,
                     request.size() - exchange.sent_, MSG_NOSIGNAL);
    if (n > 0) {
      exchange.sent_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      SetWantWrite(connection, true);
      return;
    }
    int err = n < 0 ? errno : EPIPE;
    RetryOrFail(exchange,
                absl::UnavailableError(absl::StrCat(
                    GetPrefix(exchange.url_), "write: ", ErrnoText(err))));
    return;
  }
  SetWantWrite(connection, false);
}

void Http1Transport::OnEvent(Http1Connection* connection, uint32_t events) {
  if (connection->closed) return;
  Http1Exchange* exchange = connection->exchange;
  if (exchange == nullptr) {
    // An idle connection must stay silent: readable means the peer closed
    // it (or broke the protocol), so it is useless.
    Close(pool_.Remove(connection));
    return;
  }
  if (!connection->connected) {
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
    int err = 0;
    socklen_t size = sizeof(err);
    if (getsockopt(connection->fd, SOL_SOCKET, SO_ERROR, &err, &size) != 0) {
      err = errno;
    }
    if (err == 0 && (events & (EPOLLERR | EPOLLHUP)) != 0) err = ECONNREFUSED;
    if (err != 0) {
      Fail(*exchange, DialError(exchange->url_,
                                exchange->target_->address_text,
                                ErrnoText(err)));
      return;
    }
    connection->connected = true;
    Write(*exchange);
    return;
  }
  if ((events & EPOLLOUT) != 0 && exchange->sent_ < exchange->request_.size()) {
    Write(*exchange);
    // Write may have ended the exchange or moved it to a new connection.
    if (connection->closed || connection->exchange != exchange) return;
  }
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
    Read(*exchange);
  }
}

void Http1Transport::Read(Http1Exchange& exchange) {
  Http1Connection& connection = *exchange.connection_;
  char* buffer = read_buffer_.get();
  while (true) {
    ssize_t n = recv(connection.fd, buffer, kReadBufferSize, 0);
    if (n > 0) {
      if (!Feed(exchange, absl::string_view(buffer, static_cast<size_t>(n)))) {
        return;
      }
      // A short read drained the socket; level-triggered epoll reports
      // what arrives later.
      if (static_cast<size_t>(n) < kReadBufferSize) return;
      continue;
    }
    if (n == 0) {
      OnEof(exchange);
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    int err = errno;
    RetryOrFail(exchange,
                absl::UnavailableError(absl::StrCat(
                    GetPrefix(exchange.url_), "read: ", ErrnoText(err))));
    return;
  }
}

bool Http1Transport::Feed(Http1Exchange& exchange, absl::string_view data) {
  Http1ResponseParser& parser = exchange.connection_->parser;
  while (true) {
    bool had_head = parser.head_done();
    bool stopped = false;
    absl::StatusOr<size_t> used =
        parser.Parse(data, [&](absl::string_view body) {
          if (exchange.OnResponseBody(body)) return true;
          stopped = true;
          return false;
        });
    if (!used.ok()) {
      // Errors in the head are the round trip's (Go's url.Error); errors
      // in the body come from reading it, without the prefix. NOTE: always
      // a new Status: sharing `used`'s refcounted rep with the callback's
      // thread trips TSAN (Debian's abseil is not instrumented).
      Fail(exchange, absl::UnavailableError(absl::StrCat(
                         had_head ? "" : GetPrefix(exchange.url_),
                         used.status().message())));
      return false;
    }
    data.remove_prefix(*used);
    if (stopped) {
      Fail(exchange, absl::AbortedError("response body rejected"));
      return false;
    }
    if (!had_head && parser.head_done()) exchange.OnResponseHead(parser);
    if (parser.done()) {
      // Bytes past the response, or a request not fully sent, leave the
      // connection in an unknown state: never reuse it then.
      Complete(exchange, parser.keep_alive() && data.empty() &&
                             exchange.sent_ == exchange.request_.size());
      return false;
    }
    if (data.empty()) return true;
  }
}

void Http1Transport::OnEof(Http1Exchange& exchange) {
  Http1ResponseParser& parser = exchange.connection_->parser;
  if (!parser.started()) {
    RetryOrFail(exchange, absl::UnavailableError(
                              absl::StrCat(GetPrefix(exchange.url_), "EOF")));
    return;
  }
  bool in_body = parser.in_body();
  if (parser.OnEof()) {
    Complete(exchange, /*reusable=*/false);
  } else if (in_body) {
    Fail(exchange, absl::UnavailableError("unexpected EOF"));
  } else {
    Fail(exchange, absl::UnavailableError(absl::StrCat(
                       GetPrefix(exchange.url_), "unexpected EOF")));
  }
}

void Http1Transport::RetryOrFail(Http1Exchange& exchange, absl::Status status) {
  if (exchange.reused_ && !exchange.retried_ &&
      !exchange.connection_->parser.started()) {
    exchange.retried_ = true;
    Close(std::move(exchange.connection_));
    Connect(exchange, /*fresh=*/true);
    return;
  }
  Fail(exchange, std::move(status));
}

void Http1Transport::Complete(Http1Exchange& exchange, bool reusable) {
  std::unique_ptr<Http1Connection> connection = Detach(exchange);
  if (reusable) {
    connection->parser.Reset();
    std::unique_ptr<Http1Connection> evicted =
        pool_.Put(std::move(connection), std::chrono::steady_clock::now());
    if (evicted != nullptr) Close(std::move(evicted));
  } else {
    Close(std::move(connection));
  }
  exchange.OnResponseDone(absl::OkStatus());
}

void Http1Transport::Fail(Http1Exchange& exchange, absl::Status status) {
  std::unique_ptr<Http1Connection> connection = Detach(exchange);
  if (connection != nullptr) Close(std::move(connection));
  exchange.OnResponseDone(std::move(status));
}

std::unique_ptr<Http1Connection> Http1Transport::Detach(
    Http1Exchange& exchange) {
  if (exchange.deadline_.has_value()) {
    deadlines_.erase({*exchange.deadline_, &exchange});
    exchange.deadline_.reset();
  }
  std::unique_ptr<Http1Connection> connection = std::move(exchange.connection_);
  if (connection != nullptr) connection->exchange = nullptr;
  return connection;
}

void Http1Transport::Close(std::unique_ptr<Http1Connection> connection) {
  if (connection == nullptr) return;
  // Closing the only descriptor also drops its epoll registration.
  ::close(connection->fd);
  connection->fd = -1;
  connection->closed = true;
  closed_.push_back(std::move(connection));
}

void Http1Transport::OnTimers(SteadyTime now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    Http1Exchange* exchange = deadlines_.begin()->second;
    Fail(*exchange, ContextDeadlineError(exchange->url_));
  }
  while (std::unique_ptr<Http1Connection> expired = pool_.PopExpired(now)) {
    Close(std::move(expired));
  }
}

std::optional<SteadyTime> Http1Transport::NextTimer() const {
  std::optional<SteadyTime> next = pool_.NextExpiry();
  if (!deadlines_.empty() &&
      (!next.has_value() || deadlines_.begin()->first < *next)) {
    next = deadlines_.begin()->first;
  }
  return next;
}

}  // namespace promscrape::http::internal
