#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs Reel's main job on the
# embedded movie-ticket sample.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh" example_movies >/dev/null
exec "${BUILD_DIR:-$root/build}/examples/example_movies" "$@"
