// promscrape_check: validates prometheus.yml files the way
// `promtool check config` does, with promscrape's config loader.
//
//   promscrape_check config FILE...
//
// Prints `SUCCESS` or the error per file; exits 1 if any file failed and 2
// on bad usage.

#include <cstdio>
#include <string>

#include "tools/check_config/config_checker.h"

int main(int argc, char** argv) {
  if (argc < 3 || std::string(argv[1]) != "config") {
    std::fprintf(stderr, "usage: %s config FILE...\n", argv[0]);
    return 2;
  }
  int failed = 0;
  for (int i = 2; i < argc; ++i) {
    const std::string path = argv[i];
    std::printf("Checking %s\n", path.c_str());
    const auto result = promscrape::tools::CheckConfigFile(path);
    for (const auto& w : result.warnings) {
      std::printf("  WARNING: %s\n", w.c_str());
    }
    if (result.status.ok()) {
      std::printf(" SUCCESS: %s is valid prometheus config file syntax\n\n",
                  path.c_str());
    } else {
      std::fprintf(stderr, "  FAILED: %s\n\n",
                   std::string(result.status.message()).c_str());
      ++failed;
    }
  }
  return failed == 0 ? 0 : 1;
}
