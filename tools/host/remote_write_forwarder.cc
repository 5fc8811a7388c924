#include "tools/host/remote_write_forwarder.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "snappy.h"

namespace promscrape::host {
namespace {

// Keeps the start of the answer body, for error messages.
size_t CollectBody(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  if (out->size() < 1024) {
    out->append(data, std::min<size_t>(size * n, 1024 - out->size()));
  }
  return size * n;
}

// Picks Retry-After out of the answer's header lines.
size_t CollectHeader(char* data, size_t size, size_t n, void* user) {
  absl::string_view line(data, size * n);
  constexpr absl::string_view kName = "retry-after:";
  if (line.size() > kName.size() &&
      absl::EqualsIgnoreCase(line.substr(0, kName.size()), kName)) {
    *static_cast<double*>(user) =
        ParseRetryAfterSeconds(line.substr(kName.size()));
  }
  return size * n;
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path,
                                           absl::string_view key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": cannot read \"", path, "\""));
  }
  std::ostringstream text;
  text << in.rdbuf();
  // Files written by `echo` end in a newline that is not part of the secret.
  return std::string(absl::StripTrailingAsciiWhitespace(text.str()));
}

absl::Status CheckReadable(const std::string& path, absl::string_view key) {
  if (path.empty()) return absl::OkStatus();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": cannot read \"", path, "\""));
  }
  return absl::OkStatus();
}

struct CurlSlist {
  curl_slist* list = nullptr;
  ~CurlSlist() { curl_slist_free_all(list); }
  void Add(const std::string& line) {
    list = curl_slist_append(list, line.c_str());
  }
};

int64_t SampleCount(const v1::WriteRequest& request) {
  int64_t n = 0;
  for (const v1::TimeSeries& ts : request.timeseries()) {
    n += ts.samples_size() + ts.histograms_size();
  }
  return n;
}

}  // namespace

double ParseRetryAfterSeconds(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty()) return -1;
  double seconds = -1;
  if (absl::SimpleAtod(value, &seconds)) return seconds >= 0 ? seconds : -1;
  // An HTTP-date; curl parses the three formats HTTP allows.
  const time_t at = curl_getdate(std::string(value).c_str(), nullptr);
  if (at == -1) return -1;
  return std::max(0.0, absl::ToDoubleSeconds(absl::FromTimeT(at) - now));
}

absl::StatusOr<std::unique_ptr<RemoteWriteForwarder>>
RemoteWriteForwarder::Create(ForwarderOptions options, WaitFunction wait) {
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (global != CURLE_OK) {
    return absl::InternalError("curl_global_init failed");
  }
  const ForwarderTlsOptions& tls = options.tls;
  for (const auto& [path, key] :
       {std::pair{options.basic_auth_password_file,
                  "storage.remote_write_basic_auth.password_file"},
        std::pair{options.bearer_token_file,
                  "storage.remote_write_bearer_token_file"},
        std::pair{tls.ca_file, "storage.remote_write_tls_config.ca_file"},
        std::pair{tls.cert_file, "storage.remote_write_tls_config.cert_file"},
        std::pair{tls.key_file, "storage.remote_write_tls_config.key_file"}}) {
    absl::Status readable = CheckReadable(path, key);
    if (!readable.ok()) return readable;
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  return std::unique_ptr<RemoteWriteForwarder>(
      new RemoteWriteForwarder(std::move(options), std::move(wait), curl));
}

RemoteWriteForwarder::RemoteWriteForwarder(ForwarderOptions options,
                                           WaitFunction wait, void* curl)
    : options_(std::move(options)),
      wait_(std::move(wait)),
      curl_(curl),
      encoder_(options_.protocol),
      rng_(std::random_device{}()) {}

RemoteWriteForwarder::~RemoteWriteForwarder() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

void RemoteWriteForwarder::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  stopped_ = true;
  stop_cv_.notify_all();
}

bool RemoteWriteForwarder::RealWait(absl::Duration delay) {
  std::unique_lock<std::mutex> lock(stop_mu_);
  stop_cv_.wait_for(lock, absl::ToChronoNanoseconds(delay),
                    [this] { return stopped_; });
  return !stopped_;
}

RemoteWriteForwarder::Attempt RemoteWriteForwarder::PostLocked(
    const std::string& body) {
  Attempt attempt;
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  CurlSlist headers;
  headers.Add(absl::StrCat("Content-Type: ", encoder_.content_type()));
  headers.Add("Content-Encoding: snappy");
  headers.Add(absl::StrCat("X-Prometheus-Remote-Write-Version: ",
                           encoder_.version()));
  headers.Add("User-Agent: promscrape-host/0.1");
  // No "Expect: 100-continue" round trip before large bodies.
  headers.Add("Expect:");
  for (const auto& [name, value] : options_.headers) {
    headers.Add(absl::StrCat(name, ": ", value));
  }
  std::string secret;
  if (!options_.bearer_token.empty() || !options_.bearer_token_file.empty()) {
    secret = options_.bearer_token;
    if (!options_.bearer_token_file.empty()) {
      absl::StatusOr<std::string> token = ReadSecretFile(
          options_.bearer_token_file, "storage.remote_write_bearer_token_file");
      if (!token.ok()) {
        attempt.transport_error = std::string(token.status().message());
        return attempt;
      }
      secret = *std::move(token);
    }
    headers.Add(absl::StrCat("Authorization: Bearer ", secret));
  }
  if (!options_.basic_auth_username.empty()) {
    secret = options_.basic_auth_password;
    if (!options_.basic_auth_password_file.empty()) {
      absl::StatusOr<std::string> password =
          ReadSecretFile(options_.basic_auth_password_file,
                         "storage.remote_write_basic_auth.password_file");
      if (!password.ok()) {
        attempt.transport_error = std::string(password.status().message());
        return attempt;
      }
      secret = *std::move(password);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME,
                     options_.basic_auth_username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, secret.c_str());
  }

  std::string url = options_.url;
  std::string connect_to;
  curl_slist* connect_to_list = nullptr;
  const ForwarderTlsOptions& tls = options_.tls;
  if (!tls.server_name.empty()) {
    // curl verifies (and sends as SNI) the URL's host name: ask for
    // server_name in the URL and connect to the configured host instead.
    CURLU* parsed = curl_url();
    char* host = nullptr;
    char* port = nullptr;
    if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
            CURLUE_OK &&
        curl_url_set(parsed, CURLUPART_HOST, tls.server_name.c_str(), 0) ==
            CURLUE_OK) {
      char* rewritten = nullptr;
      if (curl_url_get(parsed, CURLUPART_URL, &rewritten, 0) == CURLUE_OK) {
        url = rewritten;
        curl_free(rewritten);
        connect_to =
            absl::StrCat(tls.server_name, ":", port, ":", host, ":", port);
        connect_to_list = curl_slist_append(nullptr, connect_to.c_str());
        // The receiver still sees the configured host, as with Go's
        // tls.Config.ServerName.
        headers.Add(absl::StrCat("Host: ", host, ":", port));
      }
    }
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(parsed);
  }
  if (connect_to_list != nullptr) {
    curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to_list);
  }
  if (!tls.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, tls.ca_file.c_str());
  }
  if (!tls.cert_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, tls.cert_file.c_str());
  }
  if (!tls.key_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLKEY, tls.key_file.c_str());
  }
  if (tls.insecure_skip_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.list);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  // A receiver behind a proxy setting of the environment is not ours to
  // guess; remote_write_url names the receiver itself.
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &CollectBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &attempt.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &CollectHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &attempt.retry_after_seconds);
  const CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &attempt.http_status);
  curl_slist_free_all(connect_to_list);
  // Drop the secret from the handle's copy before the next reset.
  curl_easy_setopt(curl, CURLOPT_PASSWORD, "");
  if (code != CURLE_OK) {
    attempt.transport_error = curl_easy_strerror(code);
    return attempt;
  }
  attempt.transport_ok = true;
  return attempt;
}

absl::Status RemoteWriteForwarder::Send(const v1::WriteRequest& request) {
  MutexLock lock(&mu_);
  if (!encoder_.Encode(request, &body_)) return absl::OkStatus();
  return SendBodyLocked(request.sequence(), SampleCount(request));
}

absl::Status RemoteWriteForwarder::Send(const v1::WriteRequestV2& request) {
  MutexLock lock(&mu_);
  if (!encoder_.Encode(request, &body_)) return absl::OkStatus();
  int64_t samples = 0;
  for (const v1::TimeSeriesV2& ts : request.timeseries()) {
    samples += ts.samples_size() + ts.histograms_size();
  }
  return SendBodyLocked(request.sequence(), samples);
}

absl::Status RemoteWriteForwarder::SendBodyLocked(uint64_t sequence,
                                                  int64_t samples) {
  compressed_.clear();
  snappy::Compress(body_.data(), body_.size(), &compressed_);

  absl::Duration backoff = options_.min_backoff;
  for (int attempt_number = 0;; ++attempt_number) {
    const Attempt attempt = PostLocked(compressed_);
    if (attempt.transport_ok && attempt.http_status / 100 == 2) {
      return absl::OkStatus();
    }
    const std::string what =
        attempt.transport_ok
            ? absl::StrCat("HTTP ", attempt.http_status, ": ",
                           absl::StripTrailingAsciiWhitespace(attempt.body))
            : attempt.transport_error;
    const bool retryable = !attempt.transport_ok ||
                           attempt.http_status / 100 == 5 ||
                           attempt.http_status == 429;
    if (!retryable) {
      ++dropped_requests_;
      dropped_samples_ += samples;
      std::fprintf(stderr,
                   "scrape_host: remote_write_url \"%s\" rejected request %llu "
                   "(%lld samples, dropped): %s\n",
                   options_.url.c_str(),
                   static_cast<unsigned long long>(sequence),
                   static_cast<long long>(samples), what.c_str());
      return absl::InvalidArgumentError(
          absl::StrCat("remote_write_url \"", options_.url, "\": ", what));
    }
    if (attempt_number >= options_.max_retries) {
      return absl::UnavailableError(
          absl::StrCat("remote_write_url \"", options_.url, "\": ", what,
                       " (gave up after ", attempt_number, " retries)"));
    }
    absl::Duration delay;
    if (attempt.retry_after_seconds >= 0) {
      delay = absl::Seconds(attempt.retry_after_seconds);
    } else {
      std::uniform_real_distribution<double> jitter(0.5, 1.0);
      delay = backoff * jitter(rng_);
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
    ++retries_;
    const bool go_on = wait_ != nullptr ? wait_(delay) : RealWait(delay);
    if (!go_on) {
      return absl::UnavailableError(absl::StrCat(
          "remote_write_url \"", options_.url, "\": ", what,
          " (stopped before retrying)"));
    }
  }
}

}  // namespace promscrape::host
