#ifndef TOOLS_HOST_FORWARDER_OPTIONS_H_
#define TOOLS_HOST_FORWARDER_OPTIONS_H_

#include <map>
#include <string>

#include "absl/time/time.h"

namespace promscrape::host {

// Which remote-write protocol the forwarder speaks.
enum class RemoteWriteProtocol {
  kV1,  // "1.0": prometheus.WriteRequest
  kV2,  // "2.0": io.prometheus.write.v2.Request
};

// TLS for an https:// receiver, as Prometheus' tls_config. Empty paths
// mean curl's defaults (the system CA store, no client certificate).
struct ForwarderTlsOptions {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // The name the server certificate must carry (and SNI), when it differs
  // from the URL's host.
  std::string server_name;
  bool insecure_skip_verify = false;
};

// Everything RemoteWriteForwarder needs, parsed from the host config's
// storage.remote_write_* keys (tools/host/host_config.h). A plain struct.
struct ForwarderOptions {
  std::string url;
  RemoteWriteProtocol protocol = RemoteWriteProtocol::kV1;
  // Per HTTP attempt.
  absl::Duration timeout = absl::Seconds(30);
  // Basic auth when `basic_auth_username` is set; the password comes from
  // `basic_auth_password` or is read from `basic_auth_password_file` at
  // each send (so a rotated file is picked up).
  std::string basic_auth_username;
  std::string basic_auth_password;
  std::string basic_auth_password_file;
  // `Authorization: Bearer ...` from the token or, read at each send, the
  // file. At most one of basic auth and bearer.
  std::string bearer_token;
  std::string bearer_token_file;
  ForwarderTlsOptions tls;
  // Extra request headers. The protocol's own headers cannot be replaced.
  std::map<std::string, std::string> headers;
  // Attempts after the first for a 5xx, a 429 or a transport error.
  int max_retries = 3;
  // Backoff before retry n: min_backoff * 2^(n-1), at most max_backoff,
  // jittered to 50-100%; a Retry-After (seconds) of the answer replaces it.
  absl::Duration min_backoff = absl::Milliseconds(30);
  absl::Duration max_backoff = absl::Seconds(5);
};

}  // namespace promscrape::host

#endif  // TOOLS_HOST_FORWARDER_OPTIONS_H_
