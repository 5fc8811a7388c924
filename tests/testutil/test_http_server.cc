#include "tests/testutil/test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace promscrape::testing {

struct TestHttpServer::Connection {
  int fd = -1;
  std::string in;
  std::string out;
  size_t out_offset = 0;
  // A response is pending (delayed, held or hanging): later pipelined
  // requests wait, as HTTP/1.1 requires in-order answers.
  bool busy = false;
  bool want_write = false;
};

std::string TestHttpRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

absl::StatusOr<std::unique_ptr<TestHttpServer>> TestHttpServer::Start(
    Handler handler) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, 4096) != 0) {
    close(fd);
    return absl::InternalError(absl::StrCat("bind/listen: ", strerror(errno)));
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = fd;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
  event.data.fd = wake_fd;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &event);
  std::unique_ptr<TestHttpServer> server(new TestHttpServer(
      std::move(handler), fd, epoll_fd, wake_fd, ntohs(addr.sin_port)));
  server->thread_ = std::thread([raw = server.get()] { raw->Run(); });
  return server;
}

TestHttpServer::TestHttpServer(Handler handler, int listen_fd, int epoll_fd,
                               int wake_fd, int port)
    : handler_(std::move(handler)),
      listen_fd_(listen_fd),
      epoll_fd_(epoll_fd),
      wake_fd_(wake_fd),
      port_(port) {}

TestHttpServer::~TestHttpServer() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
  for (auto& [fd, conn] : connections_by_fd_) close(fd);
  close(listen_fd_);
  close(wake_fd_);
  close(epoll_fd_);
}

std::string TestHttpServer::Url(absl::string_view path) const {
  return absl::StrCat("http://127.0.0.1:", port_, path);
}

void TestHttpServer::ReleaseHeld(bool keep_releasing) {
  {
    MutexLock lock(&mu_);
    release_ = true;
    keep_releasing_ = keep_releasing_ || keep_releasing;
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

void TestHttpServer::Run() {
  epoll_event events[256];
  while (true) {
    int timeout_ms = -1;
    if (!delayed_.empty()) {
      auto left = delayed_.begin()->first - std::chrono::steady_clock::now();
      timeout_ms = static_cast<int>(std::max<int64_t>(
          0, std::chrono::ceil<std::chrono::milliseconds>(left).count()));
    }
    int n = epoll_wait(epoll_fd_, events, 256, timeout_ms);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        uint64_t count;
        while (read(wake_fd_, &count, sizeof(count)) > 0) {
        }
      } else if (fd == listen_fd_) {
        Accept();
      } else {
        auto it = connections_by_fd_.find(fd);
        if (it == connections_by_fd_.end()) continue;
        Connection& conn = *it->second;
        if (events[i].events & EPOLLOUT) {
          Flush(conn);
          if (connections_by_fd_.find(fd) == connections_by_fd_.end()) continue;
        }
        if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
          OnReadable(conn);
        }
      }
    }
    auto now = std::chrono::steady_clock::now();
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
      auto node = delayed_.extract(delayed_.begin());
      auto it = connections_by_fd_.find(node.mapped().first);
      if (it == connections_by_fd_.end()) continue;
      node.mapped().second.delay = absl::ZeroDuration();
      Queue(*it->second, node.mapped().second);
    }
    bool release = false;
    {
      MutexLock lock(&mu_);
      if (stopping_) return;
      release = release_ || keep_releasing_;
      release_ = false;
    }
    if (release && !held_.empty()) {
      std::vector<std::pair<int, TestHttpResponse>> held;
      held.swap(held_);
      for (auto& [fd, response] : held) {
        auto it = connections_by_fd_.find(fd);
        if (it == connections_by_fd_.end()) continue;
        response.hold = false;
        Queue(*it->second, response);
      }
    }
  }
}

void TestHttpServer::Accept() {
  while (true) {
    int fd =
        accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    connections_.fetch_add(1);
    auto conn = std::make_unique<Connection>();
    conn->fd = fd;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
    connections_by_fd_[fd] = std::move(conn);
  }
}

void TestHttpServer::Close(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  connections_by_fd_.erase(fd);
}

void TestHttpServer::OnReadable(Connection& conn) {
  char buf[16384];
  while (true) {
    ssize_t n = read(conn.fd, buf, sizeof(buf));
    if (n > 0) {
      conn.in.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    Close(conn.fd);  // EOF or error.
    return;
  }
  HandleRequests(conn);
}

void TestHttpServer::HandleRequests(Connection& conn) {
  while (!conn.busy) {
    size_t end = conn.in.find("\r\n\r\n");
    if (end == std::string::npos) return;
    std::string head = conn.in.substr(0, end);
    // A request body (POST) is read by Content-Length; wait for all of it.
    size_t body_size = 0;
    {
      std::string lower = absl::AsciiStrToLower(head);
      size_t at = lower.find("\r\ncontent-length:");
      if (at != std::string::npos) {
        size_t eol = lower.find("\r\n", at + 2);
        if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(lower).substr(
                             at + 17, eol == std::string::npos
                                          ? std::string::npos
                                          : eol - at - 17)),
                              &body_size)) {
          body_size = 0;
        }
      }
    }
    if (conn.in.size() < end + 4 + body_size) return;
    TestHttpRequest request;
    request.body = conn.in.substr(end + 4, body_size);
    conn.in.erase(0, end + 4 + body_size);
    std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
    std::vector<absl::string_view> parts =
        absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
    if (parts.size() >= 2) {
      request.method = std::string(parts[0]);
      request.target = std::string(parts[1]);
    }
    for (size_t i = 1; i < lines.size(); ++i) {
      size_t colon = lines[i].find(':');
      if (colon == absl::string_view::npos) continue;
      request.headers.emplace_back(
          std::string(lines[i].substr(0, colon)),
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
    }
    requests_.fetch_add(1);
    TestHttpResponse response = handler_(request);
    if (response.hang) {
      conn.busy = true;
      return;
    }
    if (response.hold) {
      bool releasing;
      {
        MutexLock lock(&mu_);
        releasing = keep_releasing_;
      }
      if (!releasing) {
        conn.busy = true;
        held_.emplace_back(conn.fd, std::move(response));
        return;
      }
    }
    if (response.delay > absl::ZeroDuration()) {
      conn.busy = true;
      delayed_.emplace(std::chrono::steady_clock::now() +
                           absl::ToChronoNanoseconds(response.delay),
                       std::make_pair(conn.fd, std::move(response)));
      return;
    }
    int fd = conn.fd;
    Queue(conn, response);
    if (connections_by_fd_.find(fd) == connections_by_fd_.end()) return;
  }
}

void TestHttpServer::Queue(Connection& conn, const TestHttpResponse& response) {
  absl::StrAppend(&conn.out, "HTTP/1.1 ", response.status,
                  response.reason.empty() ? "" : " ", response.reason, "\r\n");
  for (const auto& [name, value] : response.headers) {
    absl::StrAppend(&conn.out, name, ": ", value, "\r\n");
  }
  absl::StrAppend(&conn.out, "Content-Length: ", response.body.size(),
                  "\r\n\r\n", response.body);
  conn.busy = false;
  int fd = conn.fd;
  Flush(conn);
  auto it = connections_by_fd_.find(fd);
  if (it != connections_by_fd_.end()) HandleRequests(*it->second);
}

void TestHttpServer::Flush(Connection& conn) {
  while (conn.out_offset < conn.out.size()) {
    ssize_t n = write(conn.fd, conn.out.data() + conn.out_offset,
                      conn.out.size() - conn.out_offset);
    if (n > 0) {
      conn.out_offset += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!conn.want_write) {
        conn.want_write = true;
        epoll_event event{};
        event.events = EPOLLIN | EPOLLOUT;
        event.data.fd = conn.fd;
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn.fd, &event);
      }
      return;
    }
    Close(conn.fd);
    return;
  }
  conn.out.clear();
  conn.out_offset = 0;
  if (conn.want_write) {
    conn.want_write = false;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = conn.fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn.fd, &event);
  }
}

}  // namespace promscrape::testing
