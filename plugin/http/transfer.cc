#include "plugin/http/transfer.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "plugin/http/client_settings.h"
#include "plugin/http/curl_url.h"
#include "plugin/http/http1_request.h"
#include "plugin/http/oauth2_token_source.h"

namespace promscrape::http::internal {
namespace {

bool IsRedirect(int code) {
  return code == 301 || code == 302 || code == 303 || code == 307 ||
         code == 308;
}

const ClientSettings& DefaultSettings() {
  static const ClientSettings* const kDefault = new ClientSettings();
  return *kDefault;
}

}  // namespace

Transfer::~Transfer() {
  curl_slist_free_all(headers);
  curl_slist_free_all(connect_to);
  curl_slist_free_all(proxy_headers);
}

const ClientSettings& Transfer::settings_or_default() const {
  return settings ? *settings : DefaultSettings();
}

void Transfer::AddCurlHeader(absl::string_view name, absl::string_view value) {
  if (absl::EqualsIgnoreCase(name, "Accept")) has_accept = true;
  // "Name;" is curl's syntax for a header with an empty value.
  std::string line =
      value.empty() ? absl::StrCat(name, ";") : absl::StrCat(name, ": ", value);
  headers = curl_slist_append(headers, line.c_str());
}

void Transfer::StartResponse(absl::string_view status_line) {
  // Each response of a redirect chain starts afresh; only the last counts.
  response.status_code = 0;
  response.content_type.clear();
  reason.clear();
  gzip = false;
  content_length = -1;
  // "HTTP/1.1 404 Not Found" or "HTTP/2 404".
  absl::string_view rest = status_line;
  size_t space = rest.find(' ');
  if (space == absl::string_view::npos) return;
  rest.remove_prefix(space + 1);
  space = rest.find(' ');
  int code = 0;
  if (absl::SimpleAtoi(rest.substr(0, space), &code)) {
    response.status_code = code;
  }
  if (space != absl::string_view::npos) {
    reason = std::string(absl::StripAsciiWhitespace(rest.substr(space + 1)));
  }
}

size_t Transfer::OnHeader(char* data, size_t size, size_t count, void* self) {
  auto* transfer = static_cast<Transfer*>(self);
  size_t n = size * count;
  absl::string_view line(data, n);
  line = absl::StripTrailingAsciiWhitespace(line);
  if (absl::StartsWith(line, "HTTP/")) {
    transfer->StartResponse(line);
    return n;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;
  absl::string_view name = line.substr(0, colon);
  absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  if (absl::EqualsIgnoreCase(name, "Content-Type")) {
    transfer->response.content_type = std::string(value);
  } else if (absl::EqualsIgnoreCase(name, "Content-Encoding")) {
    // NOTE: only exactly "gzip" is decoded, as Prometheus' readResponse
    // does; anything else is passed through raw.
    transfer->gzip = value == "gzip";
  } else if (absl::EqualsIgnoreCase(name, "Content-Length")) {
    int64_t length = 0;
    if (absl::SimpleAtoi(value, &length)) transfer->content_length = length;
  }
  return n;
}

size_t Transfer::OnBody(char* data, size_t size, size_t count, void* self) {
  auto* transfer = static_cast<Transfer*>(self);
  size_t n = size * count;
  // A non-200 body is drained (so the connection stays reusable) and
  // dropped, as Prometheus does.
  if (transfer->response.status_code != 200) return n;
  if (!transfer->body.started()) transfer->BeginBody();
  // Returning a short count makes curl abort with CURLE_WRITE_ERROR.
  return transfer->body.Write(data, n) ? n : 0;
}

void Transfer::OnResponseHead(const Http1ResponseParser& head) {
  response.status_code = head.status_code();
  response.content_type.assign(head.content_type().data(),
                               head.content_type().size());
  reason.assign(head.reason().data(), head.reason().size());
  // NOTE: only exactly "gzip" is decoded, as on the curl path.
  gzip = head.content_encoding() == "gzip";
  content_length = head.content_length();
  const bool follow = settings == nullptr || settings->follow_redirects;
  redirect =
      follow && IsRedirect(head.status_code()) && !head.location().empty();
  if (response.status_code == 200) BeginBody();
}

bool Transfer::OnResponseBody(absl::string_view data) {
  // Non-200 bodies are drained and dropped, as on the curl path.
  if (response.status_code != 200) return true;
  return body.Write(data.data(), data.size());
}

void Transfer::OnResponseDone(absl::Status status) {
  native_done->OnNativeDone(this, std::move(status));
}

bool Transfer::RewindForCurl() {
  // The native exchange is over; curl starts from the original URL and
  // follows the redirects itself, within what is left of the timeout.
  native = false;
  redirect = false;
  target.reset();
  response.status_code = 0;
  response.content_type.clear();
  response.body.clear();
  reason.clear();
  gzip = false;
  content_length = -1;
  if (native_deadline.has_value()) {
    auto left = *native_deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return false;
    timeout = absl::FromChrono(left);
  }
  // The request's header lines, as already formatted for the wire.
  absl::string_view head = http1_request;
  head.remove_prefix(std::min(head.size(), head.find("\r\n") + 2));
  for (absl::string_view line : absl::StrSplit(head, "\r\n")) {
    size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    absl::string_view name = line.substr(0, colon);
    if (absl::EqualsIgnoreCase(name, "Host")) continue;
    AddCurlHeader(name,
                  absl::StripLeadingAsciiWhitespace(line.substr(colon + 1)));
  }
  return true;
}

void BuildRequestHeaders(Transfer& transfer, const Headers& request_headers,
                         absl::string_view oauth2_authorization) {
  const ClientSettings& settings = transfer.settings_or_default();
  absl::Status headers_status;
  // Only plain GETs without a proxy suit the native transport: it speaks
  // neither request bodies nor proxies.
  if (transfer.native_allowed && !transfer.post && !UsesProxy(settings)) {
    transfer.target = ParseHttp1Target(transfer.url);
  }
  if (transfer.target.has_value()) {
    auto names_host = [](const Headers& headers) {
      return std::any_of(headers.begin(), headers.end(), [](const Header& h) {
        return absl::EqualsIgnoreCase(h.name, "Host");
      });
    };
    std::string& out = transfer.http1_request;
    AppendHttp1RequestStart(
        *transfer.target,
        !names_host(settings.headers) && !names_host(request_headers), &out);
    bool sendable = true;
    headers_status = ForEachRequestHeader(
        settings, request_headers, oauth2_authorization,
        [&](absl::string_view name, absl::string_view value) {
          sendable = AppendHttp1Header(name, value, &out) && sendable;
        });
    out.append("\r\n");
    if (!sendable) {
      // Headers only curl would send as given; let it.
      transfer.target.reset();
      out.clear();
    }
  }
  if (!transfer.target.has_value()) {
    headers_status = ForEachRequestHeader(
        settings, request_headers, oauth2_authorization,
        [&](absl::string_view name, absl::string_view value) {
          transfer.AddCurlHeader(name, value);
        });
  }
  if (!headers_status.ok()) transfer.prepare_error = headers_status;
}

std::unique_ptr<Transfer> NewTransfer(uint64_t id, Request request,
                                      Transfer::DoneCallback done,
                                      absl::Time start, bool native_http1,
                                      NativeDoneHandler* native_done,
                                      InflaterPool* inflaters) {
  auto transfer = std::make_unique<Transfer>();
  transfer->id = id;
  transfer->start = start;
  transfer->url = std::move(request.url);
  transfer->curl_url = transfer->url;
  transfer->post = request.method == "POST";
  transfer->post_body = std::move(request.body);
  transfer->timeout = request.timeout;
  transfer->body_size_limit = request.body_size_limit;
  transfer->settings = std::move(request.settings);
  transfer->done = std::move(done);
  transfer->native_done = native_done;
  transfer->inflaters = inflaters;
  transfer->native_allowed = native_http1;
  transfer->response.id = id;
  transfer->response.body = std::move(request.buffer);
  transfer->response.body.clear();

  const ClientSettings& settings = transfer->settings_or_default();
  std::string oauth2_authorization;
  if (settings.oauth2 != nullptr) {
    oauth2_authorization = settings.oauth2->CachedAuthorization(start);
    if (oauth2_authorization.empty()) {
      // The loop gets a token first, without blocking (EventLoop).
      transfer->awaiting_token = true;
      transfer->pending_headers = std::move(request.headers);
    }
  }
  if (!transfer->awaiting_token) {
    BuildRequestHeaders(*transfer, request.headers, oauth2_authorization);
  }
  if (!settings.tls.server_name.empty()) {
    // Go's tls.Config.ServerName changes SNI and the verified name but not
    // the address dialled nor the Host header. With curl: request the
    // server name, CONNECT_TO the real host, and send the original Host.
    std::optional<UrlParts> parts = ParseUrl(transfer->url);
    std::optional<std::string> renamed =
        parts ? ReplaceHost(transfer->url, settings.tls.server_name)
              : std::nullopt;
    if (parts && renamed && parts->scheme == "https") {
      transfer->curl_url = *renamed;
      std::string connect_to =
          absl::StrCat(settings.tls.server_name, ":", parts->port, ":",
                       parts->host, ":", parts->port);
      transfer->connect_to =
          curl_slist_append(transfer->connect_to, connect_to.c_str());
      transfer->AddCurlHeader("Host",
                              absl::StrCat(parts->host, ":", parts->port));
    }
  }

  return transfer;
}

}  // namespace promscrape::http::internal
