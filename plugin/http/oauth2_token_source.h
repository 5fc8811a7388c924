#ifndef PLUGIN_HTTP_OAUTH2_TOKEN_SOURCE_H_
#define PLUGIN_HTTP_OAUTH2_TOKEN_SOURCE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "plugin/common/mutex.h"
#include "plugin/http/client_settings.h"
#include "plugin/http/loop_waker.h"
#include "plugin/http/oauth2_token_response.h"
#include "plugin/http/request.h"

namespace promscrape::http {

// `oauth2` of Prometheus' <http_config>: the client-credentials grant.
struct OAuth2Settings {
  std::string client_id;
  std::string client_secret;
  // Read at every token request, and checked at every scrape request: a
  // changed secret drops the cached token, as Prometheus does.
  std::string client_secret_file;
  std::vector<std::string> scopes;
  std::string token_url;
  std::map<std::string, std::string> endpoint_params;
  // The token request's own transport (the oauth2 block's `tls_config` and
  // `proxy_url`); null means defaults.
  std::shared_ptr<const ClientSettings> transport;
};

// The access token of one job's `oauth2` config, shared by all its scrape
// requests on every event loop (Go's oauth2.ReuseTokenSource): cached until
// 10 s before `expires_in` (Go's expiryDelta), then fetched again. It
// performs no I/O itself besides reading `client_secret_file`: an event
// loop that needs a token and finds none wins the right to fetch it
// (`Acquire`), sends `MakeTokenRequest()` on its own non-blocking
// transport, and reports the outcome with `CompleteFetch`, which wakes every
// loop waiting on it. One fetch is in flight at a time, however many
// targets wait.
//
// Thread-safe. Owned by the job's `ClientSettings` through a shared_ptr.
class OAuth2TokenSource {
 public:
  explicit OAuth2TokenSource(OAuth2Settings settings);

  OAuth2TokenSource(const OAuth2TokenSource&) = delete;
  OAuth2TokenSource& operator=(const OAuth2TokenSource&) = delete;

  const OAuth2Settings& settings() const { return settings_; }

  // The `Authorization` value of the cached token if it is still valid at
  // `now` and the client secret has not changed, else "". Reads
  // `client_secret_file` when one is configured.
  std::string CachedAuthorization(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_);

  // What `Acquire` found.
  struct Acquired {
    // The header value when a valid token is cached; "" otherwise.
    std::string authorization;
    // Without a token: true when the caller must start a fetch (none is in
    // flight) and report it with `CompleteFetch`.
    bool start_fetch = false;
    // Without a token: what to hand to `Poll`.
    uint64_t wait_from = 0;
  };

  // Like `CachedAuthorization`, but without a valid token registers
  // `waker` to be woken when the next fetch completes, atomically with the
  // check, so no completion is missed.
  Acquired Acquire(absl::Time now, const std::shared_ptr<internal::LoopWaker>&
                                       waker) ABSL_LOCKS_EXCLUDED(mu_);

  enum class PollResult { kPending, kReady, kFailed, kStartFetch };
  // For a request that waits since `wait_from`: kReady with the header
  // value in `*authorization` once a fetch completed with a token (even one
  // that is already expired, as Go hands out a fresh token), kFailed with
  // the fetch's error in `*error` ("oauth2: cannot fetch token: ..."),
  // kPending while the fetch runs, or kStartFetch when the caller must send
  // the fetch's second attempt (see `MakeTokenRequest`) and then poll on.
  PollResult Poll(uint64_t wait_from, std::string* authorization,
                  absl::Status* error) ABSL_LOCKS_EXCLUDED(mu_);

  // The token request: a POST of the form grant_type=client_credentials,
  // `scope` (the scopes joined by spaces) and the endpoint params to
  // `token_url`, within `timeout`. The client id and secret go as HTTP
  // basic auth (Go's AuthStyleInHeader: both URL-query-escaped first) or,
  // once that failed, in the form (AuthStyleInParams): like Go's
  // AuthStyleAutoDetect, a failed header attempt is retried at once with
  // params, and the style that worked is kept. Reads `client_secret_file`.
  // kInvalidArgument when the secret file is unreadable or an endpoint
  // param overrides `scope`.
  absl::StatusOr<Request> MakeTokenRequest(absl::Duration timeout)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Ends the fetch started after `Acquire` told the caller to: caches the
  // token of a successful `response` (received at `now`), or records the
  // error, then wakes the waiting loops.
  void CompleteFetch(absl::Time now, const Response& response)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Ends the fetch with `error` (e.g. from `MakeTokenRequest`).
  void FailFetch(absl::Status error) ABSL_LOCKS_EXCLUDED(mu_);

  // Token requests sent so far (for tests and self-metrics).
  uint64_t fetches() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // The current client secret, "" when the file cannot be read.
  std::string CurrentSecret() const;
  bool ValidLocked(absl::Time now, const std::string& secret) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishLocked(absl::StatusOr<OAuth2Token> token, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Wakes the loops waiting on the fetch; unless `keep`, they are then
  // forgotten (they register again if they wait on).
  void WakeWaiters(bool keep) ABSL_LOCKS_EXCLUDED(mu_);

  const OAuth2Settings settings_;

  mutable Mutex mu_;
  bool has_token_ ABSL_GUARDED_BY(mu_) = false;
  std::string authorization_ ABSL_GUARDED_BY(mu_);
  absl::Time expiry_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  // The client secret the cached token was fetched with.
  std::string token_secret_ ABSL_GUARDED_BY(mu_);
  // The secret of the fetch in flight.
  std::string fetch_secret_ ABSL_GUARDED_BY(mu_);
  bool fetching_ ABSL_GUARDED_BY(mu_) = false;
  // Go's auth style probe: unknown until a token request succeeds.
  enum class AuthStyle { kUnknown, kInHeader, kInParams };
  AuthStyle style_ ABSL_GUARDED_BY(mu_) = AuthStyle::kUnknown;
  // The style of the request in flight.
  AuthStyle fetch_style_ ABSL_GUARDED_BY(mu_) = AuthStyle::kInHeader;
  // The header attempt failed; the params attempt waits for a loop to send
  // it.
  bool retry_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool retrying_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t started_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t completed_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  std::vector<std::weak_ptr<internal::LoopWaker>> waiters_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace promscrape::http

#endif  // PLUGIN_HTTP_OAUTH2_TOKEN_SOURCE_H_
