#ifndef PLUGIN_HTTP_CURL_DRIVER_H_
#define PLUGIN_HTTP_CURL_DRIVER_H_

#include <curl/curl.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plugin/http/transfer.h"

namespace promscrape::http::internal {

// epoll data of the event loop's descriptors that are not native
// connections (the wakeup eventfd and curl's sockets): `fd << 1 | 1`.
// Native connections are tagged with their (even, aligned)
// `Http1Connection*`.
inline uint64_t EpollFdTag(int fd) {
  return (static_cast<uint64_t>(fd) << 1) | 1;
}

// An event loop's libcurl transport: one multi handle driven by
// curl_multi_socket_action, whose sockets it registers in the loop's epoll
// set and whose timeout it reports to the loop. Keeps a pool of easy
// handles for reuse; connections are cached in the multi handle. Configures
// each transfer as Prometheus' Go client behaves (no DNS cache, 5 min idle
// connections, redirects, proxies, TLS settings, raw bodies decoded by
// `BodyDecoder`).
//
// Thread-compatible: everything runs on the loop thread. The epoll set
// must outlive the driver.
class CurlDriver {
 public:
  // Creates the multi handle; kInternal if libcurl cannot.
  static absl::StatusOr<std::unique_ptr<CurlDriver>> Create(
      int epoll_fd, size_t max_idle_connections);

  CurlDriver(const CurlDriver&) = delete;
  CurlDriver& operator=(const CurlDriver&) = delete;
  // Frees the pooled easy handles and the multi handle. Every transfer
  // must have been released.
  ~CurlDriver();

  // Sets `t` up on an easy handle (stored in `t.easy`) and adds it to the
  // multi handle. On error the caller finishes `t` with the status, which
  // is kResourceExhausted or kInternal, and still calls `Release`.
  // `t` must stay alive until `Release(t)`.
  absl::Status Start(Transfer& t);

  // Removes `t`'s easy handle, if any, from the multi handle and keeps it
  // for reuse.
  void Release(Transfer& t);

  // Readiness `epoll_events` on curl's socket `fd`.
  void OnSocketEvent(int fd, uint32_t epoll_events);
  // Runs curl's timeout if it is due at `now`.
  void OnTimers(std::chrono::steady_clock::time_point now);
  // When curl wants its timeout run, if at all. NOTE: the monotonic clock,
  // not the injected `Clock`: curl itself times transfers monotonically,
  // and this only sets how long epoll_wait may sleep.
  std::optional<std::chrono::steady_clock::time_point> next_timer() const {
    return timer_deadline_;
  }

  // Calls `done` with each transfer curl finished since the last call and
  // its result code. `done` may call `Release` and destroy the transfer.
  void ReadCompletions(absl::FunctionRef<void(Transfer*, CURLcode)> done);

  // The final status of transfer `t` that curl ended with `code`: a body
  // decoding error, the transport error in Go's words, the HTTP status
  // error, or the body's end (OK, or a gzip / size limit error).
  static absl::Status CompletionStatus(Transfer& t, CURLcode code);

 private:
  CurlDriver(int epoll_fd, CURLM* multi);

  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* driver,
                      void* socket_data);
  static int OnTimer(CURLM* multi, long timeout_ms, void* driver);

  CURL* AcquireEasy();
  void ReleaseEasy(CURL* easy);

  const int epoll_fd_;
  CURLM* const multi_;
  // curl's next timeout.
  std::optional<std::chrono::steady_clock::time_point> timer_deadline_;
  std::vector<CURL*> free_easy_;
  // Transfers curl is running (its out-parameter; unused).
  int running_ = 0;
};

}  // namespace promscrape::http::internal

#endif  // PLUGIN_HTTP_CURL_DRIVER_H_
