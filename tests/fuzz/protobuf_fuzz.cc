// libFuzzer target for ProtobufParser: any input must parse to EOF or a clean error
// without crashing or reading outside the input.

#include <cstdint>
#include <string_view>

#include "plugin/textparse/protobuf_parser.h"
#include "tests/fuzz/parser_fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  promscrape::textparse::ProtobufParser parser(body);
  promscrape::textparse::fuzz::Exercise(parser);
  // Again with classic buckets of native histograms, and with native
  // histograms disabled: different emission paths.
  promscrape::textparse::ParserOptions options;
  options.scrape_classic_histograms = true;
  promscrape::textparse::ProtobufParser classic(body, options);
  promscrape::textparse::fuzz::Exercise(classic);
  options.scrape_native_histograms = false;
  promscrape::textparse::ProtobufParser no_native(body, options);
  promscrape::textparse::fuzz::Exercise(no_native);
  // Start timestamps (created_timestamp, read on demand).
  options.parse_start_timestamps = true;
  promscrape::textparse::ProtobufParser st_calls(body, options);
  promscrape::textparse::ProtobufParser st_none(body, options);
  promscrape::textparse::fuzz::CheckStartTimestampsDoNotDisturb(st_calls,
                                                                st_none);
  return 0;
}
