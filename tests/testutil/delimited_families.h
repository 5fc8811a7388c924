#ifndef TESTS_TESTUTIL_DELIMITED_FAMILIES_H_
#define TESTS_TESTUTIL_DELIMITED_FAMILIES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "proto/io/prometheus/client/metrics.pb.h"

namespace promscrape::testing {

// A protobuf scrape body: each family length-delimited (varint length,
// then the message), as client libraries serve
// `application/vnd.google.protobuf; ...; encoding=delimited`.
inline std::string DelimitedFamilies(
    const std::vector<::io::prometheus::client::MetricFamily>& families) {
  std::string out;
  for (const auto& mf : families) {
    const std::string s = mf.SerializeAsString();
    uint64_t v = s.size();
    while (v >= 0x80) {
      out.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
    out += s;
  }
  return out;
}

}  // namespace promscrape::testing

#endif  // TESTS_TESTUTIL_DELIMITED_FAMILIES_H_
