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

  // Prometheus 3.x' grammar (prometheus_compat "3"): the same invariants,
  // fast paths against general code, and agreement with 2.x' grammar.
  promscrape::textparse::PromParser utf8(body, /*utf8_names=*/true);
  promscrape::textparse::fuzz::Exercise(utf8);
  promscrape::textparse::PromParser fast3(body, true);
  promscrape::textparse::PromParser slow3(body, true);
  slow3.DisableFastPathsForTest();
  if (!promscrape::textparse::testing::FirstDifference(fast3, slow3).empty()) {
    std::abort();
  }
  promscrape::textparse::PromParser v2(body);
  promscrape::textparse::PromParser v3(body, true);
  promscrape::textparse::fuzz::CheckGrammarsAgree(v2, v3);
  return 0;
}
