#ifndef TESTS_DIFFFUZZ_PAYLOAD_GEN_H_
#define TESTS_DIFFFUZZ_PAYLOAD_GEN_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "plugin/textparse/parser.h"

namespace promscrape::difffuzz {

// One scrape response: the body and the Content-Type it is served with.
struct Payload {
  textparse::Format format = textparse::Format::kPromText;
  std::string content_type;
  std::string body;
  // How it was made ("seed 7 #12: om+trailing_comma+drop_eof"), for reports.
  std::string origin;
};

// The Content-Type each format is served with.
std::string ContentTypeOf(textparse::Format format);

// Generates exposition payloads in the three formats, deterministically
// from a seed: structured families (counter, gauge, untyped, histogram,
// summary, and OpenMetrics' info, stateset, gaugehistogram, unknown) with
// label sets, escapes, numbers, timestamps, exemplars and metadata, then a
// few structure-aware mutations (trailing commas, duplicate or dropped
// lines, reordering and regrouping, `# EOF` removed or followed by data,
// exemplars on any sample, odd numbers and timestamps, CRLF, stray bytes).
// Protobuf payloads are delimited io.prometheus.client.MetricFamily
// messages with mutations of names, labels, values and the framing.
//
// Explicit timestamps are chosen relative to `now_ms` in bands that keep
// clear of Prometheus' storage edges (1 h behind the head, 10 min ahead),
// plus ancient ones that Prometheus' TSDB drops as out of bounds.
//
// Thread-compatible.
class PayloadGenerator {
 public:
  PayloadGenerator(uint64_t seed, int64_t now_ms);

  Payload Next();

  // Moves "now" (timestamps are drawn relative to it); a long run calls it
  // before each batch.
  void set_now_ms(int64_t now_ms) { now_ms_ = now_ms; }

  // Seeds that `Next()` mutates now and then.
  void AddSeeds(std::vector<Payload> seeds) { seeds_ = std::move(seeds); }

  // Applies one random mutation of `payload`'s kind (text or framing).
  void Mutate(Payload& payload);

 private:
  std::string Name();
  std::string LabelValue();
  std::string Value();
  std::string Labels(int max);
  std::string TextTimestamp(bool openmetrics);
  std::string Exemplar();
  std::string TextFamilies(bool openmetrics);
  std::string ProtobufFamilies();
  void MutateText(Payload& payload, const std::string& kind);
  void MutateProtobuf(Payload& payload);
  bool Chance(int percent);
  int Uniform(int lo, int hi);  // inclusive
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Uniform(0, static_cast<int>(v.size()) - 1)];
  }

  std::mt19937_64 rng_;
  const uint64_t seed_;
  int64_t now_ms_;
  int64_t counter_ = 0;
  std::vector<Payload> seeds_;
};

// The seed corpus: the text and OpenMetrics files at `paths` (a name
// containing "om" or "openmetrics" is OpenMetrics, others Prometheus text).
// Unreadable files are skipped. The generator starts one payload in eight
// from a mutated seed (see `AddSeeds`).
std::vector<Payload> LoadSeedCorpus(const std::vector<std::string>& paths);

}  // namespace promscrape::difffuzz

#endif  // TESTS_DIFFFUZZ_PAYLOAD_GEN_H_
