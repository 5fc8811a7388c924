#!/bin/sh
# Smoke test, not a measurement: encode_bench runs each case briefly.
set -eu
out=$("$1" --benchmark_min_time=0.01)
echo "$out"
for case in BM_EncodeScrape BM_Transcode; do
  echo "$out" | grep -q "^$case " || {
    echo "missing benchmark $case" >&2
    exit 1
  }
done
