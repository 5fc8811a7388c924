#!/bin/bash
# Smoke test, not a measurement: remote_bench runs every part once with tiny
# numbers (stream cases, WAL cost, the plugin end to end next to Prometheus'
# agent) and prints each documented line; the stream delivered samples.
set -euo pipefail
out="${TEST_TMPDIR:-/tmp}/remote_bench_smoke.out"
"$1" --warmup 0.5s --stream_duration 1s --wal_duration 0.3s \
    --targets 3 --series 10 --interval 1s --e2e_warmup 7s \
    --e2e_duration 3s >"$out"
cat "$out"
num='[0-9]+(\.[0-9]+)?'
# grep reads the file whole: no pipe, so no SIGPIPE under pipefail.
for c in wal_off wal_fsync_1s wal_fsync_every_append protocol_v1 protocol_v2; do
  grep -Eq "^STREAM case=$c samples_per_s=$num cpu_us_per_sample=$num " "$out" ||
    { echo "FAIL: no STREAM line for $c"; exit 1; }
done
for c in fsync_1s fsync_every_append; do
  grep -Eq "^WAL case=$c cpu_us_per_sample=$num wall_us_per_sample=$num " "$out" ||
    { echo "FAIL: no WAL line for $c"; exit 1; }
done
for e in promscrape prometheus_agent; do
  grep -Eq "^E2E engine=$e samples_per_s=$num cpu_us_per_sample=$num " "$out" ||
    { echo "FAIL: no E2E line for $e"; exit 1; }
done
grep -q "^E2E_THREADS engine=promscrape " "$out" ||
  { echo "FAIL: no E2E_THREADS line"; exit 1; }
grep -Eq "^RATIO cpu=$num$" "$out" || { echo "FAIL: no RATIO line"; exit 1; }
grep -Eq "^STREAM case=protocol_v1 .* protocol=v1 bytes_per_sample=$num$" "$out" ||
  { echo "FAIL: protocol_v1 did not stream v1"; exit 1; }
grep -Eq "^STREAM case=protocol_v2 .* protocol=v2 bytes_per_sample=$num$" "$out" ||
  { echo "FAIL: protocol_v2 did not stream v2"; exit 1; }
grep -Eq "^PROTOCOL_RATIO cpu_v2_over_v1=$num bytes_v2_over_v1=$num " "$out" ||
  { echo "FAIL: no PROTOCOL_RATIO line"; exit 1; }
if grep -Eq "^STREAM case=wal_off samples_per_s=0 " "$out"; then
  echo "FAIL: the stream delivered nothing"
  exit 1
fi
if grep -Eq "^E2E engine=promscrape .* delivered=0 " "$out"; then
  echo "FAIL: the plugin delivered nothing end to end"
  exit 1
fi
echo PASS
