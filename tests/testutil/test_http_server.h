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

  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  // Stops the thread and closes every connection.
  ~TestHttpServer();

  int port() const { return port_; }
  // "http://127.0.0.1:<port><path>".
  std::string Url(absl::string_view path) const;

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
  using SteadyTime = std::chrono::steady_clock::time_point;

  TestHttpServer(Handler handler, int listen_fd, int epoll_fd, int wake_fd,
                 int port);
  void Run();
  void Accept();
  void OnReadable(Connection& conn);
  void HandleRequests(Connection& conn);
  void Queue(Connection& conn, const TestHttpResponse& response);
  void Flush(Connection& conn);
  void Close(int fd);

  Handler handler_;
  const int listen_fd_;
  const int epoll_fd_;
  const int wake_fd_;
  const int port_;
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
};

}  // namespace promscrape::testing

#endif  // TESTS_TESTUTIL_TEST_HTTP_SERVER_H_
