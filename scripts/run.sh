#!/usr/bin/env bash
# The README's first command: installs what is missing, builds the `reel` program optimised, and
# runs Reel's main job, examples/pipelines/movies.json, on the embedded movie-ticket sample:
# window totals per movie on stdout, DLQ records inline, a summary on stderr.
# With arguments, runs `reel` with them instead: scripts/run.sh run examples/pipelines/solar.json
#
# The program is a Release build of its own, in $REEL_RELEASE_BUILD_DIR (default build-release),
# with only what `reel` needs; the test build (build/, Debug, fast to compile) is left alone.
# REEL_CMAKE_ARGS adds CMake arguments (e.g. -DREEL_WITH_KAFKA=ON).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${REEL_RELEASE_BUILD_DIR:-$root/build-release}
"$root/scripts/setup.sh"
BUILD_DIR="$build_dir" BUILD_TYPE=Release \
  REEL_CMAKE_ARGS="-DREEL_BUILD_TESTS=OFF -DREEL_BUILD_EXAMPLES=OFF -DREEL_BUILD_BENCHMARKS=OFF ${REEL_CMAKE_ARGS:-}" \
  "$root/scripts/build.sh" --target reel_cli >/dev/null
if ! grep -qx 'CMAKE_BUILD_TYPE:STRING=Release' "$build_dir/CMakeCache.txt"; then
  echo "run.sh: $build_dir is not a Release build; remove it and run again" >&2
  exit 1
fi
reel="$build_dir/tools/reel/reel"
if [ "$#" -eq 0 ]; then
  exec "$reel" process "$root/examples/pipelines/movies.json"
fi
exec "$reel" "$@"
