#ifndef PLUGIN_HTTP_CURL_ERRORS_H_
#define PLUGIN_HTTP_CURL_ERRORS_H_

#include <curl/curl.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "plugin/http/client_settings.h"

namespace promscrape::http::internal {

// Maps a transfer that libcurl failed with `code` to the error Go's
// http.Client would give (see transport_errors.h for the texts both
// transports share): dial and lookup errors, x509 verification failures
// (the peer's SANs read from CERTINFO), unreadable CA or client
// certificates, TLS handshake failures, EOFs, redirect limits, bad URLs.
// `easy` is the failed handle (queried with curl_easy_getinfo),
// `error_buffer` its CURLOPT_ERRORBUFFER, `settings` the job's settings
// (null: defaults). May check the CA file's readability on disk.
// Thread-compatible: call on the thread that owns `easy`.
absl::Status CurlTransportError(CURLcode code, CURL* easy,
                                const std::string& url,
                                const char* error_buffer,
                                const ClientSettings* settings);

}  // namespace promscrape::http::internal

#endif  // PLUGIN_HTTP_CURL_ERRORS_H_
