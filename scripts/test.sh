#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything, runs the whole suite.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
build_dir=${BUILD_DIR:-$root/build}
ctest --test-dir "$build_dir" --output-on-failure -j"$(nproc)" ${CTEST_ARGS:-}
