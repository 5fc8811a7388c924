#!/bin/bash
# Fails when a source file includes a header from a room it may not depend
# on (docs/ARCHITECTURE.md, "Rooms and what they may use"). Bazel visibility
# fences most of these at build time; this test also covers the public protos
# (which any target may see) and the host, which may include only the C ABI
# header and the protos.
set -u
cd "${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-promscrape}" 2>/dev/null || true

# room: the rooms (and protos) its files may include besides itself.
declare -A ALLOWED=(
  [common]=""
  [model]="common"
  [textparse]="common model"
  [relabel]="common model"
  [config]="common model relabel"
  [metrics]="common model"
  [http]="common model config"
  [discovery]="common model config http"
  [scrape]="common model config relabel textparse http discovery metrics"
  [remote]="common model metrics proto/remote"
  [cluster]="common model config discovery metrics proto/etcd"
  [checker]="common model config discovery scrape"
  [service]="common model config discovery scrape metrics remote cluster proto/scrape proto/remote"
  [api]="common model config discovery scrape metrics remote service checker cluster proto/scrape proto/remote"
)

failures=0
checked=0
for room in "${!ALLOWED[@]}"; do
  dir="plugin/${room}"
  if [[ ! -d "${dir}" ]]; then
    echo "FAIL: room ${dir} has no sources in the test's runfiles"
    failures=$((failures + 1))
    continue
  fi
  allowed=" ${room} ${ALLOWED[$room]} "
  while IFS= read -r file; do
    checked=$((checked + 1))
    while IFS= read -r inc; do
      case "${inc}" in
        plugin/*) dep="$(echo "${inc}" | cut -d/ -f2)" ;;
        proto/*) dep="$(echo "${inc}" | cut -d/ -f1-2)" ;;
        *) continue ;;
      esac
      if [[ "${allowed}" != *" ${dep} "* ]]; then
        echo "FAIL: ${file} includes ${inc}: ${room} may not depend on ${dep}"
        failures=$((failures + 1))
      fi
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "${file}")
  done < <(find -L "${dir}" -maxdepth 2 \( -name '*.h' -o -name '*.cc' \))
done

# The host knows the C ABI header and the protos, nothing else of ours.
while IFS= read -r file; do
  checked=$((checked + 1))
  while IFS= read -r inc; do
    case "${inc}" in
      plugin/api/promscrape.h | proto/* | tools/host/*) ;;
      plugin/*)
        echo "FAIL: ${file} includes ${inc}: the host may include only plugin/api/promscrape.h and the protos"
        failures=$((failures + 1))
        ;;
    esac
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "${file}")
done < <(find -L tools/host -maxdepth 1 \( -name '*.h' -o -name '*.cc' \))

if (( checked < 100 )); then
  echo "FAIL: only ${checked} files checked; the sources are missing from runfiles"
  exit 1
fi
echo "${checked} files checked, ${failures} forbidden includes"
(( failures == 0 ))
