#ifndef PLUGIN_HTTP_HTTP1_CONNECTION_H_
#define PLUGIN_HTTP_HTTP1_CONNECTION_H_

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

#include "plugin/http/http1_response_parser.h"

namespace promscrape::http::internal {

class Http1Exchange;

using SteadyTime = std::chrono::steady_clock::time_point;

// One client TCP connection of the native HTTP/1.1 transport: the socket,
// its epoll interest, and the parser of the response in flight. Registered
// once in the loop's epoll set (EPOLLIN | EPOLLRDHUP, plus EPOLLOUT only
// while connecting or a write is pending), with `this` as the event's
// data, so it must be 8-byte aligned (the loop tags other fds with an odd
// value). Owned by the exchange using it or, while idle, by the
// `ConnectionPool`. Closes the socket on destruction. Loop thread only.
struct Http1Connection {
  Http1Connection(int fd, std::string key, size_t max_head_bytes)
      : fd(fd), key(std::move(key)), parser(max_head_bytes) {}
  Http1Connection(const Http1Connection&) = delete;
  Http1Connection& operator=(const Http1Connection&) = delete;
  ~Http1Connection() {
    if (fd >= 0) ::close(fd);
  }

  int fd;
  // The target's "address:port"; the pool's key.
  const std::string key;
  bool connected = false;
  // EPOLLOUT is in the registered interest.
  bool want_write = false;
  // Closed, awaiting deletion at the end of the event batch (events of the
  // batch may still name it).
  bool closed = false;
  // The request using it; null while idle.
  Http1Exchange* exchange = nullptr;
  Http1ResponseParser parser;

  // Pool bookkeeping, valid while idle: when it became idle, and its
  // neighbours in the pool's least-recently-used list.
  SteadyTime idle_since;
  Http1Connection* idle_older = nullptr;
  Http1Connection* idle_newer = nullptr;
};

}  // namespace promscrape::http::internal

#endif  // PLUGIN_HTTP_HTTP1_CONNECTION_H_
