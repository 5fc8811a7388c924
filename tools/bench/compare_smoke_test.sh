#!/bin/bash
# Smoke test, not a measurement: compare runs a tiny farm against promscrape,
# Prometheus' agent and vmagent once each and prints the documented lines:
# a RESULT per system, and per peer either a RATIO or a NO_RATIO with its
# reason (a 3 s window is too short for the peers' batching to deliver 99%).
set -euo pipefail
out="${TEST_TMPDIR:-/tmp}/compare_smoke.out"
"$1" --targets 5 --series 20 --interval 1s --warmup 7s --duration 3s >"$out"
cat "$out"
num='[0-9]+(\.[0-9]+)?'
# grep reads the file whole: no pipe, so no SIGPIPE under pipefail.
for s in promscrape prometheus-agent vmagent; do
  grep -Eq "^RESULT system=$s samples_per_s=$num cpu_us_per_sample=$num rss_bytes_per_series=$num missed_scrapes=[0-9]+ " "$out" ||
    { echo "FAIL: no RESULT line for $s"; exit 1; }
  # RSS split into its anonymous and file-backed parts, both measured.
  grep -Eq "^RESULT system=$s .* steady_rss_anon_bytes=[1-9][0-9]* steady_rss_file_bytes=[1-9][0-9]* anon_bytes_per_series=$num( |$)" "$out" ||
    { echo "FAIL: no anon/file RSS split for $s"; exit 1; }
done
for p in prometheus-agent vmagent; do
  grep -Eq "^(RATIO vs=$p cpu=$num rss=$num( rss_anon=$num)?|NO_RATIO vs=$p reason=\".+\")$" "$out" ||
    { echo "FAIL: no RATIO or NO_RATIO line for $p"; exit 1; }
done
if grep -Eq "^RESULT system=promscrape .* delivered=0 " "$out"; then
  echo "FAIL: promscrape delivered nothing"
  exit 1
fi
echo PASS
