// libFuzzer target for the Go-compatible float parser and formatter: parsing
// never crashes, and every finite parsed value survives a format/parse round
// trip bit for bit; content-type parsing never crashes either.

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "plugin/textparse/content_type.h"
#include "plugin/textparse/go_float.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace promscrape::textparse;
  std::string_view s(reinterpret_cast<const char*>(data), size);
  double v = 0;
  if (ParseGoFloat(s, &v) == FloatParseResult::kOk && std::isfinite(v)) {
    std::string f = FormatGoFloatG(v);
    double back = 0;
    if (ParseGoFloat(f, &back) != FloatParseResult::kOk) std::abort();
    if (std::bit_cast<uint64_t>(back) != std::bit_cast<uint64_t>(v)) {
      std::abort();
    }
    FormatOpenMetricsFloat(v);
  }
  ChooseFormat(s);
  return 0;
}
