#ifndef TOOLS_BENCH_BENCH_PROCESS_H_
#define TOOLS_BENCH_BENCH_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/testutil/subprocess.h"

namespace promscrape::bench {

// Process-level helpers shared by the benchmarks that run several programs
// side by side (scrape_bench, remote_bench): files, /proc accounting, and
// stopping a child. Stateless functions, safe from any thread.

// `path` made absolute against the current directory (bazel run starts in
// the runfiles tree; children may start elsewhere).
std::string Absolute(const std::string& path);

// Writes `text` to `path`; kInternal naming the path on failure.
absl::Status WriteFile(const std::string& path, const std::string& text);

// The content of `path`, or "" when it cannot be read.
std::string ReadFile(const std::string& path);

// A fresh directory `<$TEST_TMPDIR or /tmp>/<name>.XXXXXX`.
absl::StatusOr<std::string> MakeWorkDir(absl::string_view name);

// CPU seconds (user + system, every thread) of `pid` so far, from
// /proc/<pid>/stat, or -1 when it cannot be read.
double CpuSeconds(pid_t pid);

// CPU seconds (user + system) of `pid`'s live threads so far, summed by
// thread name (/proc/<pid>/task/*/stat; the plugin names its threads
// "ps-..."). Threads that already exited are not counted.
std::map<std::string, double> CpuSecondsByThread(pid_t pid);

// A "Vm...:" or "Rss...:" field (e.g. "VmHWM:") of /proc/<pid>/status in
// bytes, or -1.
int64_t StatusBytes(pid_t pid, absl::string_view field);
// The same field from the text of a status file already read, so several
// fields can come from one reading (one instant).
int64_t StatusFieldBytes(absl::string_view status, absl::string_view field);

// Stops `process` with SIGTERM and returns its output; kills it after
// `timeout`. A non-zero exit is reported on stderr under `name`.
std::string StopProcess(testing::Subprocess& process, absl::Duration timeout,
                        const std::string& name);

}  // namespace promscrape::bench

#endif  // TOOLS_BENCH_BENCH_PROCESS_H_
