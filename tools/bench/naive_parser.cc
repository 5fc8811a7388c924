#include "tools/bench/naive_parser.h"

#include <map>
#include <sstream>
#include <string>

namespace promscrape::bench {

long NaiveParsePromText(const std::string& body, double* checksum) {
  std::istringstream in(body);
  std::string line;
  long samples = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::map<std::string, std::string> labels;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    labels["__name__"] = line.substr(0, i);
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        if (eq == std::string::npos) return -1;
        std::string name = line.substr(i, eq - i);
        size_t q = eq + 2;
        std::string value;
        while (q < line.size() && line[q] != '"') {
          if (line[q] == '\\' && q + 1 < line.size()) {
            ++q;
            value += line[q] == 'n' ? '\n' : line[q];
          } else {
            value += line[q];
          }
          ++q;
        }
        labels[name] = value;
        i = q + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;
    }
    std::istringstream rest(line.substr(i));
    std::string value;
    rest >> value;
    try {
      *checksum += std::stod(value) + static_cast<double>(labels.size());
    } catch (...) {
      return -1;
    }
    ++samples;
  }
  return samples;
}

}  // namespace promscrape::bench
