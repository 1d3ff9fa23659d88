#!/usr/bin/env bash
# CI for reel::s3 and reel::https (both on libcurl): installs what they build on (Debian), starts
# the S3-compatible server of scripts/services/s3.sh, builds both and their tests in build-s3 and
# runs them with REEL_REQUIRE_SERVICES=1 (a test that cannot reach the server fails instead of
# skipping). The $https tests start their own HTTP server (cpp-httplib, in the test process), and
# so do the Lambda tests of $externalFunction (a server answering like the Invoke API that checks
# SigV4 signatures).
# The S3 server is stopped on exit. BUILD_DIR overrides build-s3.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build_dir=${BUILD_DIR:-$root/build-s3}
[ -x /usr/local/go/bin/go ] && PATH=$PATH:/usr/local/go/bin

packages=(cmake ninja-build g++ pkg-config libfmt-dev nlohmann-json3-dev catch2
          libcurl4-openssl-dev libssl-dev zlib1g-dev libcpp-httplib-dev)
command -v go >/dev/null || packages+=(golang-go)
"$root/scripts/apt-install.sh" ci-s3 "${packages[@]}"

echo "== S3 service"
scripts/services/s3.sh up
trap 'scripts/services/s3.sh down' EXIT
eval "$(scripts/services/s3.sh env)"

echo "== build (reel::s3, reel::https and their tests)"
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DREEL_WITH_S3=ON -DREEL_WITH_HTTPS=ON -DREEL_BUILD_BENCHMARKS=OFF -DREEL_BUILD_EXAMPLES=OFF \
  >/dev/null
cmake --build "$build_dir" --target reel_s3 test_s3 reel_https test_https -j"$(nproc)"

echo "== tests (ctest -R '^(s3|https):', REEL_REQUIRE_SERVICES=1)"
REEL_REQUIRE_SERVICES=1 ctest --test-dir "$build_dir" -R '^(s3|https):' --output-on-failure

echo "== the README's S3 section, run as written (it builds an optimised reel in build-release)"
scripts/check-readme-connectors.sh s3
