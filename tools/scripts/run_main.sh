#!/usr/bin/env bash
# Command one: sets up a fresh machine, builds, and runs the main job: the
# reference host with the promscrape plugin, scraping a local node_exporter
# (started here on 127.0.0.1:9100) and its own metrics into run/samples.jsonl.
# Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

tools/scripts/setup.sh
bazel build -c opt //plugin:libpromscrape.so //tools/host:scrape_host
mkdir -p run

NODE_PID=""
cleanup() {
  if [ -n "$NODE_PID" ]; then kill "$NODE_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT
if curl -sf -o /dev/null http://127.0.0.1:9100/metrics; then
  echo "run: a node_exporter already answers on 127.0.0.1:9100; using it"
else
  prometheus-node-exporter --web.listen-address=127.0.0.1:9100 \
    >run/node_exporter.log 2>&1 &
  NODE_PID=$!
  echo "run: node_exporter started on 127.0.0.1:9100 (log: run/node_exporter.log)"
fi

cat <<MSG
run: starting scrape_host (examples/host.yaml)
run:   samples:   $ROOT/run/samples.jsonl   (tail -f it)
run:   control:   grpcurl -plaintext 127.0.0.1:9901 list
run:   stop:      Ctrl-C (the plugin flushes, the host exits 0)
MSG
bazel-bin/tools/host/scrape_host --config examples/host.yaml &
HOST_PID=$!
trap 'kill -TERM $HOST_PID 2>/dev/null || true' INT TERM
status=0
wait "$HOST_PID" || status=$?
# A trapped signal interrupts the first wait; wait for the real exit.
if kill -0 "$HOST_PID" 2>/dev/null; then wait "$HOST_PID" || status=$?; fi
echo "run: scrape_host exited with status $status; samples are in $ROOT/run/samples.jsonl"
exit "$status"
