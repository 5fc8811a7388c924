#ifndef TESTS_FUZZ_PARSER_FUZZ_UTIL_H_
#define TESTS_FUZZ_PARSER_FUZZ_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "plugin/textparse/parser.h"
#include "tests/textparse/parser_test_util.h"

namespace promscrape::textparse::fuzz {

// Drives `parser` over its whole body through both the warm (series) and the
// cold (labels, exemplars) paths and checks invariants that hold for any
// input: the parser ends (EOF or a sticky error), labels come out sorted with
// __name__ present, and every view points into the body or parser memory.
// Aborts on a violated invariant so the fuzzer reports it.
inline void Exercise(Parser& parser) {
  std::vector<Label> labels;
  Exemplar exemplar;
  for (int i = 0;; ++i) {
    if (i > (1 << 22)) std::abort();  // Next() must always make progress.
    absl::StatusOr<Entry> e = parser.Next();
    if (!e.ok()) {
      if (parser.Next().ok()) std::abort();  // errors are sticky
      return;
    }
    if (*e == Entry::kEof) {
      if (!parser.Next().ok() || *parser.Next() != Entry::kEof) std::abort();
      return;
    }
    if (*e != Entry::kSeries && *e != Entry::kHistogram) continue;
    volatile size_t sink = parser.Series().size() + parser.MetricName().size();
    (void)sink;
    parser.Labels(&labels);
    if (labels.empty()) std::abort();
    bool has_name = false;
    for (size_t j = 0; j < labels.size(); ++j) {
      if (labels[j].name == textparse::ToAbsl(kMetricNameLabel)) has_name = true;
      if (j > 0 && labels[j].name < labels[j - 1].name) std::abort();
      // Touch every byte so ASAN checks the views.
      for (char c : labels[j].value) sink = sink + static_cast<unsigned char>(c);
    }
    if (!has_name) std::abort();
    while (parser.NextExemplar(&exemplar)) {
      for (const Label& l : exemplar.labels) {
        for (char c : l.value) sink = sink + static_cast<unsigned char>(c);
      }
    }
  }
}

// Prometheus 3.x' grammar (quoted names) only adds syntax: up to the first
// error of the 2.x grammar, both give the same entries. Aborts otherwise.
inline void CheckGrammarsAgree(Parser& v2, Parser& v3) {
  std::vector<std::string> a = testing::ParseAll(v2);
  std::vector<std::string> b = testing::ParseAll(v3);
  size_t agree = a.size();
  if (!a.empty() && a.back().rfind("ERROR", 0) == 0) agree = a.size() - 1;
  if (b.size() < agree) std::abort();
  for (size_t i = 0; i < agree; ++i) {
    if (a[i] != b[i]) std::abort();
  }
  if (agree == a.size() && a != b) std::abort();
}

// StartTimestamp() may look ahead in the body (OpenMetrics): calling it at
// every series must leave the entries exactly as a parser where it is never
// called gives them, and repeated calls agree. Aborts otherwise.
inline void CheckStartTimestampsDoNotDisturb(Parser& with_calls,
                                             Parser& without) {
  for (int i = 0;; ++i) {
    if (i > (1 << 22)) std::abort();
    absl::StatusOr<Entry> a = with_calls.Next();
    absl::StatusOr<Entry> b = without.Next();
    if (a.ok() != b.ok()) std::abort();
    if (!a.ok()) {
      if (a.status() != b.status()) std::abort();
      return;
    }
    if (*a != *b) std::abort();
    if (*a == Entry::kEof) return;
    const bool series = *a == Entry::kSeries || *a == Entry::kHistogram;
    if (series && (i & 1) == 0) {
      // Before the entry is read (its exemplars not yet taken) ...
      const int64_t st = with_calls.StartTimestamp();
      if (with_calls.StartTimestamp() != st) std::abort();
    }
    if (testing::DescribeEntry(with_calls, *a) !=
        testing::DescribeEntry(without, *b)) {
      std::abort();
    }
    if (series && (i & 1) == 1) {
      // ... or after: taken exemplars stay taken.
      with_calls.StartTimestamp();
      Exemplar ex;
      if (with_calls.NextExemplar(&ex)) std::abort();
    }
  }
}

}  // namespace promscrape::textparse::fuzz

#endif  // TESTS_FUZZ_PARSER_FUZZ_UTIL_H_
