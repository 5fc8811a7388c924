#!/bin/sh
# Runs a fuzz target's corpus replay: replay.sh <fuzz binary> <corpus files...>
# Built without --config=fuzz the binary links //tests/fuzz:replay_main and
# runs each input once; a crash or sanitizer report fails the test.
set -eu
bin="$1"
shift
if [ "$#" -eq 0 ]; then
  echo "no corpus files given" >&2
  exit 1
fi
exec "$bin" "$@"
