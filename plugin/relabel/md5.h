#ifndef PLUGIN_RELABEL_MD5_H_
#define PLUGIN_RELABEL_MD5_H_

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace promscrape::relabel {

// RFC 1321 MD5 of `data`. Used only by the hashmod action, which must match
// Prometheus bit for bit; not for security.
std::array<uint8_t, 16> Md5(absl::string_view data);

}  // namespace promscrape::relabel

#endif  // PLUGIN_RELABEL_MD5_H_
