#include "plugin/http/http_client.h"

#include <curl/curl.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "plugin/common/status.h"

namespace promscrape::http {
namespace {

// Request ids carry the loop index in their low bits so `Cancel` finds the
// loop without a shared map.
constexpr int kLoopBits = 8;
constexpr int kMaxLoops = 1 << kLoopBits;

absl::Status GlobalInit() {
  // curl_global_init is thread-safe in curl >= 7.84 ("threadsafe" feature)
  // but must still run before the first handle; once per process.
  static const CURLcode kResult = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (kResult != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("curl_global_init: ", curl_easy_strerror(kResult)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(
    HttpClientOptions options) {
  if (options.num_loops < 1 || options.num_loops > kMaxLoops) {
    return absl::InvalidArgumentError(absl::StrCat(
        "num_loops must be in [1, ", kMaxLoops, "], got ", options.num_loops));
  }
  PROMSCRAPE_RETURN_IF_ERROR(GlobalInit());
  std::vector<std::unique_ptr<internal::EventLoop>> loops;
  for (int i = 0; i < options.num_loops; ++i) {
    PROMSCRAPE_ASSIGN_OR_RETURN(std::unique_ptr<internal::EventLoop> loop,
                                internal::EventLoop::Create(options));
    loops.push_back(std::move(loop));
  }
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(loops)));
}

HttpClient::HttpClient(std::vector<std::unique_ptr<internal::EventLoop>> loops)
    : loops_(std::move(loops)) {}

HttpClient::~HttpClient() { Stop(); }

size_t HttpClient::LoopIndex(const std::string& url) const {
  if (loops_.size() == 1) return 0;
  absl::string_view authority = url;
  size_t scheme_end = authority.find("://");
  size_t end = authority.find(
      '/', scheme_end == absl::string_view::npos ? 0 : scheme_end + 3);
  if (end != absl::string_view::npos) authority = authority.substr(0, end);
  return std::hash<std::string_view>()(
             std::string_view(authority.data(), authority.size())) %
         loops_.size();
}

uint64_t HttpClient::Start(Request request, DoneCallback done) {
  size_t index = LoopIndex(request.url);
  uint64_t id =
      (next_sequence_.fetch_add(1, std::memory_order_relaxed) << kLoopBits) |
      index;
  loops_[index]->Start(id, std::move(request), std::move(done));
  return id;
}

void HttpClient::Cancel(uint64_t id) {
  size_t index = id & (kMaxLoops - 1);
  if (index < loops_.size()) loops_[index]->Cancel(id);
}

void HttpClient::Stop() {
  for (const auto& loop : loops_) loop->Stop();
}

TaskScheduler& HttpClient::TimersFor(const std::string& url) {
  return loops_[LoopIndex(url)]->timers();
}

}  // namespace promscrape::http
