// The per-sample encoding of the remote-write side, Google Benchmark:
// BM_EncodeScrape writes one scrape's records as the queue sink does (each
// series' labels, the series' own merged with the target's, and a sample,
// wire_encoder.h), BM_Transcode turns a request of 2,000 of those records
// into remote write 2.0 (v2_transcoder.h) as the stream does before each
// send. The series are compare's (target_farm): node_exporter-like families
// and labels, with the target labels instance, job and env.
//
//   bazel run -c opt //tools/bench:encode_bench -- [--benchmark_min_time=2]

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "plugin/model/compact_labels.h"
#include "plugin/model/labels.h"
#include "plugin/remote/v2_transcoder.h"
#include "plugin/remote/wire_encoder.h"

namespace promscrape::bench {
namespace {

constexpr int kSeries = 200;
constexpr int kRequestSamples = 2000;

// The series of one target: own labels (name and the family's labels) and
// the target's labels, each a compact set as the series cache keeps them.
struct Target {
  std::vector<model::CompactLabels> own;
  model::CompactLabels shared;
};

Target MakeTarget(int index) {
  static constexpr const char* kModes[] = {"idle",   "iowait", "irq",
                                           "nice",   "softirq", "steal",
                                           "system", "user"};
  Target t;
  t.shared = model::CompactLabels(model::Labels::Of(
      {{"env", "bench"},
       {"instance", absl::StrCat("127.0.0.1:", 20000 + index)},
       {"job", "bench"}}));
  for (int s = 0; s < kSeries; ++s) {
    // Families one after the other, as an exposition lists them.
    const int f = s / (kSeries / 5), i = s % (kSeries / 5);
    std::vector<model::Label> labels;
    switch (f) {
      case 0:
        labels = {{"__name__", "node_cpu_seconds_total"},
                  {"cpu", absl::StrCat(i / 8)},
                  {"mode", kModes[i % 8]}};
        break;
      case 1:
        labels = {{"__name__", "node_network_receive_bytes_total"},
                  {"device", absl::StrCat("eth", i)}};
        break;
      case 2:
        labels = {{"__name__", "node_filesystem_avail_bytes"},
                  {"device", absl::StrCat("/dev/sd", i)},
                  {"fstype", "ext4"},
                  {"mountpoint", absl::StrCat("/mnt/disk", i)}};
        break;
      case 3:
        labels = {{"__name__", "node_disk_io_time_seconds_total"},
                  {"device", absl::StrCat("nvme", i, "n1")}};
        break;
      default:
        labels = {{"__name__", "node_memory_Active_bytes"},
                  {"numa_node", absl::StrCat(i)}};
    }
    t.own.emplace_back(model::Labels::FromUnsorted(std::move(labels)));
  }
  return t;
}

// One scrape's records, as QueueAppender (queue_sink.cc) writes them.
template <typename Out>
void EncodeScrape(const Target& t, int64_t timestamp_ms, Out* out) {
  remote::wire::BasicRecordEncoder<Out> encoder;
  double value = 1;
  for (const model::CompactLabels& own : t.own) {
    encoder.Begin(out);
    model::SeriesLabels(own, t.shared).ForEach([&encoder](model::LabelView l) {
      encoder.AddLabel(l.name, l.value);
    });
    encoder.FinishWithSample(timestamp_ms, value);
    value += 1.5;
  }
}

void BM_EncodeScrape(benchmark::State& state) {
  const Target t = MakeTarget(0);
  ByteBuffer records;
  int64_t ts = 1700000000000;
  for (auto _ : state) {
    records.clear();
    EncodeScrape(t, ts, &records);
    ts += 10000;
    benchmark::DoNotOptimize(records.data());
  }
  state.SetItemsProcessed(state.iterations() * kSeries);
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(records.size()));
}
BENCHMARK(BM_EncodeScrape);

void BM_Transcode(benchmark::State& state) {
  // Whole scrapes of consecutive targets, as the queue batches them.
  std::string request;
  for (int target = 0; target < kRequestSamples / kSeries; ++target) {
    EncodeScrape(MakeTarget(target), 1700000000000 + target, &request);
  }
  remote::wire::AppendSequence(&request, 1);
  remote::V2Transcoder transcoder;
  std::string out;
  for (auto _ : state) {
    // As the queue transcodes a batch whose kinds hold no metadata.
    const absl::Status s =
        transcoder.Transcode(request, &out, /*may_hold_metadata=*/false);
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kRequestSamples);
  state.counters["v1_bytes_per_sample"] =
      static_cast<double>(request.size()) / kRequestSamples;
  state.counters["v2_bytes_per_sample"] =
      static_cast<double>(out.size()) / kRequestSamples;
}
BENCHMARK(BM_Transcode);

}  // namespace
}  // namespace promscrape::bench

BENCHMARK_MAIN();
