#!/usr/bin/env bash
# Installs what promscrape needs on a fresh Debian 12 machine (as root, or
# through sudo). Skips apt entirely when everything is already installed.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap bazel-rules-java g++ pkg-config
  clang libclang-rt-14-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  grpc-proto libabsl-dev libre2-dev libgtest-dev libgmock-dev
  libbenchmark-dev libcurl4-openssl-dev libyaml-cpp-dev libsnappy-dev
  libxxhash-dev
  libc-ares-dev
  zlib1g-dev openssl curl
  prometheus prometheus-node-exporter victoria-metrics etcd-server nginx-light
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# Debian's prometheus packages try to start services; there may be no init
# system (containers), which must not fail the install.
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" \
  || $SUDO apt-get install -y -q "${missing[@]}"
