#!/usr/bin/env bash
# Fuzzes one harness of tests/fuzz/ with libFuzzer (clang, AddressSanitizer and UBSan) for a
# given time:   scripts/fuzz.sh regex 3600
# Builds in build-fuzz/ (FUZZ_BUILD_DIR), installs clang and its libFuzzer runtime on Debian when
# they are missing, and keeps what the run finds in build-fuzz/fuzz-corpus/<harness>/; copy an
# input worth keeping into tests/fuzz/corpus/<harness>/ so that ctest replays it on every run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=${1:?usage: scripts/fuzz.sh HARNESS [SECONDS]   (harnesses: tests/fuzz/*.cpp)}
seconds=${2:-60}
build_dir=${FUZZ_BUILD_DIR:-$root/build-fuzz}
"$root/scripts/setup.sh"
packages=(clang libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "fuzz: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
CXX=clang++ cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DREEL_FUZZ=ON -DREEL_SANITIZE=address,undefined -DREEL_BUILD_EXAMPLES=OFF \
  -DREEL_BUILD_BENCHMARKS=OFF -DREEL_BUILD_CLI=OFF -DREEL_WITH_BSON=OFF ${REEL_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target "fuzz_$name"
work=$build_dir/fuzz-corpus/$name
mkdir -p "$work"
# Inputs up to an options byte + 64 KB pattern + NUL + 64 KB subject; a 10 s input is a hang.
"$build_dir/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -max_len=$((2 * 65536 + 2)) \
  -timeout=10 -rss_limit_mb=2048 "$work" "$root/tests/fuzz/corpus/$name"
