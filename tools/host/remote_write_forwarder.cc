#include "tools/host/remote_write_forwarder.h"

#include <curl/curl.h>

#include "absl/strings/str_cat.h"
#include "snappy.h"

namespace promscrape::host {
namespace {

size_t Collect(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<std::string*>(user);
  // Keep only the start of an error body for the message.
  if (out->size() < 1024) out->append(data, std::min<size_t>(size * n, 1024));
  return size * n;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RemoteWriteForwarder>>
RemoteWriteForwarder::Create(std::string url, double timeout_seconds) {
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (global != CURLE_OK) {
    return absl::InternalError("curl_global_init failed");
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  return std::unique_ptr<RemoteWriteForwarder>(
      new RemoteWriteForwarder(std::move(url), timeout_seconds, curl));
}

RemoteWriteForwarder::RemoteWriteForwarder(std::string url,
                                           double timeout_seconds, void* curl)
    : url_(std::move(url)), timeout_seconds_(timeout_seconds), curl_(curl) {}

RemoteWriteForwarder::~RemoteWriteForwarder() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

absl::Status RemoteWriteForwarder::Send(const v1::WriteRequest& request) {
  MutexLock lock(&mu_);
  v1::WriteRequest prompb = request;
  prompb.clear_sequence();
  body_.clear();
  prompb.SerializeToString(&body_);
  compressed_.clear();
  snappy::Compress(body_.data(), body_.size(), &compressed_);
  response_.clear();

  CURL* curl = static_cast<CURL*>(curl_);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Encoding: snappy");
  headers = curl_slist_append(headers, "Content-Type: application/x-protobuf");
  headers = curl_slist_append(headers, "X-Prometheus-Remote-Write-Version: 0.1.0");
  headers = curl_slist_append(headers, "User-Agent: promscrape-host/0.1");
  curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, compressed_.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(compressed_.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(timeout_seconds_ * 1000));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response_);
  CURLcode code = curl_easy_perform(curl);
  long http_status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(
        "remote_write_url \"", url_, "\": ", curl_easy_strerror(code)));
  }
  if (http_status / 100 == 2) return absl::OkStatus();
  std::string message = absl::StrCat("remote_write_url \"", url_,
                                     "\": HTTP ", http_status, ": ", response_);
  if (http_status / 100 == 5 || http_status == 429) {
    return absl::UnavailableError(message);
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace promscrape::host
