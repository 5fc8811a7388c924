#!/bin/sh
# Smoke test, not a measurement: wal_bench runs every case briefly and
# reports each one.
set -eu
out=$("$1" --benchmark_min_time=0.01)
echo "$out"
for case in "BM_WriteAheadLog_Append/bytes:40/fsync_ms:1000/recycle:0" \
    "BM_WriteAheadLog_Append/bytes:40/fsync_ms:1000/recycle:1" \
    "BM_WriteAheadLog_Append/bytes:1024/fsync_ms:0/recycle:1" \
    "BM_WriteAheadLog_Replay/bytes:40" "BM_WriteAheadLog_Replay/bytes:1024"; do
  echo "$out" | grep -q "^$case/real_time " || {
    echo "missing benchmark $case" >&2
    exit 1
  }
done
