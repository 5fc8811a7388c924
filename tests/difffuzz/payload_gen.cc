#include "tests/difffuzz/payload_gen.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "proto/io/prometheus/client/metrics.pb.h"

namespace promscrape::difffuzz {
namespace {

namespace pb = ::io::prometheus::client;

const std::vector<std::string>& NamePool() {
  static const auto* v = new std::vector<std::string>{
      "a", "b", "m", "http_requests", "go_gc_duration_seconds", "x:y",
      "_under", "node_cpu", "temp_celsius", "req", "c_total", "ns:sub:metric",
      "info_thing", "state", "latency_seconds", "bytes"};
  return *v;
}

const std::vector<std::string>& LabelNamePool() {
  static const auto* v = new std::vector<std::string>{
      "a", "b", "method", "code", "le", "quantile", "job", "instance",
      "_x", "__meta", "payload", "z9", "path", "A"};
  return *v;
}

// Label values as written between the quotes (escapes included).
const std::vector<std::string>& LabelValuePool() {
  static const auto* v = new std::vector<std::string>{
      "1", "2", "get", "", "x y", "a\\\"q", "back\\\\slash", "nl\\n",
      "tab\\t", "bad\\q", "ü", "0.5", "+Inf", "1e3", "{}", "a,b", "#", "=",
      "\xc3\x28"};
  return *v;
}

const std::vector<std::string>& ValuePool() {
  static const auto* v = new std::vector<std::string>{
      "0", "1", "-1", "1.5", "1e3", "1E-3", "+Inf", "-Inf", "Inf", "inf",
      "NaN", "nan", "0x1p-2", "1_000", ".5", "5.", "+5", "-0", "1e400",
      "0.1", "123456789012345678901234567890", "4.9e-324", "Infinity",
      "+infinity", "0X10", "1p3", "0x", "1e", "--1", "2.5e+10", "17",
      "0.30000000000000004", "9007199254740993", "1.7976931348623157e308"};
  return *v;
}

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

}  // namespace

std::string ContentTypeOf(textparse::Format format) {
  switch (format) {
    case textparse::Format::kOpenMetrics:
      return "application/openmetrics-text; version=1.0.0; charset=utf-8";
    case textparse::Format::kProtobuf:
      return "application/vnd.google.protobuf; "
             "proto=io.prometheus.client.MetricFamily; encoding=delimited";
    case textparse::Format::kPromText:
      break;
  }
  return "text/plain; version=0.0.4; charset=utf-8";
}

std::vector<Payload> LoadSeedCorpus(const std::vector<std::string>& paths) {
  std::vector<Payload> out;
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) continue;
    std::stringstream ss;
    ss << in.rdbuf();
    Payload p;
    const std::string base = path.substr(path.rfind('/') + 1);
    p.format = absl::StrContains(path, "openmetrics") ||
                       absl::StrContains(base, ".om")
                   ? textparse::Format::kOpenMetrics
                   : textparse::Format::kPromText;
    p.content_type = ContentTypeOf(p.format);
    p.body = ss.str();
    p.origin = absl::StrCat("seed ", base);
    out.push_back(std::move(p));
  }
  return out;
}

PayloadGenerator::PayloadGenerator(uint64_t seed, int64_t now_ms)
    : rng_(seed), seed_(seed), now_ms_(now_ms) {}

bool PayloadGenerator::Chance(int percent) { return Uniform(0, 99) < percent; }

int PayloadGenerator::Uniform(int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng_);
}

std::string PayloadGenerator::Name() {
  std::string n = Pick(NamePool());
  if (Chance(20)) n += absl::StrCat("_", Uniform(0, 9));
  return n;
}

std::string PayloadGenerator::LabelValue() {
  if (Chance(70)) return absl::StrCat("v", Uniform(0, 5));
  return Pick(LabelValuePool());
}

std::string PayloadGenerator::Value() {
  if (Chance(60)) {
    switch (Uniform(0, 3)) {
      case 0:
        return absl::StrCat(Uniform(0, 1000));
      case 1:
        return absl::StrCat(Uniform(-1000, 1000), ".", Uniform(0, 999));
      case 2:
        return absl::StrCat(Uniform(1, 9), "e", Uniform(-30, 30));
      default:
        return absl::StrCat(std::uniform_real_distribution<double>(-1e6, 1e6)(rng_));
    }
  }
  return Pick(ValuePool());
}

std::string PayloadGenerator::Labels(int max) {
  const int n = Uniform(0, max);
  if (n == 0) return Chance(20) ? "{}" : "";
  std::vector<std::string> names;
  std::vector<std::string> parts;
  for (int i = 0; i < n; ++i) {
    std::string name = Pick(LabelNamePool());
    if (std::find(names.begin(), names.end(), name) != names.end() &&
        !Chance(5)) {
      continue;
    }
    names.push_back(name);
    parts.push_back(absl::StrCat(name, "=\"", LabelValue(), "\""));
  }
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}");
}

std::string PayloadGenerator::TextTimestamp(bool openmetrics) {
  int64_t t;
  switch (Uniform(0, 9)) {
    case 0:  // Ancient: Prometheus' TSDB drops it (out of bounds).
      t = Chance(50) ? Uniform(0, 1000000) : now_ms_ - 3 * 3600 * 1000;
      break;
    case 1:  // Near future (< 10 min ahead): stored.
      t = now_ms_ + Uniform(60, 400) * 1000;
      break;
    case 2:  // Far future: skipped by the scrape (more than 10 min ahead).
      t = now_ms_ + Uniform(30, 600) * 60 * 1000;
      break;
    default:  // Recent.
      t = now_ms_ - Uniform(60, 2700) * 1000 - Uniform(0, 999);
  }
  if (!openmetrics) {
    if (Chance(5)) return absl::StrCat(t, ".5");
    if (Chance(3)) return absl::StrCat("-", t);
    return absl::StrCat(t);
  }
  if (Chance(5)) return absl::StrCat(t);  // Milliseconds read as seconds.
  if (Chance(5)) return absl::StrCat(static_cast<double>(t) / 1000.0);
  if (Chance(3)) return absl::StrCat(t / 1000, "e0");
  return absl::StrCat(t / 1000, ".", absl::StrFormat("%03d", t % 1000));
}

std::string PayloadGenerator::Exemplar() {
  std::string labels = Chance(80) ? absl::StrCat("{trace_id=\"", Uniform(0, 99999), "\"}")
                                  : Labels(2);
  if (labels.empty()) labels = "{}";
  std::string e = absl::StrCat(" # ", labels, " ", Value());
  if (Chance(40)) e += absl::StrCat(" ", (now_ms_ / 1000) - Uniform(0, 100), ".", Uniform(0, 9));
  return e;
}

std::string PayloadGenerator::TextFamilies(bool om) {
  std::string out;
  const int families = Uniform(1, 5);
  std::vector<std::string> types = {"counter", "gauge", "untyped",
                                    "histogram", "summary"};
  if (om) {
    types = {"counter", "gauge", "unknown", "histogram", "summary",
             "info", "stateset", "gaugehistogram"};
  }
  for (int f = 0; f < families; ++f) {
    std::string name = Name();
    const std::string type = Pick(types);
    if (om && type == "counter" && absl::EndsWith(name, "_total")) {
      name = name.substr(0, name.size() - 6);
    }
    if (Chance(50)) {
      out += absl::StrCat("# HELP ", name, " ",
                          Chance(80) ? "Help text." : "esc \\\\ \\n \\\" ü", "\n");
    }
    if (om && Chance(15)) out += absl::StrCat("# UNIT ", name, " ", Chance(50) ? "seconds" : "", "\n");
    if (Chance(85)) out += absl::StrCat("# TYPE ", name, " ", type, "\n");
    auto ts = [&] { return Chance(15) ? " " + TextTimestamp(om) : std::string(); };
    auto ex = [&](bool allowed) {
      return om && Chance(allowed ? 30 : 4) ? Exemplar() : std::string();
    };
    const int series = Uniform(1, 3);
    for (int s = 0; s < series; ++s) {
      const std::string labels = Labels(2);
      // The inner label list, to add le/quantile to.
      std::string inner =
          labels.size() > 2 ? labels.substr(1, labels.size() - 2) : "";
      auto with = [&](const std::string& extra) {
        if (inner.empty()) return absl::StrCat("{", extra, "}");
        return absl::StrCat("{", inner, ",", extra, "}");
      };
      if (type == "histogram" || type == "gaugehistogram") {
        const std::vector<std::string> les = {"0.1", "1", "5", "10"};
        int count = 0;
        const int nb = Uniform(0, 3);
        for (int b = 0; b < nb; ++b) {
          count += Uniform(0, 3);
          out += absl::StrCat(name, "_bucket", with(absl::StrCat("le=\"", les[b], "\"")),
                              " ", count, ts(), ex(true), "\n");
        }
        count += Uniform(0, 2);
        if (Chance(90)) {
          out += absl::StrCat(name, "_bucket", with("le=\"+Inf\""), " ", count,
                              ts(), ex(true), "\n");
        }
        const bool gauge = type == "gaugehistogram";
        if (Chance(85)) out += absl::StrCat(name, gauge ? "_gsum" : "_sum", labels, " ", Value(), ts(), ex(false), "\n");
        if (Chance(85)) out += absl::StrCat(name, gauge ? "_gcount" : "_count", labels, " ", count, ts(), ex(false), "\n");
        if (om && Chance(15)) out += absl::StrCat(name, "_created", labels, " ", now_ms_ / 1000 - 100, ex(false), "\n");
      } else if (type == "summary") {
        for (const char* q : {"0.5", "0.99"}) {
          if (Chance(70)) out += absl::StrCat(name, with(absl::StrCat("quantile=\"", q, "\"")), " ", Value(), ts(), ex(false), "\n");
        }
        if (Chance(85)) out += absl::StrCat(name, "_sum", labels, " ", Value(), ts(), ex(false), "\n");
        if (Chance(85)) out += absl::StrCat(name, "_count", labels, " ", Uniform(0, 50), ts(), ex(false), "\n");
        if (om && Chance(15)) out += absl::StrCat(name, "_created", labels, " ", now_ms_ / 1000 - 100, ex(false), "\n");
      } else if (type == "counter") {
        out += absl::StrCat(name, om ? "_total" : "", labels, " ", Value(), ts(), ex(true), "\n");
        if (om && Chance(20)) out += absl::StrCat(name, "_created", labels, " ", now_ms_ / 1000 - 100, ts(), ex(false), "\n");
      } else if (type == "info") {
        out += absl::StrCat(name, "_info", labels, " 1", ts(), ex(false), "\n");
      } else if (type == "stateset") {
        out += absl::StrCat(name, with(absl::StrCat(name, "=\"s", s, "\"")), " ", Uniform(0, 1), ts(), ex(false), "\n");
      } else {
        out += absl::StrCat(name, labels, " ", Value(), ts(), ex(false), "\n");
      }
    }
  }
  if (om) out += "# EOF\n";
  return out;
}

std::string PayloadGenerator::ProtobufFamilies() {
  std::string out;
  const int families = Uniform(1, 4);
  for (int f = 0; f < families; ++f) {
    pb::MetricFamily mf;
    std::string name = Name();
    if (Chance(3)) name = Chance(50) ? "" : "bad-name";
    mf.set_name(name);
    if (Chance(50)) mf.set_help("help \\ text\n");
    const int type = Uniform(0, 4);
    mf.set_type(static_cast<pb::MetricType>(type));  // counter..histogram
    const int metrics = Uniform(Chance(5) ? 0 : 1, 3);
    for (int m = 0; m < metrics; ++m) {
      pb::Metric* metric = mf.add_metric();
      const int nl = Uniform(0, 2);
      for (int l = 0; l < nl; ++l) {
        pb::LabelPair* lp = metric->add_label();
        lp->set_name(Chance(95) ? Pick(LabelNamePool()) : Pick(std::vector<std::string>{"", "__name__", "1x", "a-b"}));
        lp->set_value(Chance(90) ? absl::StrCat("v", Uniform(0, 5)) : Pick(std::vector<std::string>{"", "ü", "\xc3\x28", "x\ny"}));
      }
      auto value = [&] {
        if (Chance(80)) return static_cast<double>(Uniform(-100, 100)) / 4;
        return Pick(std::vector<double>{NAN, INFINITY, -INFINITY, -0.0, 1e308, 5e-324});
      };
      switch (type) {
        case pb::COUNTER:
          metric->mutable_counter()->set_value(value());
          break;
        case pb::GAUGE:
          metric->mutable_gauge()->set_value(value());
          break;
        case pb::SUMMARY: {
          pb::Summary* s = metric->mutable_summary();
          s->set_sample_count(Uniform(0, 20));
          s->set_sample_sum(value());
          for (double q : {0.5, 0.9}) {
            if (!Chance(70)) continue;
            pb::Quantile* qq = s->add_quantile();
            qq->set_quantile(q);
            qq->set_value(value());
          }
          break;
        }
        case pb::UNTYPED:
          metric->mutable_untyped()->set_value(value());
          break;
        default: {
          pb::Histogram* h = metric->mutable_histogram();
          uint64_t count = 0;
          for (double ub : {0.1, 1.0, 10.0}) {
            if (!Chance(70)) continue;
            count += Uniform(0, 3);
            pb::Bucket* b = h->add_bucket();
            b->set_upper_bound(ub);
            b->set_cumulative_count(count);
          }
          if (Chance(15)) {
            pb::Bucket* b = h->add_bucket();
            b->set_upper_bound(INFINITY);
            b->set_cumulative_count(count);
          }
          h->set_sample_count(count);
          h->set_sample_sum(value());
          break;
        }
      }
      if (Chance(15)) {
        metric->set_timestamp_ms(Chance(20) ? Uniform(0, 100000)
                                            : now_ms_ - Uniform(60, 2700) * 1000);
      }
    }
    std::string bytes;
    mf.SerializeToString(&bytes);
    PutVarint(bytes.size(), &out);
    out += bytes;
  }
  return out;
}

void PayloadGenerator::MutateText(Payload& p, const std::string& kind) {
  std::vector<std::string> lines = absl::StrSplit(p.body, '\n');
  auto random_line = [&]() -> int {
    return Uniform(0, static_cast<int>(lines.size()) - 1);
  };
  auto join = [&] { p.body = absl::StrJoin(lines, "\n"); };
  if (kind == "trailing_comma") {
    const size_t brace = p.body.find('}', Uniform(0, static_cast<int>(p.body.size())));
    if (brace != std::string::npos && brace > 0 && p.body[brace - 1] != '{') {
      p.body.insert(brace, ",");
    }
  } else if (kind == "drop_eof") {
    const size_t at = p.body.rfind("# EOF");
    if (at != std::string::npos) p.body.erase(at);
  } else if (kind == "data_after_eof") {
    p.body += Pick(std::vector<std::string>{"x 1\n", "\n", "# EOF\n", " "});
  } else if (kind == "delete_line") {
    lines.erase(lines.begin() + random_line());
    join();
  } else if (kind == "duplicate_line") {
    const int i = random_line();
    lines.insert(lines.begin() + i, lines[i]);
    join();
  } else if (kind == "swap_lines") {
    std::swap(lines[random_line()], lines[random_line()]);
    join();
  } else if (kind == "move_type_last") {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (absl::StartsWith(lines[i], "# TYPE")) {
        std::string t = lines[i];
        lines.erase(lines.begin() + i);
        lines.insert(lines.end() - (lines.size() > 1 ? 2 : 0), t);
        break;
      }
    }
    join();
  } else if (kind == "blank_line") {
    lines.insert(lines.begin() + random_line(), Pick(std::vector<std::string>{"", " ", "\t"}));
    join();
  } else if (kind == "comment_line") {
    lines.insert(lines.begin() + random_line(),
                 Pick(std::vector<std::string>{"# a comment", "#", "#HELP x y", "# HELP", "# TYPE x", "# TYPE x bogus", "# UNIT x", "# HELP x", "# TYPE x counter extra", "# EOF x"}));
    join();
  } else if (kind == "no_final_newline") {
    while (!p.body.empty() && p.body.back() == '\n') p.body.pop_back();
  } else if (kind == "insert_char" && !p.body.empty()) {
    p.body.insert(Uniform(0, static_cast<int>(p.body.size())), 1,
                  Pick(std::vector<char>{' ', '\t', ',', '{', '}', '"', '=', '\\', '#', '\n', '\r', '\0', 'x', '.', '-'}));
  } else if (kind == "delete_char" && !p.body.empty()) {
    p.body.erase(Uniform(0, static_cast<int>(p.body.size()) - 1), 1);
  } else if (kind == "value") {
    const int i = random_line();
    if (!lines[i].empty() && lines[i][0] != '#') {
      const size_t sp = lines[i].rfind(' ');
      if (sp != std::string::npos) lines[i] = lines[i].substr(0, sp + 1) + Pick(ValuePool());
    }
    join();
  } else if (kind == "timestamp") {
    const int i = random_line();
    if (!lines[i].empty() && lines[i][0] != '#') {
      lines[i] += Chance(80) ? " " + TextTimestamp(p.format == textparse::Format::kOpenMetrics)
                             : Pick(std::vector<std::string>{" 1.5e3", " -1", " 0x10", " NaN", " +Inf", " 1_0", "  1", " 1 2"});
    }
    join();
  } else if (kind == "exemplar") {
    const int i = random_line();
    if (!lines[i].empty() && lines[i][0] != '#') lines[i] += Exemplar();
    join();
  } else if (kind == "crlf") {
    std::string out;
    for (char c : p.body) {
      if (c == '\n') out += '\r';
      out += c;
    }
    p.body = out;
  } else if (kind == "double_space") {
    const size_t sp = p.body.find(' ', Uniform(0, static_cast<int>(p.body.size())));
    if (sp != std::string::npos) p.body.insert(sp, " ");
  } else if (kind == "type_change") {
    for (std::string& l : lines) {
      if (absl::StartsWith(l, "# TYPE ") && Chance(50)) {
        const size_t sp = l.rfind(' ');
        l = l.substr(0, sp + 1) + Pick(std::vector<std::string>{"counter", "gauge", "histogram", "summary", "untyped", "unknown", "info", "stateset", "gaugehistogram", "Counter", ""});
      }
    }
    join();
  } else if (kind == "label_escape") {
    const size_t q = p.body.find("=\"", Uniform(0, static_cast<int>(p.body.size())));
    if (q != std::string::npos) {
      p.body.insert(q + 2, Pick(std::vector<std::string>{"\\n", "\\\\", "\\\"", "\\t", "\\x", "\\u00fc", "\xff", "\xc3\xbc", "\\"}));
    }
  } else if (kind == "duplicate_label") {
    const size_t b = p.body.find('{', Uniform(0, static_cast<int>(p.body.size())));
    if (b != std::string::npos) p.body.insert(b + 1, "a=\"1\",a=\"2\",");
  } else if (kind == "empty_labels") {
    const int i = random_line();
    if (!lines[i].empty() && lines[i][0] != '#' && lines[i].find('{') == std::string::npos) {
      const size_t sp = lines[i].find(' ');
      if (sp != std::string::npos) lines[i].insert(sp, Pick(std::vector<std::string>{"{}", "{,}", "{ }", "{a=\"1\" }", "{ a=\"1\"}", "{a =\"1\"}", "{a=\"1\",,b=\"2\"}"}));
    }
    join();
  } else if (kind == "name") {
    const int i = random_line();
    if (!lines[i].empty() && lines[i][0] != '#') {
      lines[i].insert(0, Pick(std::vector<std::string>{"x", "_", ":", "9", "-", "é", "up_", "a.b"}));
    }
    join();
  } else if (kind == "created") {
    lines.insert(lines.begin() + random_line(), absl::StrCat(Name(), "_created ", now_ms_ / 1000 - 5));
    join();
  } else if (kind == "leading_space") {
    const int i = random_line();
    lines[i].insert(0, " ");
    join();
  } else if (kind == "empty") {
    p.body = Chance(50) ? "" : "\n";
  } else if (kind == "content_type") {
    p.content_type = Pick(std::vector<std::string>{"", "text/plain", "application/json", "application/openmetrics-text", "application/openmetrics-text; version=0.0.1", "text/plain; version=1.0.0", "garbage;;"});
  } else if (kind == "regroup") {
    // Interleave two families: move a sample line to the front.
    const int i = random_line();
    if (!lines[i].empty() && lines[i][0] != '#') {
      std::string l = lines[i];
      lines.erase(lines.begin() + i);
      lines.insert(lines.begin(), l);
    }
    join();
  }
}

void PayloadGenerator::MutateProtobuf(Payload& p) {
  switch (Uniform(0, 4)) {
    case 0:
      if (!p.body.empty()) p.body.resize(Uniform(0, static_cast<int>(p.body.size()) - 1));
      break;
    case 1:
      if (!p.body.empty()) p.body[Uniform(0, static_cast<int>(p.body.size()) - 1)] ^= static_cast<char>(1 << Uniform(0, 7));
      break;
    case 2:
      p.body += p.body;  // The same families twice.
      break;
    case 3:
      p.body.insert(0, 1, '\0');  // An empty message.
      break;
    default:
      p.content_type = Pick(std::vector<std::string>{
          "application/vnd.google.protobuf", "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=text"});
  }
}

void PayloadGenerator::Mutate(Payload& p) {
  if (p.format == textparse::Format::kProtobuf) {
    MutateProtobuf(p);
    p.origin += "+pb_mutation";
    return;
  }
  static const auto* kinds = new std::vector<std::string>{
      "trailing_comma", "drop_eof", "data_after_eof", "delete_line",
      "duplicate_line", "swap_lines", "move_type_last", "blank_line",
      "comment_line", "no_final_newline", "insert_char", "delete_char",
      "value", "timestamp", "exemplar", "crlf", "double_space",
      "type_change", "label_escape", "duplicate_label", "empty_labels",
      "name", "created", "leading_space", "empty", "content_type",
      "regroup"};
  const std::string& kind = Pick(*kinds);
  MutateText(p, kind);
  absl::StrAppend(&p.origin, "+", kind);
}

Payload PayloadGenerator::Next() {
  Payload p;
  const int64_t n = counter_++;
  if (!seeds_.empty() && Chance(12)) {
    p = Pick(seeds_);
    p.origin = absl::StrCat("seed ", seed_, " #", n, ": ", p.origin);
  } else {
    const int f = Uniform(0, 9);
    p.format = f < 4   ? textparse::Format::kPromText
               : f < 8 ? textparse::Format::kOpenMetrics
                       : textparse::Format::kProtobuf;
    p.content_type = ContentTypeOf(p.format);
    p.body = p.format == textparse::Format::kProtobuf
                 ? ProtobufFamilies()
                 : TextFamilies(p.format == textparse::Format::kOpenMetrics);
    p.origin = absl::StrCat("seed ", seed_, " #", n, ": ",
                            p.format == textparse::Format::kProtobuf ? "pb"
                            : p.format == textparse::Format::kOpenMetrics
                                ? "om"
                                : "text");
  }
  const int mutations = Chance(30) ? 0 : Uniform(1, 3);
  for (int i = 0; i < mutations; ++i) Mutate(p);
  return p;
}

}  // namespace promscrape::difffuzz
