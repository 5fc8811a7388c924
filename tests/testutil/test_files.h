#ifndef TESTS_TESTUTIL_TEST_FILES_H_
#define TESTS_TESTUTIL_TEST_FILES_H_

#include <cstdint>
#include <string>

// Files and paths of tests that run real processes (the reference host, the
// plugin, Prometheus): the test's temporary directory, config files written
// into it, and where Bazel put the plugin. Stateless; safe from any thread.
namespace promscrape::testing {

// $TEST_TMPDIR (Bazel's per-test directory), or /tmp outside Bazel.
std::string TmpDir();

// Writes `text` to TmpDir()/`name` and returns the path.
std::string WriteTmpFile(const std::string& name, const std::string& text);

// The whole file, or "" when it cannot be read.
std::string ReadWholeFile(const std::string& path);

// Absolute path of bazel-bin's plugin/libpromscrape.so in the test's
// runfiles (the working directory of a Bazel test).
std::string PluginPath();

// Wall-clock time in Unix milliseconds, as sample timestamps are.
int64_t NowMs();

}  // namespace promscrape::testing

#endif  // TESTS_TESTUTIL_TEST_FILES_H_
