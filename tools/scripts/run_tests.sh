#!/usr/bin/env bash
# Command two: sets up a fresh machine and runs every test: the whole suite,
# the main job's -c opt build, the suite again under AddressSanitizer+UBSan
# (clang; the fuzz build links the same objects), the concurrency tests under
# ThreadSanitizer, the fuzz targets for a short bounded time, and the
# benchmarks' smoke runs. Ends with "N passed, M failed".
#
# Env: FUZZ_SECONDS (per fuzzer, default 20), SKIP_SANITIZERS=1 for a quick
# local run.
set -uo pipefail
cd "$(dirname "$0")/../.."

tools/scripts/setup.sh || exit 1

LOG_DIR=${TEST_LOG_DIR:-$(mktemp -d)}
passed=0
failed=0
failures=()

# Runs one bazel test invocation and counts its per-target results.
run_bazel_tests() {
  local name=$1
  shift
  local log="$LOG_DIR/$name.log"
  local started=$SECONDS
  echo "== $name: bazel test $*"
  bazel test --keep_going --nocache_test_results --test_summary=short "$@" 2>&1 | tee "$log" | grep -E "PASSED|FAILED|NO STATUS|TIMEOUT|ERROR:" || true
  echo "== $name took $((SECONDS - started)) s"
  local p f
  p=$(grep -cE "^//[^ ]+ .*PASSED" "$log")
  f=$(grep -cE "^//[^ ]+ .*(FAILED|TIMEOUT|NO STATUS)" "$log")
  if grep -q "^ERROR:" "$log" && [ "$f" -eq 0 ]; then
    f=1  # The build itself failed.
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$f" -gt 0 ]; then failures+=("$name"); fi
}

run_bazel_tests default //...

# The main job builds the plugin and the host with -c opt (GCC's -O3
# warnings differ from the default build's, and -Werror is on).
echo "== opt: bazel build -c opt //plugin:libpromscrape.so //tools/host:scrape_host"
opt_started=$SECONDS
if bazel build -c opt //plugin:libpromscrape.so //tools/host:scrape_host > "$LOG_DIR/opt.log" 2>&1; then
  passed=$((passed + 1))
else
  tail -20 "$LOG_DIR/opt.log"
  failed=$((failed + 1))
  failures+=("opt")
fi
echo "== opt took $((SECONDS - opt_started)) s"

if [ "${SKIP_SANITIZERS:-0}" != "1" ]; then
  # ASAN+UBSan on the unit and component suites; the end-to-end suites (real
  # etcd, Prometheus, VictoriaMetrics, long-running processes) run under TSAN
  # and the default build: compiling them again here cost CI minutes without
  # reaching code the unit suites do not.
  run_bazel_tests asan --config=asan -- //tests/... -//tests/e2e/... -//tests/difffuzz/...
  # TSAN on the suites with threads of their own.
  tsan_targets=()
  for d in tests/remote tests/service tests/e2e tests/host tests/http tests/scrape tests/discovery tests/cluster; do
    [ -d "$d" ] && tsan_targets+=("//$d/...")
  done
  run_bazel_tests tsan --config=tsan "${tsan_targets[@]}"
fi

if [ -x tools/scripts/fuzz_ci.sh ]; then
  echo "== fuzz: tools/scripts/fuzz_ci.sh (${FUZZ_SECONDS:-20}s per target)"
  fuzz_started=$SECONDS
  if tools/scripts/fuzz_ci.sh "${FUZZ_SECONDS:-20}" 2>&1 | tee "$LOG_DIR/fuzz.log" | tail -20; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("fuzz")
  fi
  echo "== fuzz took $((SECONDS - fuzz_started)) s"
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
  echo "failed runs: ${failures[*]} (logs in $LOG_DIR)"
fi
echo "$passed passed, $failed failed (in $SECONDS s)"
[ "$failed" -eq 0 ]
