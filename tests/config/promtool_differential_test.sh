#!/bin/sh
# Differential test: promscrape_check and Debian's `promtool check config`
# (Prometheus 2.42) must accept and reject exactly the same corpus files.
# Each corpus file is also named for the verdict we expect (valid_*/invalid_*)
# so that both tools agreeing on a wrong answer is caught too.
#
# Fails (never skips) when promtool is missing: install Debian's `prometheus`.
set -u

checker="$1"
shift
# The checker's semantics flag: "--prometheus-compat=2" pins it to 2.42.
compat="$1"
shift
promtool="${PROMTOOL:-/usr/bin/promtool}"
if [ ! -x "$promtool" ]; then
  echo "FAIL: $promtool not found; install the Debian 'prometheus' package" >&2
  exit 1
fi

tmp="${TEST_TMPDIR:-/tmp}"
total=0
mismatches=0
for file in "$@"; do
  case "$file" in
    */files/*) continue ;;  # Files the configs refer to.
    *.yml) ;;
    *) continue ;;
  esac
  total=$((total + 1))
  base=$(basename "$file")
  case "$base" in
    valid_*) want=accept ;;
    invalid_*) want=reject ;;
    *) echo "FAIL: corpus file $base must start with valid_ or invalid_"; exit 1 ;;
  esac
  if "$promtool" check config "$file" >/dev/null 2>&1; then p=accept; else p=reject; fi
  if "$checker" "$compat" config "$file" >/dev/null 2>"$tmp/err"; then o=accept; else o=reject; fi
  if [ "$p" != "$o" ] || [ "$p" != "$want" ]; then
    mismatches=$((mismatches + 1))
    echo "MISMATCH $base: expected=$want promtool=$p promscrape=$o"
    sed 's/^/    promscrape: /' "$tmp/err"
    "$promtool" check config "$file" 2>&1 | sed 's/^/    promtool: /'
  fi
done

echo "$total configs, $mismatches mismatches"
if [ "$total" -lt 60 ]; then
  echo "FAIL: corpus too small ($total < 60)"
  exit 1
fi
[ "$mismatches" -eq 0 ]
