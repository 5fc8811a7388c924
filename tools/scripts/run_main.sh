#!/usr/bin/env bash
# Command one: sets up a fresh machine, builds, and runs the main job: the
# reference host with the promscrape plugin, scraping a local node_exporter
# (started here on 127.0.0.1:9100) and its own metrics into run/samples.jsonl.
# Stop with Ctrl-C.
#
#   --victoria-metrics   also start Debian's VictoriaMetrics on 127.0.0.1:8428
#                        (data in run/victoria-metrics-data) and forward every
#                        sample into it (examples/host-victoria-metrics.yaml)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

VICTORIA=0
for arg in "$@"; do
  case "$arg" in
    --victoria-metrics) VICTORIA=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "run: unknown argument \"$arg\" (known: --victoria-metrics)" >&2; exit 2 ;;
  esac
done

tools/scripts/setup.sh
bazel build -c opt //plugin:libpromscrape.so //tools/host:scrape_host
mkdir -p run

NODE_PID=""
VM_PID=""
cleanup() {
  if [ -n "$NODE_PID" ]; then kill "$NODE_PID" 2>/dev/null || true; fi
  if [ -n "$VM_PID" ]; then
    kill "$VM_PID" 2>/dev/null || true
    wait "$VM_PID" 2>/dev/null || true
  fi
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

HOST_CONFIG=examples/host.yaml
VM=http://127.0.0.1:8428
if [ "$VICTORIA" = 1 ]; then
  HOST_CONFIG=examples/host-victoria-metrics.yaml
  if curl -sf -o /dev/null "$VM/health"; then
    echo "run: something already answers on $VM/health; forwarding to it"
  else
    victoria-metrics -httpListenAddr=127.0.0.1:8428 \
      -storageDataPath=run/victoria-metrics-data -search.latencyOffset=0s \
      >run/victoria-metrics.log 2>&1 &
    VM_PID=$!
    for _ in $(seq 1 100); do
      curl -sf -o /dev/null "$VM/health" && break
      if ! kill -0 "$VM_PID" 2>/dev/null; then
        echo "run: victoria-metrics failed to start; see run/victoria-metrics.log" >&2
        exit 1
      fi
      sleep 0.1
    done
    echo "run: victoria-metrics started on $VM (data: run/victoria-metrics-data, log: run/victoria-metrics.log)"
  fi
  cat <<MSG
run: query what was scraped in VictoriaMetrics (Prometheus' query API):
run:   $VM/api/v1/query?query=up
run:   curl -s '$VM/api/v1/query?query=rate(node_cpu_seconds_total%5B1m%5D)'
run:   curl -s '$VM/api/v1/export?match%5B%5D=%7Bjob%3D%22node%22%7D'   (raw samples)
run:   or add $VM as a Prometheus data source in Grafana
MSG
fi

cat <<MSG
run: starting scrape_host ($HOST_CONFIG)
run:   samples:   $ROOT/run/samples.jsonl   (tail -f it)
run:   control:   grpcurl -plaintext 127.0.0.1:9901 list
run:   stop:      Ctrl-C (the plugin flushes, the host exits 0)
MSG
bazel-bin/tools/host/scrape_host --config "$HOST_CONFIG" &
HOST_PID=$!
trap 'kill -TERM $HOST_PID 2>/dev/null || true' INT TERM
status=0
wait "$HOST_PID" || status=$?
# A trapped signal interrupts the first wait; wait for the real exit.
if kill -0 "$HOST_PID" 2>/dev/null; then wait "$HOST_PID" || status=$?; fi
echo "run: scrape_host exited with status $status; samples are in $ROOT/run/samples.jsonl"
exit "$status"
