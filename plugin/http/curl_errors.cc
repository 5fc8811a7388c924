#include "plugin/http/curl_errors.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "plugin/http/client_settings.h"
#include "plugin/http/curl_url.h"
#include "plugin/http/transport_errors.h"

namespace promscrape::http::internal {
namespace {

std::string Lowercase(absl::string_view text) {
  std::string out(text);
  absl::AsciiStrToLower(&out);
  return out;
}

// What the texts are made of.
struct FailedTransfer {
  CURL* easy;
  const std::string& url;
  const char* error_buffer;
  const ClientSettings* settings;
};

// Go's x509.HostnameError text, from the SANs curl collected (CERTINFO).
std::string HostnameMismatch(const FailedTransfer& t) {
  std::string host = t.settings ? t.settings->tls.server_name : "";
  if (host.empty()) {
    std::optional<UrlParts> parts = ParseUrl(t.url);
    if (parts) host = parts->host;
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::vector<std::string> dns_names;
  std::vector<std::string> ips;
  curl_certinfo* info = nullptr;
  curl_easy_getinfo(t.easy, CURLINFO_CERTINFO, &info);
  if (info != nullptr && info->num_of_certs > 0) {
    for (curl_slist* item = info->certinfo[0]; item != nullptr;
         item = item->next) {
      absl::string_view line = item->data;
      if (!absl::ConsumePrefix(&line, "X509v3 Subject Alternative Name:")) {
        continue;
      }
      for (absl::string_view part : absl::StrSplit(line, ',')) {
        part = absl::StripAsciiWhitespace(part);
        if (absl::ConsumePrefix(&part, "DNS:")) {
          dns_names.emplace_back(part);
        } else if (absl::ConsumePrefix(&part, "IP Address:")) {
          ips.emplace_back(part);
        }
      }
    }
  }
  unsigned char addr[sizeof(in6_addr)];
  bool is_ip = inet_pton(AF_INET, host.c_str(), addr) == 1 ||
               inet_pton(AF_INET6, host.c_str(), addr) == 1;
  std::string valid;
  if (is_ip) {
    if (ips.empty()) {
      return absl::StrCat("x509: cannot validate certificate for ", host,
                          " because it doesn't contain any IP SANs");
    }
    valid = absl::StrJoin(ips, ", ");
  } else {
    if (dns_names.empty()) {
      return "x509: certificate relies on legacy Common Name field, use "
             "SANs instead";
    }
    valid = absl::StrJoin(dns_names, ", ");
  }
  return absl::StrCat("x509: certificate is valid for ", valid, ", not ", host);
}

// Maps a failed transfer to the error Go's http.Client would give.
absl::Status TransportError(CURLcode code, const FailedTransfer& t) {
  std::string prefix = GetPrefix(t.url);
  absl::string_view detail =
      t.error_buffer[0] != '\0' ? t.error_buffer : curl_easy_strerror(code);
  long os_errno = 0;
  curl_easy_getinfo(t.easy, CURLINFO_OS_ERRNO, &os_errno);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return ContextDeadlineError(t.url);
    case CURLE_COULDNT_CONNECT: {
      std::optional<UrlParts> parts = ParseUrl(t.url);
      char* ip = nullptr;
      curl_easy_getinfo(t.easy, CURLINFO_PRIMARY_IP, &ip);
      std::string host = (ip != nullptr && ip[0] != '\0')
                             ? std::string(ip)
                             : (parts ? parts->host : "");
      if (absl::StrContains(host, ':') && host[0] != '[') {
        host = absl::StrCat("[", host, "]");
      }
      std::string port = parts ? parts->port : "";
      std::string why = os_errno != 0 ? ErrnoText(static_cast<int>(os_errno))
                                      : Lowercase(detail);
      return DialError(t.url, absl::StrCat(host, ":", port), why);
    }
    case CURLE_COULDNT_RESOLVE_HOST: {
      std::optional<UrlParts> parts = ParseUrl(t.url);
      return absl::UnavailableError(absl::StrCat(prefix, "dial tcp: lookup ",
                                                 parts ? parts->host : "",
                                                 ": no such host"));
    }
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_PROXY:
      return absl::UnavailableError(
          absl::StrCat(prefix, "proxyconnect tcp: ", Lowercase(detail)));
    case CURLE_PEER_FAILED_VERIFICATION: {
      std::string lower = Lowercase(detail);
      if (absl::StrContains(lower, "subject name") ||
          absl::StrContains(lower, "does not match")) {
        return absl::UnavailableError(
            absl::StrCat(prefix, HostnameMismatch(t)));
      }
      if (absl::StrContains(lower, "expired") ||
          absl::StrContains(lower, "not yet valid")) {
        return absl::UnavailableError(absl::StrCat(
            prefix, "x509: certificate has expired or is not yet valid"));
      }
      if (absl::StrContains(lower, "issuer") ||
          absl::StrContains(lower, "self-signed") ||
          absl::StrContains(lower, "self signed")) {
        return absl::UnavailableError(absl::StrCat(
            prefix, "x509: certificate signed by unknown authority"));
      }
      // Anything else keeps OpenSSL's words.
      return absl::UnavailableError(absl::StrCat(prefix, "x509: ", lower));
    }
    case CURLE_SSL_CACERT_BADFILE: {
      // Name the OS error as Prometheus does ("open <file>: no such file or
      // directory") when the file is unreadable, else curl's parse error.
      std::string ca_file = t.settings ? t.settings->tls.ca_file : "";
      std::string why = Lowercase(detail);
      if (access(ca_file.c_str(), R_OK) != 0) {
        why = absl::StrCat("open ", ca_file, ": ", ErrnoText(errno));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "unable to load specified CA cert ", ca_file, ": ", why));
    }
    case CURLE_SSL_CERTPROBLEM:
      return absl::InvalidArgumentError(
          absl::StrCat("unable to use specified client cert (",
                       t.settings ? t.settings->tls.cert_file : "", ") & key (",
                       t.settings ? t.settings->tls.key_file : "",
                       "): ", Lowercase(detail)));
    case CURLE_SSL_CONNECT_ERROR:
      return absl::UnavailableError(absl::StrCat(
          prefix, "tls: handshake failure (", Lowercase(detail), ")"));
    case CURLE_GOT_NOTHING:
      return absl::UnavailableError(absl::StrCat(prefix, "EOF"));
    case CURLE_PARTIAL_FILE:
      return absl::UnavailableError("unexpected EOF");
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      return absl::UnavailableError(
          absl::StrCat(prefix, code == CURLE_RECV_ERROR ? "read: " : "write: ",
                       os_errno != 0 ? ErrnoText(static_cast<int>(os_errno))
                                     : Lowercase(detail)));
    case CURLE_TOO_MANY_REDIRECTS:
      return absl::UnavailableError(
          absl::StrCat(prefix, "stopped after 10 redirects"));
    case CURLE_UNSUPPORTED_PROTOCOL: {
      std::optional<UrlParts> parts = ParseUrl(t.url);
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "unsupported protocol scheme \"",
                       parts ? parts->scheme : "", "\""));
    }
    case CURLE_URL_MALFORMAT:
      return absl::InvalidArgumentError(
          absl::StrCat("parse \"", t.url, "\": ", Lowercase(detail)));
    default:
      return absl::UnavailableError(absl::StrCat(prefix, Lowercase(detail)));
  }
}

}  // namespace

absl::Status CurlTransportError(CURLcode code, CURL* easy,
                                const std::string& url,
                                const char* error_buffer,
                                const ClientSettings* settings) {
  return TransportError(code,
                        FailedTransfer{easy, url, error_buffer, settings});
}

}  // namespace promscrape::http::internal
