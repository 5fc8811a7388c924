// Exposition parser throughput: one RESULT line per parser, mode and file.
//
//   bazel run -c opt //tools/bench:parse_bench -- [--min_time=SECONDS]
//       [--utf8_names] FILE...
//
// --utf8_names builds the text parsers with Prometheus 3.x' quoted-name
// grammar (ParserOptions::utf8_names, what prometheus_compat "3" scrapes
// with), to check that the unquoted common case costs the same.
//
// With no FILE it measures built-in generated payloads (text, OpenMetrics,
// protobuf) and every file in ../shared/testdata next to the workspace, if
// that folder exists. Modes: `series` is the scrape loop's warm path (series
// bytes + value per sample), `labels` its cache-miss path (plus the sorted
// label set). A REFERENCE line gives a naive std::getline/std::stod/std::map
// parser's speed on text files: a stand-in for Prometheus' Go parser, which
// cannot run here. Timings are best-of batches (see Measure()).

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "plugin/textparse/parser.h"
#include "tools/bench/naive_parser.h"
#include "tools/bench/payload_gen.h"

namespace promscrape::bench {
namespace {

using textparse::Entry;
using textparse::Format;
using model::LabelView;
using textparse::Parser;

const char* FormatName(Format f) {
  switch (f) {
    case Format::kOpenMetrics:
      return "openmetrics";
    case Format::kProtobuf:
      return "protobuf";
    case Format::kPromText:
      break;
  }
  return "prom";
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Format Detect(const std::string& path, const std::string& body) {
  if (EndsWith(path, ".pb")) return Format::kProtobuf;
  if (EndsWith(path, ".om.txt")) return Format::kOpenMetrics;
  if (EndsWith(path, ".prom.txt")) return Format::kPromText;
  if (body.find("# EOF") != std::string::npos) return Format::kOpenMetrics;
  return Format::kPromText;
}

// Parses the whole body once; returns samples or -1 on a parse error.
long ParseOnce(Parser& p, const std::string& body, bool labels,
               std::vector<LabelView>* buf, uint64_t* sink) {
  p.Reset(body);
  long samples = 0;
  for (;;) {
    absl::StatusOr<Entry> e = p.Next();
    if (!e.ok()) return -1;
    if (*e == Entry::kEof) break;
    if (*e != Entry::kSeries && *e != Entry::kHistogram) continue;
    ++samples;
    *sink += p.Series().size() + std::bit_cast<uint64_t>(p.Value());
    if (labels) {
      p.Labels(buf);
      *sink += buf->size() + buf->back().value.size();
    }
  }
  return samples;
}

struct Measurement {
  long samples = 0;
  double seconds_per_pass = 0;
};

// Best-of timing: the machine is shared, so the fastest batch of passes is
// the least disturbed estimate of the parser's own cost.
template <typename F>
Measurement Measure(double min_time, F&& once) {
  using Clock = std::chrono::steady_clock;
  Measurement m;
  m.samples = once();  // warm-up; sizes every buffer
  if (m.samples < 0) return m;
  constexpr int kBatch = 8;
  double best = 1e30;
  auto start = Clock::now();
  do {
    auto t0 = Clock::now();
    for (int i = 0; i < kBatch; ++i) once();
    double t = std::chrono::duration<double>(Clock::now() - t0).count();
    if (t < best) best = t;
  } while (std::chrono::duration<double>(Clock::now() - start).count() <
           min_time);
  m.seconds_per_pass = best / kBatch;
  return m;
}

void Report(const char* parser, const char* mode, const std::string& file,
            size_t bytes, const Measurement& m) {
  std::printf(
      "RESULT parser=%s mode=%s file=%s bytes=%zu samples=%ld mb_per_s=%.1f "
      "ns_per_sample=%.1f\n",
      parser, mode, file.c_str(), bytes, m.samples,
      bytes / m.seconds_per_pass / 1e6,
      m.seconds_per_pass * 1e9 / (m.samples > 0 ? m.samples : 1));
}

// Parser options of every run (--utf8_names).
textparse::ParserOptions g_options;

void BenchFile(const std::string& name, const std::string& body, Format format,
               double min_time) {
  std::vector<Format> formats = {format};
  if (format == Format::kPromText) formats.push_back(Format::kOpenMetrics);
  uint64_t sink = 0;
  std::vector<LabelView> buf;
  double labels_mb_per_s = 0;
  for (Format f : formats) {
    auto parser = textparse::NewParser(f, body, g_options);
    for (bool labels : {false, true}) {
      Measurement m = Measure(min_time, [&] {
        return ParseOnce(*parser, body, labels, &buf, &sink);
      });
      if (m.samples < 0) {
        if (f == format) {
          std::printf("ERROR parser=%s file=%s: parse failed\n", FormatName(f),
                      name.c_str());
        }
        break;  // e.g. prom text that is not valid OpenMetrics
      }
      Report(FormatName(f), labels ? "labels" : "series", name, body.size(),
             m);
      if (labels && f == format) {
        labels_mb_per_s = body.size() / m.seconds_per_pass / 1e6;
      }
    }
  }
  if (format != Format::kProtobuf) {
    double checksum = 0;
    Measurement m = Measure(min_time, [&] {
      return NaiveParsePromText(body, &checksum);
    });
    if (m.samples >= 0) {
      double mbps = body.size() / m.seconds_per_pass / 1e6;
      std::printf(
          "REFERENCE parser=naive_getline_stod_map (stand-in for Go textparse, "
          "not Go itself) file=%s mb_per_s=%.1f labels_mode_speedup=%.1fx\n",
          name.c_str(), mbps, labels_mb_per_s / mbps);
    }
  }
  if (sink == 42) std::printf(" ");  // keeps the work observable
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::string Resolve(const std::string& path) {
  // `bazel run` starts us in the runfiles tree; relative paths are meant
  // from where the user typed the command.
  const char* wd = std::getenv("BUILD_WORKING_DIRECTORY");
  if (wd != nullptr && !path.empty() && path[0] != '/') {
    return std::string(wd) + "/" + path;
  }
  return path;
}

int Main(int argc, char** argv) {
  double min_time = 0.5;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--min_time=", 0) == 0) {
      min_time = std::atof(a.c_str() + 11);
    } else if (a == "--utf8_names") {
      g_options.utf8_names = true;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    BenchFile("<generated.prom.txt>", GeneratePromText(200),
              Format::kPromText, min_time);
    BenchFile("<generated.om.txt>", GenerateOpenMetrics(200),
              Format::kOpenMetrics, min_time);
    BenchFile("<generated.pb>", GenerateProtobuf(200), Format::kProtobuf,
              min_time);
    const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
    std::filesystem::path dir =
        std::filesystem::path(ws != nullptr ? ws : ".") / ".." / "shared" /
        "testdata";
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (entry.is_regular_file()) found.push_back(entry.path().string());
      }
      std::sort(found.begin(), found.end());
      for (const std::string& f : found) files.push_back(f);
    }
  }
  int rc = 0;
  for (const std::string& f : files) {
    std::string body;
    if (!ReadFile(Resolve(f), &body)) {
      std::fprintf(stderr, "cannot read %s\n", f.c_str());
      rc = 1;
      continue;
    }
    BenchFile(f, body, Detect(f, body), min_time);
  }
  return rc;
}

}  // namespace
}  // namespace promscrape::bench

int main(int argc, char** argv) { return promscrape::bench::Main(argc, argv); }
