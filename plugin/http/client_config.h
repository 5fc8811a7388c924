#ifndef PLUGIN_HTTP_CLIENT_CONFIG_H_
#define PLUGIN_HTTP_CLIENT_CONFIG_H_

#include "absl/status/statusor.h"
#include "plugin/config/http_client_config.h"
#include "plugin/http/client_settings.h"

namespace promscrape::http {

// Maps prometheus.yml's <http_config> (of a scrape job or of an
// http_sd_configs entry) onto the HTTP client's settings. kInvalidArgument
// naming the field for an unknown TLS version. An `oauth2` block gets its
// own token source (shared by every request made with the result).
absl::StatusOr<ClientSettings> ClientSettingsFromConfig(
    const config::HttpClientConfig& config);

}  // namespace promscrape::http

#endif  // PLUGIN_HTTP_CLIENT_CONFIG_H_
