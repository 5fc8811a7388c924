#ifndef PLUGIN_HTTP_TRANSFER_H_
#define PLUGIN_HTTP_TRANSFER_H_

#include <curl/curl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/http/body_decoder.h"
#include "plugin/http/client_settings.h"
#include "plugin/http/http1_connection.h"
#include "plugin/http/http1_request.h"
#include "plugin/http/http1_response_parser.h"
#include "plugin/http/http1_transport.h"
#include "plugin/http/request.h"

namespace promscrape::http::internal {

struct Transfer;

// Told when the native transport ends a transfer's exchange (the event
// loop, which then finishes the transfer or restarts it on curl).
class NativeDoneHandler {
 public:
  virtual void OnNativeDone(Transfer* transfer, absl::Status status) = 0;

 protected:
  ~NativeDoneHandler() = default;
};

// The state of one request from `EventLoop::Start` to its callback, on
// either transport: the request as prepared for the wire, and the response
// as it arrives (libcurl's header/body callbacks or the native transport's
// `Http1Exchange` events), its body decoded into `response.body`.
//
// Built on the caller's thread by `NewTransfer`, then owned by the loop
// thread; thread-compatible. `native_done` and `inflaters` must outlive it.
struct Transfer : Http1Exchange {
  using DoneCallback = absl::AnyInvocable<void(Response)>;

  ~Transfer() override;

  // libcurl's CURLOPT_HEADERFUNCTION and CURLOPT_WRITEFUNCTION; `self` is
  // the Transfer.
  static size_t OnHeader(char* data, size_t size, size_t count, void* self);
  static size_t OnBody(char* data, size_t size, size_t count, void* self);
  // Appends a request header for curl ("Name;" for an empty value).
  void AddCurlHeader(absl::string_view name, absl::string_view value);

  // Http1Exchange.
  void OnResponseHead(const Http1ResponseParser& head) override;
  bool OnResponseBody(absl::string_view data) override;
  void OnResponseDone(absl::Status status) override;

  // Starts decoding the body into `response.body`.
  void BeginBody() {
    body.Begin(&response.body, body_size_limit, gzip, content_length,
               inflaters);
  }

  // Drops what a natively answered redirect left and hands the request to
  // curl, which follows the redirect from the original URL within what is
  // left of the timeout: the native request's header lines become curl's
  // (Host excepted). Returns false, leaving the headers alone, if the
  // timeout has already passed.
  bool RewindForCurl();

  // The job's settings, or the defaults.
  const ClientSettings& settings_or_default() const;

  uint64_t id = 0;
  std::string url;
  std::string curl_url;
  // A POST (an OAuth2 token request) of `post_body`; curl only.
  bool post = false;
  std::string post_body;
  // curl's headers; built for the curl path only.
  curl_slist* headers = nullptr;
  bool has_accept = false;
  curl_slist* connect_to = nullptr;
  // `proxy_connect_header` for curl's CONNECT; built by the curl driver.
  curl_slist* proxy_headers = nullptr;
  // Whether `HttpClientOptions::native_http1` lets the request go native.
  bool native_allowed = false;
  // Set while the job's OAuth2 token is being fetched: the headers are
  // built (from `pending_headers`) once it is there.
  bool awaiting_token = false;
  Headers pending_headers;
  uint64_t token_wait_from = 0;
  // Set when the native transport serves the request.
  std::optional<Http1Target> target;
  std::string http1_request;
  absl::Duration timeout = absl::ZeroDuration();
  int64_t body_size_limit = 0;
  std::shared_ptr<const ClientSettings> settings;
  DoneCallback done;
  absl::Time start;
  absl::Status prepare_error;

  // Loop-thread state.
  NativeDoneHandler* native_done = nullptr;
  InflaterPool* inflaters = nullptr;
  CURL* easy = nullptr;
  bool native = false;
  std::optional<SteadyTime> native_deadline;
  bool redirect = false;
  Response response;
  std::string reason;
  bool gzip = false;
  int64_t content_length = -1;
  BodyDecoder body;
  char error_buffer[CURL_ERROR_SIZE] = {0};

 private:
  // Clears the response state before a new response (each response of a
  // redirect chain starts afresh) and reads its status line.
  void StartResponse(absl::string_view status_line);
};

// Builds `transfer`'s request headers from the job's settings,
// `request_headers` and, for an `oauth2` job, `oauth2_authorization`: for
// the native transport when `transfer.native_allowed` and the request suits
// it (a plain GET without proxy), else for curl. Reads the job's secret
// files; an error is kept in `prepare_error`.
void BuildRequestHeaders(Transfer& transfer, const Headers& request_headers,
                         absl::string_view oauth2_authorization);

// Prepares `request` for the loop: reads the job's secret files and builds
// the headers (here, on the caller's thread, so the loop never blocks on
// file I/O) with `BuildRequestHeaders`. A header error is kept in
// `prepare_error` and reported when the loop picks the transfer up. For an
// `oauth2` job without a valid cached token the headers wait
// (`awaiting_token`) until the loop has one.
std::unique_ptr<Transfer> NewTransfer(uint64_t id, Request request,
                                      Transfer::DoneCallback done,
                                      absl::Time start, bool native_http1,
                                      NativeDoneHandler* native_done,
                                      InflaterPool* inflaters);

}  // namespace promscrape::http::internal

#endif  // PLUGIN_HTTP_TRANSFER_H_
