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
  int requests = 0;
  int port_index = 0;
  // Close once `out` is written.
  bool close_after_flush = false;
};

namespace {

// Epoll data of the listening sockets and the wakeup fd; connections use
// their fd.
constexpr uint64_t kListenTag = uint64_t{1} << 40;
constexpr uint64_t kWakeTag = uint64_t{1} << 41;

}  // namespace

std::string TestHttpRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

absl::StatusOr<std::unique_ptr<TestHttpServer>> TestHttpServer::Start(
    Handler handler) {
  return StartOnPorts(std::move(handler), 1);
}

absl::StatusOr<std::unique_ptr<TestHttpServer>> TestHttpServer::StartOnPorts(
    Handler handler, int num_ports) {
  std::vector<int> fds;
  std::vector<int> ports;
  auto fail = [&](absl::string_view what) {
    absl::Status status =
        absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
    for (int fd : fds) close(fd);
    return status;
  };
  for (int i = 0; i < num_ports; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail("socket");
    fds.push_back(fd);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(fd, 4096) != 0) {
      return fail("bind/listen");
    }
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ports.push_back(ntohs(addr.sin_port));
  }
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event event{};
  event.events = EPOLLIN;
  for (int i = 0; i < num_ports; ++i) {
    event.data.u64 = kListenTag | static_cast<uint64_t>(i);
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fds[i], &event);
  }
  event.data.u64 = kWakeTag;
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &event);
  std::unique_ptr<TestHttpServer> server(
      new TestHttpServer(std::move(handler), std::move(fds), epoll_fd,
                         wake_fd, std::move(ports)));
  server->thread_ = std::thread([raw = server.get()] { raw->Run(); });
  return server;
}

TestHttpServer::TestHttpServer(Handler handler, std::vector<int> listen_fds,
                               int epoll_fd, int wake_fd,
                               std::vector<int> ports)
    : handler_(std::move(handler)),
      listen_fds_(std::move(listen_fds)),
      epoll_fd_(epoll_fd),
      wake_fd_(wake_fd),
      ports_(std::move(ports)) {}

TestHttpServer::~TestHttpServer() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
  for (auto& [fd, conn] : connections_by_fd_) close(fd);
  for (int fd : listen_fds_) close(fd);
  close(wake_fd_);
  close(epoll_fd_);
}

std::string TestHttpServer::Url(absl::string_view path, int index) const {
  return absl::StrCat("http://127.0.0.1:", ports_[index], path);
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
    if (!delayed_.empty() || !pieces_.empty()) {
      SteadyTime next = SteadyTime::max();
      if (!delayed_.empty()) next = delayed_.begin()->first;
      if (!pieces_.empty()) next = std::min(next, pieces_.begin()->first);
      auto left = next - std::chrono::steady_clock::now();
      timeout_ms = static_cast<int>(std::max<int64_t>(
          0, std::chrono::ceil<std::chrono::milliseconds>(left).count()));
    }
    int n = epoll_wait(epoll_fd_, events, 256, timeout_ms);
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      int fd = static_cast<int>(tag & 0xffffffff);
      if (tag == kWakeTag) {
        uint64_t count;
        while (read(wake_fd_, &count, sizeof(count)) > 0) {
        }
      } else if ((tag & kListenTag) != 0) {
        int index = static_cast<int>(tag & 0xffffffff);
        Accept(listen_fds_[index], index);
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
    while (!pieces_.empty() && pieces_.begin()->first <= now) {
      auto node = pieces_.extract(pieces_.begin());
      Piece& piece = node.mapped();
      auto it = connections_by_fd_.find(piece.fd);
      if (it == connections_by_fd_.end()) continue;
      Connection& conn = *it->second;
      conn.out.append(piece.bytes);
      if (piece.last) {
        conn.busy = false;
        conn.close_after_flush = piece.close_after;
      }
      Flush(conn);
      if (piece.last) {
        auto again = connections_by_fd_.find(piece.fd);
        if (again != connections_by_fd_.end()) HandleRequests(*again->second);
      }
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

void TestHttpServer::Accept(int listen_fd, int port_index) {
  while (true) {
    int fd =
        accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    connections_.fetch_add(1);
    auto conn = std::make_unique<Connection>();
    conn->fd = fd;
    conn->port_index = port_index;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = static_cast<uint64_t>(fd);
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
    request.request_on_connection = conn.requests++;
    request.port_index = conn.port_index;
    requests_.fetch_add(1);
    TestHttpResponse response = handler_(request);
    if (response.close_without_response) {
      Close(conn.fd);
      return;
    }
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
  std::string bytes;
  if (!response.raw.empty()) {
    bytes = response.raw;
  } else {
    absl::StrAppend(&bytes, "HTTP/1.1 ", response.status,
                    response.reason.empty() ? "" : " ", response.reason,
                    "\r\n");
    for (const auto& [name, value] : response.headers) {
      absl::StrAppend(&bytes, name, ": ", value, "\r\n");
    }
    absl::StrAppend(&bytes, "Content-Length: ", response.body.size(),
                    "\r\n\r\n", response.body);
  }
  if (response.piece_bytes > 0 && bytes.size() > response.piece_bytes) {
    // The first piece now, the others later; the connection stays busy
    // until the last.
    conn.out.append(bytes, 0, response.piece_bytes);
    auto at = std::chrono::steady_clock::now();
    for (size_t offset = response.piece_bytes; offset < bytes.size();
         offset += response.piece_bytes) {
      at += absl::ToChronoNanoseconds(response.piece_delay);
      bool last = offset + response.piece_bytes >= bytes.size();
      pieces_.emplace(at, Piece{conn.fd, bytes.substr(offset, response.piece_bytes),
                                last, response.close_after});
    }
    conn.busy = true;
    Flush(conn);
    return;
  }
  conn.out.append(bytes);
  conn.close_after_flush = response.close_after;
  conn.busy = false;
  int fd = conn.fd;
  Flush(conn);
  auto it = connections_by_fd_.find(fd);
  if (it != connections_by_fd_.end()) HandleRequests(*it->second);
}

void TestHttpServer::Flush(Connection& conn) {
  while (conn.out_offset < conn.out.size()) {
    // MSG_NOSIGNAL: a client that hangs up mid-response must not kill the
    // test process with SIGPIPE.
    ssize_t n = send(conn.fd, conn.out.data() + conn.out_offset,
                     conn.out.size() - conn.out_offset, MSG_NOSIGNAL);
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
        event.data.u64 = static_cast<uint64_t>(conn.fd);
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn.fd, &event);
      }
      return;
    }
    Close(conn.fd);
    return;
  }
  conn.out.clear();
  conn.out_offset = 0;
  if (conn.close_after_flush) {
    Close(conn.fd);
    return;
  }
  if (conn.want_write) {
    conn.want_write = false;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = static_cast<uint64_t>(conn.fd);
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn.fd, &event);
  }
}

}  // namespace promscrape::testing
