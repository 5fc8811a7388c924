// promscrape_check: validates prometheus.yml files the way
// `promtool check config` does, with promscrape's config loader.
//
//   promscrape_check config FILE...
//
// Prints `SUCCESS` or the errors per file (the first after `FAILED:`, any
// further ones aligned below it); exits 1 if any file failed and 2 on bad
// usage.

#include <cstdio>
#include <string>

#include "plugin/checker/config_checker.h"

int main(int argc, char** argv) {
  if (argc < 3 || std::string(argv[1]) != "config") {
    std::fprintf(stderr, "usage: %s config FILE...\n", argv[0]);
    return 2;
  }
  int failed = 0;
  for (int i = 2; i < argc; ++i) {
    const std::string path = argv[i];
    std::printf("Checking %s\n", path.c_str());
    const auto result = promscrape::checker::CheckConfigFile(path);
    for (const auto& w : result.warnings) {
      std::printf("  WARNING: %s\n", w.c_str());
    }
    if (result.ok()) {
      std::printf(" SUCCESS: %s is valid prometheus config file syntax\n\n",
                  path.c_str());
      continue;
    }
    for (size_t e = 0; e < result.errors.size(); ++e) {
      std::fprintf(stderr, "%s%s\n", e == 0 ? "  FAILED: " : "          ",
                   std::string(result.errors[e].message()).c_str());
    }
    std::fputs("\n", stderr);
    ++failed;
  }
  return failed == 0 ? 0 : 1;
}
