#!/usr/bin/env bash
# CI for `reel serve` against real clients: a real Prometheus scraping /metrics
# (tests/serve/prometheus.sh) and the dashboard in headless Chromium (tests/serve/dashboard.sh,
# whose screenshot stays in BUILD_DIR/serve-artifacts/dashboard.png). Installs Debian's
# `prometheus` and `chromium` when missing (scripts/ci-prefetch.sh installs them ahead in CI),
# builds the reel program in BUILD_DIR (default: build) and runs both; about 30 s once built.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build_dir=${BUILD_DIR:-$root/build}

"$root/scripts/apt-install.sh" ci-serve prometheus chromium python3

echo "== build (the reel program)"
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
    -DREEL_BUILD_BENCHMARKS=OFF -DREEL_BUILD_EXAMPLES=OFF ${REEL_CMAKE_ARGS:-} >/dev/null
fi
cmake --build "$build_dir" --target reel_cli -j"$(nproc)"
reel=$build_dir/tools/reel/reel

echo "== a real Prometheus scrapes reel serve (tests/serve/prometheus.sh)"
start=$SECONDS
tests/serve/prometheus.sh "$reel"
echo "($((SECONDS - start)) s)"

echo "== the dashboard in headless Chromium (tests/serve/dashboard.sh)"
start=$SECONDS
tests/serve/dashboard.sh "$reel" "$build_dir/serve-artifacts"
echo "($((SECONDS - start)) s)"
