// libFuzzer target for PromParser: any input must parse to EOF or a clean error
// without crashing or reading outside the input, and the fast paths must
// agree with the general code entry for entry.

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "plugin/textparse/prom_parser.h"
#include "tests/fuzz/parser_fuzz_util.h"
#include "tests/textparse/parser_test_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  promscrape::textparse::PromParser parser(body);
  promscrape::textparse::fuzz::Exercise(parser);

  promscrape::textparse::PromParser fast(body);
  promscrape::textparse::PromParser slow(body);
  slow.DisableFastPathsForTest();
  if (!promscrape::textparse::testing::FirstDifference(fast, slow).empty()) {
    std::abort();
  }
  return 0;
}
