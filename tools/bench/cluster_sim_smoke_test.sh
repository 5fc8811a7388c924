#!/bin/sh
# Smoke test, not a measurement: a small cluster still meets the bar.
set -eu
"$1" --members=20 --targets=200000
"$1" --members=10 --targets=100000 --replication_factor=2
