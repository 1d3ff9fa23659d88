#!/usr/bin/env bash
# The README's first command: installs what is missing, builds the `reel` program, and runs
# Reel's main job, examples/pipelines/movies.json, on the embedded movie-ticket sample: window
# totals per movie on stdout, DLQ records inline, a summary on stderr.
# With arguments, runs `reel` with them instead: scripts/run.sh run examples/pipelines/solar.json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" --target reel_cli >/dev/null
reel="${BUILD_DIR:-$root/build}/tools/reel/reel"
if [ "$#" -eq 0 ]; then
  exec "$reel" process "$root/examples/pipelines/movies.json"
fi
exec "$reel" "$@"
