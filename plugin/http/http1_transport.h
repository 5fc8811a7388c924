#ifndef PLUGIN_HTTP_HTTP1_TRANSPORT_H_
#define PLUGIN_HTTP_HTTP1_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "plugin/http/connection_pool.h"
#include "plugin/http/http1_connection.h"
#include "plugin/http/http1_request.h"
#include "plugin/http/http1_response_parser.h"

namespace promscrape::http::internal {

// One request of the native transport, implemented by its owner (the
// event loop's request state). The owner must keep itself and the target,
// URL and request bytes given to `Http1Transport::Start` alive until
// `OnResponseDone` runs or it calls `Http1Transport::Abort`.
class Http1Exchange {
 public:
  Http1Exchange() = default;
  Http1Exchange(const Http1Exchange&) = delete;
  Http1Exchange& operator=(const Http1Exchange&) = delete;
  virtual ~Http1Exchange() = default;

  // The final (non-1xx) response head arrived. `head` is valid during the
  // call only.
  virtual void OnResponseHead(const Http1ResponseParser& head) = 0;
  // Body bytes, valid during the call only. Returning false ends the
  // exchange: its connection is closed and `OnResponseDone` gets kAborted.
  virtual bool OnResponseBody(absl::string_view data) = 0;
  // The exchange ended: OK once the whole response arrived, else the
  // transport error in Go's words (see `Http1Transport`). The transport
  // no longer refers to the exchange; it may be destroyed in the call.
  virtual void OnResponseDone(absl::Status status) = 0;

 private:
  friend class Http1Transport;

  const Http1Target* target_ = nullptr;
  absl::string_view url_;
  absl::string_view request_;
  std::unique_ptr<Http1Connection> connection_;
  size_t sent_ = 0;
  bool reused_ = false;
  bool retried_ = false;
  std::optional<SteadyTime> deadline_;
};

// The native HTTP/1.1 client transport of one event loop: GETs over plain
// TCP keep-alive connections registered in the loop's epoll set, with
// Go's http.Transport semantics where Prometheus can tell: idle connections
// are reused (most recent first) and expire after 5 minutes; an idle
// connection the peer closes or writes to is dropped at once; a request
// whose reused connection fails before any response byte (EOF, reset,
// broken pipe) is retried once on a fresh connection; the deadline covers
// connect, request and response.
//
// Error texts (prefix `Get "<url>": ` unless noted), all kUnavailable but
// the deadline: `dial tcp <addr>: connect: <errno>`, `EOF` (closed before
// any response byte), `unexpected EOF` (cut inside the head), "unexpected
// EOF" without prefix (cut inside the body), `read: <errno>`,
// `write: <errno>`, the parser's malformed-response errors, and
// kDeadlineExceeded `context deadline exceeded`.
//
// Thread-compatible: the loop thread only. `epoll_fd` must outlive it.
class Http1Transport {
 public:
  struct Options {
    // Idle connections kept; the least recently used beyond are closed.
    size_t max_idle_connections = 20000;
    // Bound on a response's status line plus headers.
    size_t max_response_header_bytes = 10 << 20;
    std::chrono::steady_clock::duration idle_timeout = std::chrono::minutes(5);
  };

  Http1Transport(int epoll_fd, const Options& options);
  Http1Transport(const Http1Transport&) = delete;
  Http1Transport& operator=(const Http1Transport&) = delete;
  // Closes every connection. No exchange may be in flight.
  ~Http1Transport();

  // Sends `request` (a complete request head) to `target` over an idle or
  // new connection. `url` is only used in error texts. With a `deadline`
  // the exchange fails with kDeadlineExceeded once `OnTimers` runs at or
  // after it. `exchange.OnResponseDone` may run before `Start` returns.
  void Start(Http1Exchange& exchange, const Http1Target& target,
             absl::string_view url, absl::string_view request,
             std::optional<SteadyTime> deadline);

  // Ends `exchange` without calling it back, closing its connection.
  // Harmless on an exchange that is not in flight.
  void Abort(Http1Exchange& exchange);

  // Handles epoll `events` for `connection` (the event's data pointer).
  void OnEvent(Http1Connection* connection, uint32_t events);

  // Fails exchanges whose deadline is at or before `now` and closes
  // expired idle connections.
  void OnTimers(SteadyTime now);
  // The earliest deadline or idle expiry; nullopt when there is none.
  std::optional<SteadyTime> NextTimer() const;

  // Frees the connections closed since the last call. Call after each batch
  // of epoll events, once no event of the batch is left to handle.
  void EndOfBatch() { closed_.clear(); }

  size_t idle_connections() const { return pool_.size(); }

 private:
  void Connect(Http1Exchange& exchange, bool fresh);
  void Write(Http1Exchange& exchange);
  void Read(Http1Exchange& exchange);
  // Returns false once the exchange has ended.
  bool Feed(Http1Exchange& exchange, absl::string_view data);
  void OnEof(Http1Exchange& exchange);
  void Complete(Http1Exchange& exchange, bool reusable);
  void Fail(Http1Exchange& exchange, absl::Status status);
  // Retries on a fresh connection when a reused one failed before any
  // response byte (Go's rule for idempotent requests), else fails.
  void RetryOrFail(Http1Exchange& exchange, absl::Status status);
  std::unique_ptr<Http1Connection> Detach(Http1Exchange& exchange);
  void Close(std::unique_ptr<Http1Connection> connection);
  void SetWantWrite(Http1Connection& connection, bool want_write);

  const int epoll_fd_;
  const size_t max_head_bytes_;
  ConnectionPool pool_;
  absl::btree_set<std::pair<SteadyTime, Http1Exchange*>> deadlines_;
  std::vector<std::unique_ptr<Http1Connection>> closed_;
  // One read buffer for all connections: only one is read at a time.
  std::unique_ptr<char[]> read_buffer_;
};

}  // namespace promscrape::http::internal

#endif  // PLUGIN_HTTP_HTTP1_TRANSPORT_H_
