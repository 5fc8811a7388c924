#ifndef TOOLS_BENCH_NAIVE_PARSER_H_
#define TOOLS_BENCH_NAIVE_PARSER_H_

#include <cstddef>
#include <string>

namespace promscrape::bench {

// A deliberately straightforward text-format parser (std::istringstream +
// std::getline, std::stod, std::map of std::string labels per sample). It is
// the benchmark's stand-in for Prometheus' Go parser, which cannot run on
// this offline machine: it shows the cost of the "obvious" approach, not
// Go's numbers. Returns the number of samples, or -1 on a malformed line.
// Stateless; thread-safe.
long NaiveParsePromText(const std::string& body, double* checksum);

}  // namespace promscrape::bench

#endif  // TOOLS_BENCH_NAIVE_PARSER_H_
