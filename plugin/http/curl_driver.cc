#include "plugin/http/curl_driver.h"

#include <curl/curl.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "plugin/http/client_settings.h"
#include "plugin/http/curl_errors.h"
#include "plugin/http/transfer.h"
#include "plugin/http/transport_errors.h"

namespace promscrape::http::internal {
namespace {

// Free easy handles kept for reuse; beyond these, a burst's extras are
// freed so a one-off spike does not pin memory.
constexpr size_t kMaxFreeEasy = 1024;
// Go's http.Client stops after 10 redirects.
constexpr long kMaxRedirects = 10;

long CurlTlsVersion(TlsVersion version) {
  switch (version) {
    case TlsVersion::kTls10:
      return CURL_SSLVERSION_TLSv1_0;
    case TlsVersion::kTls11:
      return CURL_SSLVERSION_TLSv1_1;
    case TlsVersion::kTls13:
      return CURL_SSLVERSION_TLSv1_3;
    case TlsVersion::kTls12:
    case TlsVersion::kDefault:
      return CURL_SSLVERSION_TLSv1_2;
  }
  return CURL_SSLVERSION_TLSv1_2;
}

long CurlMaxTlsVersion(TlsVersion version) {
  switch (version) {
    case TlsVersion::kTls10:
      return CURL_SSLVERSION_MAX_TLSv1_0;
    case TlsVersion::kTls11:
      return CURL_SSLVERSION_MAX_TLSv1_1;
    case TlsVersion::kTls12:
      return CURL_SSLVERSION_MAX_TLSv1_2;
    case TlsVersion::kTls13:
      return CURL_SSLVERSION_MAX_TLSv1_3;
    case TlsVersion::kDefault:
      return CURL_SSLVERSION_MAX_DEFAULT;
  }
  return CURL_SSLVERSION_MAX_DEFAULT;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CurlDriver>> CurlDriver::Create(
    int epoll_fd, size_t max_idle_connections) {
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return absl::InternalError("curl_multi_init failed");
  std::unique_ptr<CurlDriver> driver(new CurlDriver(epoll_fd, multi));
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &CurlDriver::OnSocket);
  curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, driver.get());
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &CurlDriver::OnTimer);
  curl_multi_setopt(multi, CURLMOPT_TIMERDATA, driver.get());
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS,
                    static_cast<long>(max_idle_connections));
  return driver;
}

CurlDriver::CurlDriver(int epoll_fd, CURLM* multi)
    : epoll_fd_(epoll_fd), multi_(multi) {}

CurlDriver::~CurlDriver() {
  for (CURL* easy : free_easy_) curl_easy_cleanup(easy);
  curl_multi_cleanup(multi_);
}

absl::Status CurlDriver::Start(Transfer& t) {
  // curl adds "Accept: */*" unless told otherwise; Prometheus sends only
  // what the scrape asks for, so an empty Accept: disables curl's default
  // when the request sets none.
  if (!t.has_accept) {
    t.headers = curl_slist_append(t.headers, "Accept:");
  }
  // Go never waits for "100 Continue"; curl would for larger bodies.
  if (t.post) t.headers = curl_slist_append(t.headers, "Expect:");
  CURL* easy = AcquireEasy();
  if (easy == nullptr) {
    return absl::ResourceExhaustedError("cannot allocate a curl handle");
  }
  t.easy = easy;
  const ClientSettings& settings = t.settings_or_default();

  curl_easy_setopt(easy, CURLOPT_URL, t.curl_url.c_str());
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &t);
  // Signals are process-wide; a multi-threaded plugin must not use them.
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t.headers);
  if (t.connect_to != nullptr) {
    curl_easy_setopt(easy, CURLOPT_CONNECT_TO, t.connect_to);
  }
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Transfer::OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.error_buffer);
  // Raw bytes: gzip is decoded by us so the body limit counts decompressed
  // bytes and only "Content-Encoding: gzip" is decoded, as in Prometheus.
  curl_easy_setopt(easy, CURLOPT_HTTP_CONTENT_DECODING, 0L);
  if (t.timeout > absl::ZeroDuration()) {
    // The scrape timeout is the only deadline, covering connect too.
    long ms = std::max<long>(1, absl::ToInt64Milliseconds(t.timeout));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, ms);
  }
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  // No DNS cache, as Go's dialer (Prometheus resolves on every new
  // connection; kept-alive connections need no lookup). curl's cache also
  // costs O(entries) per request: every transfer walks the whole cache to
  // prune it, and one multi handle scraping 10,000 host:port pairs would
  // walk 10,000 entries per scrape.
  curl_easy_setopt(easy, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
  // Go's IdleConnTimeout in Prometheus is 5 min; curl's default (118 s)
  // would reconnect every scrape of a job with a 2 min interval.
  curl_easy_setopt(easy, CURLOPT_MAXAGE_CONN, 300L);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION,
                   settings.follow_redirects ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, kMaxRedirects);
  if (t.post) {
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(t.post_body.size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t.post_body.data());
  }
  // The proxy is chosen here rather than left to curl: curl would read the
  // environment's proxies with rules of its own (no HTTP_PROXY, but
  // ALL_PROXY), and an empty proxy turns that off.
  const ProxyChoice proxy = ChooseProxy(settings, t.url);
  curl_easy_setopt(easy, CURLOPT_PROXY, proxy.proxy.c_str());
  if (!proxy.no_proxy.empty()) {
    curl_easy_setopt(easy, CURLOPT_NOPROXY, proxy.no_proxy.c_str());
  }
  // Go sends ProxyConnectHeader in the CONNECT that tunnels to an https
  // target and nowhere else; a proxied plain-http request carries only the
  // request's own headers. CURLHEADER_SEPARATE keeps the two lists apart
  // (so the target's Authorization never reaches the proxy either).
  if (!proxy.proxy.empty() && !settings.proxy_connect_headers.empty() &&
      absl::StartsWithIgnoreCase(t.url, "https://")) {
    for (const Header& header : settings.proxy_connect_headers) {
      std::string line = header.value.empty()
                             ? absl::StrCat(header.name, ";")
                             : absl::StrCat(header.name, ": ", header.value);
      t.proxy_headers = curl_slist_append(t.proxy_headers, line.c_str());
    }
    curl_easy_setopt(easy, CURLOPT_HEADEROPT, CURLHEADER_SEPARATE);
    curl_easy_setopt(easy, CURLOPT_PROXYHEADER, t.proxy_headers);
  }
  if (settings.enable_http2) {
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    // Over TLS, wait for a pending connection's ALPN answer instead of
    // opening another that HTTP/2 would make redundant. NOTE: never for
    // plain http: there curl learns the connection is HTTP/1.1 only from
    // the response, so one hanging scrape would stall every other request
    // to that host.
    if (absl::StartsWithIgnoreCase(t.curl_url, "https://")) {
      curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    }
  } else {
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  }
  const TlsSettings& tls = settings.tls;
  // Blobs point into the shared settings, which the transfer keeps alive;
  // CURL_BLOB_NOCOPY avoids copying the PEM per request.
  if (!tls.ca.empty()) {
    curl_blob blob{const_cast<char*>(tls.ca.data()), tls.ca.size(),
                   CURL_BLOB_NOCOPY};
    curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob);
  } else if (!tls.ca_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, tls.ca_file.c_str());
  }
  if (!tls.cert.empty()) {
    curl_blob blob{const_cast<char*>(tls.cert.data()), tls.cert.size(),
                   CURL_BLOB_NOCOPY};
    curl_easy_setopt(easy, CURLOPT_SSLCERT_BLOB, &blob);
  } else if (!tls.cert_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSLCERT, tls.cert_file.c_str());
  }
  if (!tls.key.empty()) {
    curl_blob blob{const_cast<char*>(tls.key.data()), tls.key.size(),
                   CURL_BLOB_NOCOPY};
    curl_easy_setopt(easy, CURLOPT_SSLKEY_BLOB, &blob);
  } else if (!tls.key_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSLKEY, tls.key_file.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER,
                   tls.insecure_skip_verify ? 0L : 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST,
                   tls.insecure_skip_verify ? 0L : 2L);
  curl_easy_setopt(
      easy, CURLOPT_SSLVERSION,
      CurlTlsVersion(tls.min_version) | CurlMaxTlsVersion(tls.max_version));
  // Prometheus re-reads a changed CA file; curl caches the parsed store for
  // 24 h by default, so cap that at a minute.
  curl_easy_setopt(easy, CURLOPT_CA_CACHE_TIMEOUT, 60L);
  if (absl::StartsWithIgnoreCase(t.curl_url, "https://")) {
    // Keeps the peer's SANs so a name mismatch reads as Go's error. Costs
    // a little per TLS handshake only, not per request on a kept-alive
    // connection.
    curl_easy_setopt(easy, CURLOPT_CERTINFO, 1L);
  }

  CURLMcode rc = curl_multi_add_handle(multi_, easy);
  if (rc != CURLM_OK) {
    return absl::InternalError(
        absl::StrCat("curl_multi_add_handle: ", curl_multi_strerror(rc)));
  }
  return absl::OkStatus();
}

void CurlDriver::Release(Transfer& t) {
  if (t.easy == nullptr) return;
  curl_multi_remove_handle(multi_, t.easy);
  ReleaseEasy(t.easy);
  t.easy = nullptr;
}

void CurlDriver::OnSocketEvent(int fd, uint32_t epoll_events) {
  int flags = 0;
  if (epoll_events & (EPOLLIN | EPOLLHUP)) flags |= CURL_CSELECT_IN;
  if (epoll_events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
  if (epoll_events & EPOLLERR) flags |= CURL_CSELECT_ERR;
  curl_multi_socket_action(multi_, fd, flags, &running_);
}

void CurlDriver::OnTimers(std::chrono::steady_clock::time_point now) {
  if (timer_deadline_.has_value() && now >= *timer_deadline_) {
    timer_deadline_.reset();
    curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running_);
  }
}

int CurlDriver::OnSocket(CURL* easy, curl_socket_t fd, int what, void* self,
                         void* socket_data) {
  auto* driver = static_cast<CurlDriver*>(self);
  if (what == CURL_POLL_REMOVE) {
    // curl may already have closed the descriptor; nothing to undo then.
    epoll_ctl(driver->epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    return 0;
  }
  epoll_event event{};
  event.data.u64 = EpollFdTag(fd);
  if (what & CURL_POLL_IN) event.events |= EPOLLIN;
  if (what & CURL_POLL_OUT) event.events |= EPOLLOUT;
  if (epoll_ctl(driver->epoll_fd_, EPOLL_CTL_MOD, fd, &event) != 0 &&
      errno == ENOENT) {
    epoll_ctl(driver->epoll_fd_, EPOLL_CTL_ADD, fd, &event);
  }
  return 0;
}

int CurlDriver::OnTimer(CURLM* multi, long timeout_ms, void* self) {
  auto* driver = static_cast<CurlDriver*>(self);
  if (timeout_ms < 0) {
    driver->timer_deadline_.reset();
  } else {
    driver->timer_deadline_ = std::chrono::steady_clock::now() +
                              std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

CURL* CurlDriver::AcquireEasy() {
  if (!free_easy_.empty()) {
    CURL* easy = free_easy_.back();
    free_easy_.pop_back();
    return easy;
  }
  return curl_easy_init();
}

void CurlDriver::ReleaseEasy(CURL* easy) {
  if (free_easy_.size() >= kMaxFreeEasy) {
    curl_easy_cleanup(easy);
    return;
  }
  // Drops the options, keeps the allocation; connections live in the multi
  // handle's cache, not in the easy handle.
  curl_easy_reset(easy);
  free_easy_.push_back(easy);
}

void CurlDriver::ReadCompletions(
    absl::FunctionRef<void(Transfer*, CURLcode)> done) {
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    Transfer* raw = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &raw);
    done(raw, msg->data.result);
  }
}

absl::Status CurlDriver::CompletionStatus(Transfer& t, CURLcode code) {
  if (!t.body.error().ok()) return t.body.error();
  if (code != CURLE_OK) {
    return CurlTransportError(code, t.easy, t.url, t.error_buffer,
                              t.settings.get());
  }
  if (t.response.status_code != 200) {
    return HttpStatusError(t.response.status_code, t.reason);
  }
  if (!t.body.started()) t.BeginBody();
  return t.body.Finish();
}

}  // namespace promscrape::http::internal
