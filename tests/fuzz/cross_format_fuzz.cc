// libFuzzer target for an invariant across formats: one family written as
// Prometheus text and as OpenMetrics yields the same series, values and
// timestamps from PromParser and OpenMetricsParser (2.x grammar, and 3.x'
// grammar too). The input only steers the family (name, type, label sets
// with escapes, values, timestamps), so every generated family lies in the
// grammar both formats share; a parse error or a difference aborts.
//
// Input: a byte stream read by a tiny cursor (see Reader).

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/textparse/openmetrics_parser.h"
#include "plugin/textparse/prom_parser.h"

namespace promscrape::textparse {
namespace {

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  bool done() const { return pos_ >= size_; }
  double Double() {
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = (bits << 8) | Byte();
    double d;
    static_assert(sizeof(d) == sizeof(bits));
    __builtin_memcpy(&d, &bits, sizeof(d));
    return d;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// A value token both formats read alike.
std::string ValueText(Reader& r) {
  switch (r.Byte() % 6) {
    case 0:
      return "NaN";
    case 1:
      return "+Inf";
    case 2:
      return "-Inf";
    case 3:
      return std::to_string(static_cast<int8_t>(r.Byte()));
    default: {
      double d = r.Double();
      if (std::isnan(d)) return "NaN";
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g", d);
      return buf;
    }
  }
}

// A label value with the escapes both formats share (\\, \", \n).
std::string LabelValueText(Reader& r) {
  std::string v;
  const int n = r.Byte() % 6;
  for (int i = 0; i < n; ++i) {
    const uint8_t b = r.Byte();
    switch (b % 8) {
      case 0:
        v += "\\\\";
        break;
      case 1:
        v += "\\\"";
        break;
      case 2:
        v += "\\n";
        break;
      case 3:
        v += "\xc3\xbc";
        break;
      default:
        v += static_cast<char>('a' + b % 26);
    }
  }
  return v;
}

std::vector<std::string> Series(Parser& p) {
  std::vector<std::string> out;
  std::vector<Label> labels;
  for (;;) {
    absl::StatusOr<Entry> e = p.Next();
    if (!e.ok()) std::abort();  // Both grammars must accept the family.
    if (*e == Entry::kEof) return out;
    if (*e != Entry::kSeries) continue;
    p.Labels(&labels);
    std::string s;
    for (const Label& l : labels) {
      s.append(l.name.data(), l.name.size());
      s += '=';
      s.append(l.value.data(), l.value.size());
      s += '\xff';
    }
    char buf[96];
    const double v = p.Value();
    std::snprintf(buf, sizeof(buf), " %.17g", v);
    s += std::isnan(v) ? std::string(" NaN") : std::string(buf);
    if (p.has_timestamp()) s += " @" + std::to_string(p.timestamp_ms());
    out.push_back(std::move(s));
  }
}

}  // namespace
}  // namespace promscrape::textparse

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace promscrape::textparse;  // NOLINT(build/namespaces)
  Reader r(data, size);
  static const char* const kLabelNames[] = {"a", "b", "le", "quantile", "_x",
                                            "code"};
  std::string name = "m";
  for (int n = r.Byte() % 4; n > 0; --n) {
    name += static_cast<char>("abc_:"[r.Byte() % 5]);
  }
  const bool gauge = r.Byte() % 2 == 0;
  std::string text = "# HELP " + name + " help\n";
  std::string om = text;
  const std::string type = gauge ? "gauge" : "unknown";
  text += "# TYPE " + name + (gauge ? " gauge\n" : " untyped\n");
  om += "# TYPE " + name + " " + type + "\n";
  for (int s = 0; s < 8 && !r.done(); ++s) {
    std::string labels;
    const int nl = r.Byte() % 4;
    std::vector<std::string> used;
    for (int i = 0; i < nl; ++i) {
      std::string ln = kLabelNames[r.Byte() % 6];
      bool dup = false;
      for (const std::string& u : used) dup = dup || u == ln;
      if (dup) continue;
      used.push_back(ln);
      if (!labels.empty()) labels += ",";
      labels += ln + "=\"" + LabelValueText(r) + "\"";
    }
    const std::string series =
        name + (labels.empty() && r.Byte() % 2 ? "" : "{" + labels + "}");
    const std::string value = ValueText(r);
    std::string text_ts, om_ts;
    if (r.Byte() % 3 == 0) {
      // Whole seconds: OpenMetrics' float seconds times 1000, truncated,
      // is not exact for every millisecond (Prometheus' int64(ts*1000)).
      const int64_t ms = (static_cast<int64_t>(r.Byte()) << 16 |
                          static_cast<int64_t>(r.Byte()) << 8 | r.Byte()) *
                         1000;
      text_ts = " " + std::to_string(ms);
      char buf[64];
      std::snprintf(buf, sizeof(buf), " %lld.%03lld",
                    static_cast<long long>(ms / 1000),
                    static_cast<long long>(ms % 1000));
      om_ts = buf;
    }
    text += series + " " + value + text_ts + "\n";
    om += series + " " + value + om_ts + "\n";
  }
  om += "# EOF\n";
  for (bool v3 : {false, true}) {
    PromParser tp(text, /*utf8_names=*/v3, /*prometheus3_grammar=*/v3);
    OpenMetricsParser op(om, /*utf8_names=*/v3, /*prometheus3_grammar=*/v3);
    if (Series(tp) != Series(op)) std::abort();
  }
  return 0;
}
