#!/usr/bin/env bash
# CI for the MongoDB connector (reel::mongo): installs libmongoc (and Go if missing), starts a
# MongoDB wire-protocol server (FerretDB, scripts/services/mongo.sh), builds with
# -DREEL_WITH_MONGO=ON in build-mongo and runs the connector's tests (`ctest -R '^mongo:'`) with
# REEL_REQUIRE_SERVICES=1, so a test that cannot reach the server fails instead of skipping
# (only the tests named 'mongo: ...': a bare 'mongo' also matches the fuzz corpus replays, which
# this build does not build).
# Then runs the README's MongoDB commands (scripts/check-readme-connectors.sh mongo).
# The server is stopped on exit. About 2-3 minutes on a warm machine (the FerretDB build is
# cached in ~/.cache/reel/bin); the first run builds FerretDB (2-5 minutes more).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build_dir=${BUILD_DIR:-$root/build-mongo}

"$root/scripts/setup.sh"
packages=(libmongoc-dev)
command -v go >/dev/null 2>&1 || packages+=(golang-go)
"$root/scripts/apt-install.sh" ci-mongo "${packages[@]}"

trap '"$root/scripts/services/mongo.sh" down' EXIT
"$root/scripts/services/mongo.sh" up
eval "$("$root/scripts/services/mongo.sh" env)"
export REEL_MONGO_URI REEL_REQUIRE_SERVICES=1

cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DREEL_WITH_MONGO=ON -DREEL_BUILD_BENCHMARKS=OFF -DREEL_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target reel_mongo test_mongo
ctest --test-dir "$build_dir" -R '^mongo:' --output-on-failure

# The README's MongoDB section, run as written (it builds an optimised reel in build-release).
"$root/scripts/check-readme-connectors.sh" mongo
