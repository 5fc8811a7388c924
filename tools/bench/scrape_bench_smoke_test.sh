#!/bin/bash
# Smoke test, not a measurement: scrape_bench runs a tiny farm against the
# engine and Prometheus' agent once, prints both RESULT lines and the RATIO
# line in the documented format, and the engine stored samples.
set -euo pipefail
out="$("$1" --targets 5 --series 10 --interval 1s --duration 3s)"
echo "$out"
num='[0-9]+(\.[0-9]+)?'
head='^RESULT targets=5 samples_per_s='"$num"' cpu_us_per_sample='"$num"' rss_bytes_per_series='"$num"' missed_scrapes=[0-9]+'
echo "$out" | grep -Eq "$head engine=promscrape " || { echo "FAIL: no promscrape RESULT line"; exit 1; }
echo "$out" | grep -Eq "$head engine=prometheus " || { echo "FAIL: no prometheus RESULT line"; exit 1; }
echo "$out" | grep -Eq "^RATIO cpu=$num rss=$num$" || { echo "FAIL: no RATIO line"; exit 1; }
samples="$(echo "$out" | grep 'engine=promscrape' | sed -E 's/.* samples=([0-9]+).*/\1/')"
if [ "$samples" -eq 0 ]; then
  echo "FAIL: the engine stored no samples"
  exit 1
fi
echo PASS
