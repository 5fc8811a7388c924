#ifndef TOOLS_BENCH_PAYLOAD_GEN_H_
#define TOOLS_BENCH_PAYLOAD_GEN_H_

#include <string>

namespace promscrape::bench {

// Deterministic synthetic exposition payloads shaped like node_exporter's
// (HELP/TYPE per family, counters and gauges with a few labels, a summary
// and histograms), so benchmarks and smoke tests run in a fresh clone.
// Stateless; thread-safe.

// Prometheus text 0.0.4.
std::string GeneratePromText(int families);
// The same series as OpenMetrics 1.0 (ends with # EOF).
std::string GenerateOpenMetrics(int families);
// The same series as delimited io.prometheus.client.MetricFamily protobuf.
std::string GenerateProtobuf(int families);

}  // namespace promscrape::bench

#endif  // TOOLS_BENCH_PAYLOAD_GEN_H_
