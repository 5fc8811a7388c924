#ifndef TESTS_HTTP_HTTP_CLIENT_TEST_UTIL_H_
#define TESTS_HTTP_HTTP_CLIENT_TEST_UTIL_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "plugin/common/mutex.h"
#include "plugin/http/http_client.h"
#include "plugin/http/request.h"
#include "tests/testutil/test_http_server.h"

namespace promscrape::http::testing {

// Sends `request` and waits up to `wait` for its response. The state is
// shared so a late callback after a failed wait stays harmless.
inline Response Fetch(HttpClient& client, Request request,
                      absl::Duration wait = absl::Seconds(60)) {
  struct State {
    Notification done;
    Response response;
  };
  auto state = std::make_shared<State>();
  client.Start(std::move(request), [state](Response response) {
    state->response = std::move(response);
    state->done.Notify();
  });
  EXPECT_TRUE(state->done.WaitForNotificationWithTimeout(wait))
      << "no response within " << wait;
  if (!state->done.HasBeenNotified()) return Response{};
  return std::move(state->response);
}

// Starts a loopback test server with `handler`; fails the test (and returns
// null) when it cannot.
inline std::unique_ptr<::promscrape::testing::TestHttpServer> StartServer(
    ::promscrape::testing::TestHttpServer::Handler handler) {
  auto server = ::promscrape::testing::TestHttpServer::Start(std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? std::move(server).value() : nullptr;
}

}  // namespace promscrape::http::testing

#endif  // TESTS_HTTP_HTTP_CLIENT_TEST_UTIL_H_
