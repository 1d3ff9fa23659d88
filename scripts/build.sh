#!/usr/bin/env bash
# Configures and builds Reel in $BUILD_DIR (default: build). Extra arguments go to cmake --build.
# REEL_SANITIZE=address,undefined builds tests and examples with sanitizers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
# Debug with line tables only: the suite builds fastest that way (benchmarks add -O3 themselves).
build_type=${BUILD_TYPE:-Debug}
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" -DCMAKE_CXX_FLAGS_DEBUG="-g1" \
  -DREEL_SANITIZE="${REEL_SANITIZE:-}" ${REEL_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j"$(nproc)" "$@"
