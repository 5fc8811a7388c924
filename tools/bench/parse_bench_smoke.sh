#!/bin/sh
# Smoke test, not a measurement: the benchmark runs briefly on its built-in
# payloads and must print RESULT lines for every parser and mode.
set -eu
out=$("$1" --min_time=0.01)
echo "$out"
for p in prom openmetrics protobuf; do
  for m in series labels; do
    echo "$out" | grep -q "RESULT parser=$p mode=$m " || {
      echo "missing RESULT for parser=$p mode=$m" >&2
      exit 1
    }
  done
done
if echo "$out" | grep -q '^ERROR'; then exit 1; fi
