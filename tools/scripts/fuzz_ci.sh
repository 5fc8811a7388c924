#!/bin/sh
# Builds every fuzz target with --config=fuzz and runs each for N seconds
# (default 20) on a scratch copy of its seed corpus. Exits non-zero on the
# first crash, leak or sanitizer report; the crashing input is kept in the
# scratch folder, whose path is printed.
#
#   tools/scripts/fuzz_ci.sh [SECONDS]
set -eu
seconds="${1:-20}"
cd "$(dirname "$0")/../.."
targets="prom openmetrics protobuf float append wal_segment cross_format config relabel control_request transcode"
bazel build --config=fuzz $(for t in $targets; do printf '//tests/fuzz:%s_fuzz ' "$t"; done)
bin="$(bazel info --config=fuzz bazel-bin)/tests/fuzz"
work="$(mktemp -d "${TMPDIR:-/tmp}/promscrape-fuzz.XXXXXX")"
echo "fuzzing for ${seconds}s per target in $work"
for t in $targets; do
  mkdir -p "$work/$t"
  cp tests/fuzz/corpus/"$t"/* "$work/$t/"
  (cd "$work" && "$bin/${t}_fuzz" "$work/$t" -max_len=4096 \
      -max_total_time="$seconds" -print_final_stats=1 > "$work/$t.log" 2>&1) || {
    echo "FAIL: ${t}_fuzz (log: $work/$t.log)" >&2
    tail -n 40 "$work/$t.log" >&2
    exit 1
  }
  echo "ok: ${t}_fuzz $(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$t.log")"
done
