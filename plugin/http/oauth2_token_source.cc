#include "plugin/http/oauth2_token_source.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/common/mutex.h"
#include "plugin/http/client_settings.h"
#include "plugin/http/oauth2_token_response.h"
#include "plugin/http/url_form.h"

namespace promscrape::http {
namespace {

// Go's oauth2 expiryDelta: a token counts as expired this long before its
// expiry, so it does not run out between check and use.
constexpr absl::Duration kExpiryDelta = absl::Seconds(10);
// Go's oauth2 reads at most 1 MiB of a token response.
constexpr int64_t kMaxTokenResponseBytes = 1 << 20;
// For a request without a deadline of its own.
constexpr absl::Duration kDefaultFetchTimeout = absl::Seconds(30);

constexpr absl::string_view kCannotFetch = "oauth2: cannot fetch token: ";

// The transport's error reworded for the token request: the transports
// word errors for a scrape's GET, the token request is a POST, and Go's
// oauth2 reports an HTTP failure as "<code> <reason>".
absl::Status FetchError(const absl::Status& status) {
  absl::string_view message = status.message();
  std::string text;
  if (absl::ConsumePrefix(&message, "server returned HTTP status ")) {
    text = std::string(message);
  } else if (absl::ConsumePrefix(&message, "Get \"")) {
    text = absl::StrCat("Post \"", message);
  } else {
    text = std::string(message);
  }
  return absl::Status(status.code(), absl::StrCat(kCannotFetch, text));
}

}  // namespace

OAuth2TokenSource::OAuth2TokenSource(OAuth2Settings settings)
    : settings_(std::move(settings)) {}

std::string OAuth2TokenSource::CurrentSecret() const {
  if (settings_.client_secret_file.empty()) return settings_.client_secret;
  absl::StatusOr<std::string> secret =
      ReadSecretFile(settings_.client_secret_file, "oauth2 client secret file");
  return secret.ok() ? *std::move(secret) : std::string();
}

bool OAuth2TokenSource::ValidLocked(absl::Time now,
                                    const std::string& secret) const {
  return has_token_ && now <= expiry_ - kExpiryDelta &&
         secret == token_secret_;
}

std::string OAuth2TokenSource::CachedAuthorization(absl::Time now) {
  // Read outside the lock: a file read must not stall other loops.
  const std::string secret = CurrentSecret();
  MutexLock lock(&mu_);
  return ValidLocked(now, secret) ? authorization_ : std::string();
}

OAuth2TokenSource::Acquired OAuth2TokenSource::Acquire(
    absl::Time now, const std::shared_ptr<internal::LoopWaker>& waker) {
  const std::string secret = CurrentSecret();
  MutexLock lock(&mu_);
  Acquired acquired;
  if (ValidLocked(now, secret)) {
    acquired.authorization = authorization_;
    return acquired;
  }
  acquired.wait_from = completed_;
  // Every waiting request of a loop shares one entry.
  bool known = false;
  for (const std::weak_ptr<internal::LoopWaker>& w : waiters_) {
    known = known || (!w.owner_before(waker) && !waker.owner_before(w));
  }
  if (!known) waiters_.push_back(waker);
  if (!fetching_) {
    fetching_ = true;
    acquired.start_fetch = true;
  }
  return acquired;
}

OAuth2TokenSource::PollResult OAuth2TokenSource::Poll(
    uint64_t wait_from, std::string* authorization, absl::Status* error) {
  MutexLock lock(&mu_);
  if (retry_pending_) {
    retry_pending_ = false;
    return PollResult::kStartFetch;
  }
  if (completed_ <= wait_from) return PollResult::kPending;
  if (!last_error_.ok()) {
    *error = last_error_;
    return PollResult::kFailed;
  }
  *authorization = authorization_;
  return PollResult::kReady;
}

absl::StatusOr<Request> OAuth2TokenSource::MakeTokenRequest(
    absl::Duration timeout) {
  std::string secret = settings_.client_secret;
  if (!settings_.client_secret_file.empty()) {
    absl::StatusOr<std::string> read = ReadSecretFile(
        settings_.client_secret_file, "oauth2 client secret file");
    if (!read.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(kCannotFetch, read.status().message()));
    }
    secret = *std::move(read);
  }
  std::map<std::string, std::string> form = {
      {"grant_type", "client_credentials"}};
  if (!settings_.scopes.empty()) {
    form["scope"] = absl::StrJoin(settings_.scopes, " ");
  }
  for (const auto& [key, value] : settings_.endpoint_params) {
    // Go's clientcredentials lets endpoint params replace grant_type only.
    if (key != "grant_type" && form.contains(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat(kCannotFetch, "oauth2: cannot overwrite parameter \"",
                       key, "\""));
    }
    form[key] = value;
  }
  AuthStyle style;
  {
    MutexLock lock(&mu_);
    style = retrying_ || style_ == AuthStyle::kInParams ? AuthStyle::kInParams
                                                         : AuthStyle::kInHeader;
  }
  Request request;
  request.url = settings_.token_url;
  request.method = "POST";
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  if (style == AuthStyle::kInHeader) {
    // Go's AuthStyleInHeader escapes both halves before encoding them.
    request.headers.push_back(
        {"Authorization",
         absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(
                                    QueryEscape(settings_.client_id), ":",
                                    QueryEscape(secret))))});
  } else {
    form["client_id"] = settings_.client_id;
    if (!secret.empty()) form["client_secret"] = secret;
  }
  request.body = EncodeForm(form);
  request.timeout =
      timeout > absl::ZeroDuration() ? timeout : kDefaultFetchTimeout;
  request.body_size_limit = kMaxTokenResponseBytes + 1;
  request.settings = settings_.transport;
  MutexLock lock(&mu_);
  fetch_secret_ = std::move(secret);
  fetch_style_ = style;
  ++started_;
  return request;
}

void OAuth2TokenSource::FinishLocked(absl::StatusOr<OAuth2Token> token,
                                     absl::Time now) {
  retrying_ = false;
  fetching_ = false;
  ++completed_;
  if (!token.ok()) {
    last_error_ = token.status();
    return;
  }
  last_error_ = absl::OkStatus();
  if (style_ == AuthStyle::kUnknown) style_ = fetch_style_;
  has_token_ = true;
  authorization_ = token->AuthorizationValue();
  expiry_ = token->expires_in > absl::ZeroDuration() ? now + token->expires_in
                                                     : absl::InfiniteFuture();
  token_secret_ = fetch_secret_;
}

void OAuth2TokenSource::CompleteFetch(absl::Time now,
                                      const Response& response) {
  absl::StatusOr<OAuth2Token> token =
      response.status.ok()
          ? ParseTokenResponse(response.content_type, response.body)
          : absl::StatusOr<OAuth2Token>(FetchError(response.status));
  if (!token.ok() && response.status.ok()) {
    token = absl::Status(token.status().code(),
                         absl::StrCat(kCannotFetch, token.status().message()));
  }
  bool retry = false;
  {
    MutexLock lock(&mu_);
    // Go's AuthStyleAutoDetect: any failure of the first, header-style
    // request is retried at once with the credentials in the form. The
    // fetch stays in flight; a waiting loop sends the retry (Poll).
    // Not after a cancel or a timeout: Go's retry shares the request's
    // context, which is over by then.
    if (!token.ok() && style_ == AuthStyle::kUnknown &&
        fetch_style_ == AuthStyle::kInHeader && !retrying_ &&
        response.status.code() != absl::StatusCode::kCancelled &&
        response.status.code() != absl::StatusCode::kDeadlineExceeded) {
      retrying_ = true;
      retry_pending_ = true;
    } else {
      FinishLocked(std::move(token), now);
    }
    retry = retry_pending_;
  }
  // Waiters stay registered for the retry's completion.
  WakeWaiters(/*keep=*/retry);
}

void OAuth2TokenSource::FailFetch(absl::Status error) {
  {
    MutexLock lock(&mu_);
    FinishLocked(std::move(error), absl::Time());
  }
  WakeWaiters(/*keep=*/false);
}

void OAuth2TokenSource::WakeWaiters(bool keep) {
  std::vector<std::weak_ptr<internal::LoopWaker>> waiters;
  {
    MutexLock lock(&mu_);
    if (keep) {
      waiters = waiters_;
    } else {
      waiters.swap(waiters_);
    }
  }
  for (const std::weak_ptr<internal::LoopWaker>& weak : waiters) {
    if (std::shared_ptr<internal::LoopWaker> waker = weak.lock()) {
      waker->Wake();
    }
  }
}

uint64_t OAuth2TokenSource::fetches() const {
  MutexLock lock(&mu_);
  return started_;
}

}  // namespace promscrape::http
