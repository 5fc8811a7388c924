// Simulates target assignment across a cluster of plugin instances
// (plugin/cluster/assignment): balance (max / mean share), the fraction of
// targets that move when one member joins or leaves (ideal 1/N), and the CPU
// time of one full assignment.
//
//   bazel run -c opt //tools/bench:cluster_sim -- --members=100 --targets=1000000
//
// Exits 1 when balance > 1.05 or a moved fraction > 1.1/N (the bar of
// issue 14).
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"
#include "plugin/cluster/assignment.h"

namespace promscrape::cluster {
namespace {

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::vector<std::string> Members(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(absl::StrCat("scraper-", i, ".example:9901"));
  }
  return out;
}

double Balance(const Assignment& a) {
  std::vector<int64_t> loads = a.Loads();
  int64_t total = 0;
  int64_t max = 0;
  for (int64_t l : loads) {
    total += l;
    max = std::max(max, l);
  }
  return static_cast<double>(max) * static_cast<double>(loads.size()) /
         static_cast<double>(total);
}

// Fraction of (target, replica) slots whose member set changed.
double Moved(const Assignment& a, const Assignment& b) {
  int64_t moved = 0;
  int64_t slots = 0;
  for (size_t i = 0; i < a.target_count(); ++i) {
    std::vector<absl::string_view> before;
    for (uint32_t o : a.owners(i)) before.push_back(a.members()[o]);
    for (uint32_t o : b.owners(i)) {
      ++slots;
      if (std::find(before.begin(), before.end(), b.members()[o]) ==
          before.end()) {
        ++moved;
      }
    }
  }
  return static_cast<double>(moved) / static_cast<double>(slots);
}

int Run(int members, int targets, int replicas) {
  std::vector<uint64_t> hashes;
  hashes.reserve(static_cast<size_t>(targets));
  for (int i = 0; i < targets; ++i) {
    hashes.push_back(TargetKeyHash(
        absl::StrCat("job-", i % 50), "http",
        absl::StrCat("10.", (i >> 16) & 255, ".", (i >> 8) & 255, ".", i & 255,
                     ":", 9100 + i % 7),
        "/metrics"));
  }
  AssignmentOptions options{.replication_factor = replicas};
  std::vector<std::string> base = Members(members);

  double start = CpuSeconds();
  Assignment a = Assignment::Compute(base, hashes, options);
  double cpu = CpuSeconds() - start;

  std::vector<std::string> joined = Members(members + 1);
  Assignment join = Assignment::Compute(joined, hashes, options);
  std::vector<std::string> left = base;
  left.erase(left.begin() + members / 2);
  Assignment leave = Assignment::Compute(left, hashes, options);

  double balance = Balance(a);
  double moved_join = Moved(a, join);
  double moved_leave = Moved(a, leave);
  double ideal_join = 1.0 / (members + 1);
  double ideal_leave = 1.0 / members;
  std::printf("members=%d targets=%d replication_factor=%d\n", members,
              targets, replicas);
  std::printf("balance (max/mean share): %.4f  (bar <= 1.05)\n", balance);
  std::printf("moved on join:  %.5f = %.3f/N  (ideal 1/N = %.5f, bar <= 1.1/N)\n",
              moved_join, moved_join / ideal_join, ideal_join);
  std::printf("moved on leave: %.5f = %.3f/N  (ideal 1/N = %.5f, bar <= 1.1/N)\n",
              moved_leave, moved_leave / ideal_leave, ideal_leave);
  std::printf("cpu time of one full assignment: %.3f s\n", cpu);
  bool ok = balance <= 1.05 && moved_join <= 1.1 * ideal_join &&
            moved_leave <= 1.1 * ideal_leave;
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace promscrape::cluster

int main(int argc, char** argv) {
  int members = 100;
  int targets = 1000000;
  int replicas = 1;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    int* out = nullptr;
    if (absl::ConsumePrefix(&arg, "--members=")) out = &members;
    if (absl::ConsumePrefix(&arg, "--targets=")) out = &targets;
    if (absl::ConsumePrefix(&arg, "--replication_factor=")) out = &replicas;
    if (out == nullptr || !absl::SimpleAtoi(arg, out) || *out <= 0) {
      std::fprintf(stderr,
                   "usage: cluster_sim [--members=N] [--targets=N] "
                   "[--replication_factor=N]\n");
      return 2;
    }
  }
  return promscrape::cluster::Run(members, targets, replicas);
}
