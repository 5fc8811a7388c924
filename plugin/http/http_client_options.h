#ifndef PLUGIN_HTTP_HTTP_CLIENT_OPTIONS_H_
#define PLUGIN_HTTP_HTTP_CLIENT_OPTIONS_H_

#include <cstddef>
#include <functional>

#include "absl/functional/any_invocable.h"
#include "plugin/common/clock.h"

namespace promscrape::http {

// Construction options of `HttpClient`.
struct HttpClientOptions {
  // Event loop threads. One handles thousands of concurrent scrapes; more
  // only help when TLS handshakes or decompression saturate a core.
  int num_loops = 1;
  // Idle keep-alive connections each loop keeps (Go's MaxIdleConns is 20000
  // in Prometheus). curl closes the oldest beyond this.
  size_t max_idle_connections = 20000;
  // When set, completion callbacks are handed to this function (for example
  // a worker pool's Schedule) instead of running on the loop thread. It is
  // called on a loop thread and must not block.
  std::function<void(absl::AnyInvocable<void()>)> callback_executor;
  // Measures `Response::elapsed`; null means `Clock::Real()`. Must outlive
  // the client.
  const Clock* clock = nullptr;
};

}  // namespace promscrape::http

#endif  // PLUGIN_HTTP_HTTP_CLIENT_OPTIONS_H_
