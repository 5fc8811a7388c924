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
  return 0;
}
