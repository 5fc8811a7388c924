// libFuzzer target for OpenMetricsParser: any input must parse to EOF or a clean error
// without crashing or reading outside the input.

#include <cstdint>
#include <string_view>

#include "plugin/textparse/openmetrics_parser.h"
#include "tests/fuzz/parser_fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  promscrape::textparse::OpenMetricsParser parser(body);
  promscrape::textparse::fuzz::Exercise(parser);
  // Prometheus 3.x' grammar (prometheus_compat "3").
  promscrape::textparse::OpenMetricsParser utf8(body, /*utf8_names=*/true);
  promscrape::textparse::fuzz::Exercise(utf8);
  promscrape::textparse::OpenMetricsParser v2(body);
  promscrape::textparse::OpenMetricsParser v3(body, true);
  promscrape::textparse::fuzz::CheckGrammarsAgree(v2, v3);
  // Start timestamps (3.x' ParseST): the look-ahead leaves no trace.
  promscrape::textparse::OpenMetricsParser st_calls(body, true, true, true);
  promscrape::textparse::OpenMetricsParser st_none(body, true, true, true);
  promscrape::textparse::fuzz::CheckStartTimestampsDoNotDisturb(st_calls,
                                                                st_none);
  return 0;
}
