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
  // With a callback_executor: completions whose body is at most this many
  // bytes run on the loop thread anyway while the loop is not busy (it
  // worked at most half of the last whole one-second window). Handing a
  // small response to another thread costs a thread wake-up, more than
  // parsing it; large ones, and all of them on a busy loop, still spread
  // over the executor's threads. With 0, only completions with an empty
  // body stay on an idle loop: empty responses and failures (whose body is
  // cleared, except on the body size limit).
  size_t inline_callback_max_body = 0;
  // Serve plain-http requests without a proxy to IP-literal targets with
  // the native HTTP/1.1 transport instead of libcurl (whose multi interface
  // costs O(cached connections) per request). Everything else always goes
  // through libcurl. False sends everything through curl.
  bool native_http1 = true;
  // The native transport's bound on a response's status line and headers
  // (Go's default MaxResponseHeaderBytes); curl has its own 100 KiB.
  size_t max_response_header_bytes = 10 << 20;
  // Measures `Response::elapsed`; null means `Clock::Real()`. Must outlive
  // the client.
  const Clock* clock = nullptr;
};

}  // namespace promscrape::http

#endif  // PLUGIN_HTTP_HTTP_CLIENT_OPTIONS_H_
