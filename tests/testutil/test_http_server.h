#ifndef TESTS_TESTUTIL_TEST_HTTP_SERVER_H_
#define TESTS_TESTUTIL_TEST_HTTP_SERVER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/common/mutex.h"

namespace promscrape::testing {

// A request as the test server parsed it.
struct TestHttpRequest {
  std::string method;
  std::string target;  // path and query, as sent
  std::string body;    // by Content-Length (POST)
  std::vector<std::pair<std::string, std::string>> headers;
  // How many requests this connection carried before this one (0 for the
  // first), so a handler can tell a kept-alive connection from a new one.
  int request_on_connection = 0;
  // Which of the server's ports received it (see `StartOnPorts`).
  int port_index = 0;

  // The first value of header `name` (case-insensitive), or "".
  std::string Header(absl::string_view name) const;
};

// What the handler wants sent back.
struct TestHttpResponse {
  int status = 200;
  std::string reason = "OK";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Sent after this delay (the server keeps serving others meanwhile).
  absl::Duration delay = absl::ZeroDuration();
  // Never answered: the connection stays open until the client gives up.
  bool hang = false;
  // Answered only when `ReleaseHeld()` is called.
  bool hold = false;
  // Sent verbatim instead of status, headers and body (for malformed,
  // chunked or HTTP/1.0 responses). No Content-Length is added.
  std::string raw;
  // Close the connection once the response is written (without announcing
  // it in a Connection header).
  bool close_after = false;
  // Close the connection at once, sending nothing (a keep-alive connection
  // the server dropped just as the request arrived).
  bool close_without_response = false;
  // Write the response in pieces of this many bytes, `piece_delay` apart,
  // so the client reads it in many parts. 0 writes it at once.
  size_t piece_bytes = 0;
  absl::Duration piece_delay = absl::Milliseconds(1);
};

// A minimal HTTP/1.1 server for tests and benchmarks, listening on
// 127.0.0.1:0. One thread multiplexes every connection with epoll, so it
// holds thousands of concurrent (delayed, held or hanging) requests without
// adding threads. Keep-alive is supported; request bodies are not (GET
// only). Content-Length is added to every response.
//
// Thread-safe. The handler runs on the server thread and must not block.
class TestHttpServer {
 public:
  using Handler = std::function<TestHttpResponse(const TestHttpRequest&)>;

  static absl::StatusOr<std::unique_ptr<TestHttpServer>> Start(Handler handler);

  // Like `Start`, listening on `num_ports` ports (many scrape targets on
  // one server thread, for tests and benchmarks with thousands of targets).
  static absl::StatusOr<std::unique_ptr<TestHttpServer>> StartOnPorts(
      Handler handler, int num_ports);

  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  // Stops the thread and closes every connection.
  ~TestHttpServer();

  int port() const { return ports_[0]; }
  int num_ports() const { return static_cast<int>(ports_.size()); }
  // "http://127.0.0.1:<port><path>" of the first or the `index`th port.
  std::string Url(absl::string_view path, int index = 0) const;

  // Sends every response that was returned with `hold` (now and, if
  // `keep_releasing`, for later ones too). Callable from any thread,
  // including the handler.
  void ReleaseHeld(bool keep_releasing = false);

  // Requests parsed so far.
  int requests() const { return requests_.load(); }
  // Connections accepted so far.
  int connections() const { return connections_.load(); }

 private:
  struct Connection;
  // A later part of a response written in pieces.
  struct Piece {
    int fd;
    std::string bytes;
    bool last;
    bool close_after;
  };
  using SteadyTime = std::chrono::steady_clock::time_point;

  TestHttpServer(Handler handler, std::vector<int> listen_fds, int epoll_fd,
                 int wake_fd, std::vector<int> ports);
  void Run();
  void Accept(int listen_fd, int port_index);
  void OnReadable(Connection& conn);
  void HandleRequests(Connection& conn);
  void Queue(Connection& conn, const TestHttpResponse& response);
  void Flush(Connection& conn);
  void Close(int fd);

  Handler handler_;
  const std::vector<int> listen_fds_;
  const int epoll_fd_;
  const int wake_fd_;
  const std::vector<int> ports_;
  std::atomic<int> requests_{0};
  std::atomic<int> connections_{0};
  std::thread thread_;

  Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool release_ ABSL_GUARDED_BY(mu_) = false;
  bool keep_releasing_ ABSL_GUARDED_BY(mu_) = false;

  // Server-thread state.
  absl::flat_hash_map<int, std::unique_ptr<Connection>> connections_by_fd_;
  std::multimap<SteadyTime, std::pair<int, TestHttpResponse>> delayed_;
  std::vector<std::pair<int, TestHttpResponse>> held_;
  std::multimap<SteadyTime, Piece> pieces_;
};

}  // namespace promscrape::testing

#endif  // TESTS_TESTUTIL_TEST_HTTP_SERVER_H_
