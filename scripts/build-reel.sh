#!/usr/bin/env bash
# Builds the `reel` program optimised (Release), with the compiled connectors named on the command
# line, and prints its path. The README's connector sections start with it:
#
#   scripts/build-reel.sh mongo          # build-release/tools/reel/reel with the MongoDB connector
#   scripts/build-reel.sh kafka mongo s3 # with all three
#
# Connectors: kafka (librdkafka-dev), mongo (libmongoc-dev), s3 (libcurl4-openssl-dev libssl-dev
# zlib1g-dev), https ($https and aws_lambda; libcurl4-openssl-dev libssl-dev); their Debian
# packages and the core's (scripts/setup.sh) are installed when missing.
# The build directory is $REEL_RELEASE_BUILD_DIR (default build-release, the one scripts/run.sh
# uses), with only what `reel` needs: no tests, examples or benchmarks. A connector enabled once
# stays enabled there (CMake's cache). The test build (build/, Debug) is left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${REEL_RELEASE_BUILD_DIR:-$root/build-release}

options=()
packages=()
for connector in "$@"; do
  case $connector in
    kafka)
      options+=(-DREEL_WITH_KAFKA=ON)
      packages+=(librdkafka-dev)
      ;;
    mongo | mongodb)
      options+=(-DREEL_WITH_MONGO=ON)
      packages+=(libmongoc-dev)
      ;;
    s3)
      options+=(-DREEL_WITH_S3=ON)
      packages+=(libcurl4-openssl-dev libssl-dev zlib1g-dev)
      ;;
    https)
      options+=(-DREEL_WITH_HTTPS=ON)
      packages+=(libcurl4-openssl-dev libssl-dev)
      ;;
    *)
      echo "usage: $0 [kafka] [mongo] [s3] [https]  (unknown connector '$connector')" >&2
      exit 2
      ;;
  esac
done

"$root/scripts/setup.sh"
"$root/scripts/apt-install.sh" build-reel "${packages[@]}"

# The same configuration as scripts/run.sh's, plus the connectors.
BUILD_DIR="$build_dir" BUILD_TYPE=Release \
  REEL_CMAKE_ARGS="-DREEL_BUILD_TESTS=OFF -DREEL_BUILD_EXAMPLES=OFF -DREEL_BUILD_BENCHMARKS=OFF ${options[*]} ${REEL_CMAKE_ARGS:-}" \
  "$root/scripts/build.sh" --target reel_cli >&2
if ! grep -qx 'CMAKE_BUILD_TYPE:STRING=Release' "$build_dir/CMakeCache.txt"; then
  echo "build-reel: $build_dir is not a Release build; remove it and run again" >&2
  exit 1
fi
echo "$build_dir/tools/reel/reel"
