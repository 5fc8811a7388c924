#include "tests/testutil/test_files.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace promscrape::testing {

std::string TmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string WriteTmpFile(const std::string& name, const std::string& text) {
  std::string path = TmpDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string PluginPath() {
  char* cwd = getcwd(nullptr, 0);
  std::string path = absl::StrCat(cwd, "/plugin/libpromscrape.so");
  free(cwd);
  return path;
}

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

}  // namespace promscrape::testing
