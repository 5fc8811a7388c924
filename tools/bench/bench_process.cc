#include "tools/bench/bench_process.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace promscrape::bench {

std::string Absolute(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char* cwd = getcwd(nullptr, 0);
  std::string out = absl::StrCat(cwd, "/", path);
  free(cwd);
  return out;
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) {
    return absl::InternalError(absl::StrCat("cannot write \"", path, "\""));
  }
  return absl::OkStatus();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::StatusOr<std::string> MakeWorkDir(absl::string_view name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl = absl::StrCat(base ? base : "/tmp", "/", name, ".XXXXXX");
  if (mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp \"", tmpl, "\" failed"));
  }
  return tmpl;
}

namespace {

// utime + stime in seconds from the text of a /proc .../stat file, and the
// comm field in `*name`; -1 when malformed.
double StatCpuSeconds(const std::string& stat, std::string* name) {
  const size_t open = stat.find('(');
  const size_t paren = stat.rfind(')');
  if (open == std::string::npos || paren == std::string::npos || paren < open ||
      paren + 2 > stat.size()) {
    return -1;
  }
  if (name != nullptr) *name = stat.substr(open + 1, paren - open - 1);
  // Fields after "comm)": state is field 3; utime and stime are 14 and 15.
  std::vector<std::string> fields = absl::StrSplit(stat.substr(paren + 2), ' ');
  if (fields.size() < 13) return -1;
  double utime = 0, stime = 0;
  if (!absl::SimpleAtod(fields[11], &utime) ||
      !absl::SimpleAtod(fields[12], &stime)) {
    return -1;
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

double CpuSeconds(pid_t pid) {
  return StatCpuSeconds(ReadFile(absl::StrCat("/proc/", pid, "/stat")),
                        nullptr);
}

std::map<std::string, double> CpuSecondsByThread(pid_t pid) {
  std::map<std::string, double> out;
  std::error_code error;
  const std::string dir = absl::StrCat("/proc/", pid, "/task");
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    std::string name;
    const double seconds =
        StatCpuSeconds(ReadFile(entry.path().string() + "/stat"), &name);
    if (seconds >= 0) out[name] += seconds;
  }
  return out;
}

int64_t StatusBytes(pid_t pid, absl::string_view field) {
  return StatusFieldBytes(ReadFile(absl::StrCat("/proc/", pid, "/status")),
                          field);
}

int64_t StatusFieldBytes(absl::string_view status, absl::string_view field) {
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (!absl::StartsWith(line, field)) continue;
    line.remove_prefix(field.size());
    int64_t kb = 0;
    std::string digits;
    for (char c : line) {
      if (c >= '0' && c <= '9') digits += c;
    }
    if (absl::SimpleAtoi(digits, &kb)) return kb * 1024;
  }
  return -1;
}

std::string StopProcess(testing::Subprocess& process, absl::Duration timeout,
                        const std::string& name) {
  process.Signal(SIGTERM);
  std::optional<int> code = process.Wait(timeout);
  if (!code.has_value()) {
    std::fprintf(stderr, "bench: %s did not stop in %s; killing\n",
                 name.c_str(), absl::FormatDuration(timeout).c_str());
    process.Signal(SIGKILL);
    process.Wait(absl::Seconds(10));
  } else if (*code != 0) {
    std::fprintf(stderr, "bench: %s exited %d:\n%s\n", name.c_str(), *code,
                 process.output().c_str());
  }
  return process.output();
}

}  // namespace promscrape::bench
