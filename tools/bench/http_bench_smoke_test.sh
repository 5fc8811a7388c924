#!/bin/bash
# Smoke test: the HTTP benchmark runs to completion without failures.
set -euo pipefail
"$1" --requests=2000 --concurrency=200 --body_bytes=2000
"$1" --requests=500 --concurrency=50 --body_bytes=2000 --gzip
