#!/bin/sh
# promscrape_check's command line contract: SUCCESS and exit 0 for a valid
# file, FAILED with the error and exit 1 for an invalid one, 2 on bad usage.
set -u
checker="$1"
dir="$2"
tmp="${TEST_TMPDIR:-/tmp}"
fail() { echo "FAIL: $*"; exit 1; }

"$checker" config "$dir/valid_minimal_job.yml" >"$tmp/out" 2>&1 || fail "valid file rejected"
grep -q "SUCCESS" "$tmp/out" || fail "no SUCCESS line"

"$checker" config "$dir/invalid_job_timeout_gt_interval.yml" >"$tmp/out" 2>&1
[ $? -eq 1 ] || fail "invalid file: want exit 1"
grep -q 'FAILED: scrape_configs\[0\] job "node": scrape_timeout 20s greater than scrape_interval 10s' "$tmp/out" ||
  { cat "$tmp/out"; fail "error text"; }

"$checker" config "$dir/valid_minimal_job.yml" "$dir/invalid_duplicate_job.yml" >"$tmp/out" 2>&1
[ $? -eq 1 ] || fail "mixed files: want exit 1"
[ "$(grep -c 'SUCCESS' "$tmp/out")" -eq 1 ] || fail "mixed files: one SUCCESS"
[ "$(grep -c 'FAILED' "$tmp/out")" -eq 1 ] || fail "mixed files: one FAILED"

# Prometheus 3.x' native histogram keys (global and per job); 2.x' checker
# refuses them as unknown fields.
cat >"$tmp/nhist.yml" <<'EOF'
global:
  scrape_native_histograms: true
  always_scrape_classic_histograms: true
  convert_classic_histograms_to_nhcb: false
scrape_configs:
  - job_name: a
    scrape_native_histograms: false
    convert_classic_histograms_to_nhcb: true
    static_configs: [{targets: ["h:1"]}]
EOF
"$checker" config "$tmp/nhist.yml" >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "native histogram keys rejected"; }
grep -q "SUCCESS" "$tmp/out" || fail "native histogram keys: no SUCCESS line"
"$checker" --prometheus-compat=2 config "$tmp/nhist.yml" >"$tmp/out" 2>&1
[ $? -eq 1 ] || { cat "$tmp/out"; fail "native histogram keys under 2: want exit 1"; }
grep -q "scrape_native_histograms not found" "$tmp/out" || { cat "$tmp/out"; fail "native histogram keys under 2: error text"; }

"$checker" >/dev/null 2>&1
[ $? -eq 2 ] || fail "usage: want exit 2"
"$checker" config "$dir/does-not-exist.yml" >"$tmp/out" 2>&1
[ $? -eq 1 ] || fail "missing file: want exit 1"
echo PASS
