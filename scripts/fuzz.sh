#!/usr/bin/env bash
# Fuzzes the harnesses of tests/fuzz/ with libFuzzer (clang, AddressSanitizer and UBSan; issue #16).
#
#   scripts/fuzz.sh [SECONDS] [HARNESS...]     e.g. scripts/fuzz.sh 300 pipeline restore
#
# SECONDS per harness (default 60); HARNESS names a tests/fuzz/<name>.cpp (default: all of them,
# one after the other). Builds the fuzz programs in build-fuzz/ (FUZZ_BUILD_DIR) with
# -DREEL_FUZZ=ON, installing clang and its libFuzzer runtime on Debian when they are missing. Each
# harness starts from its corpus tests/fuzz/corpus/<name>/ and writes what it finds to a scratch
# directory, never to the repository: FUZZ_WORK_DIR (default build-fuzz/fuzz-work)/<name>/ holds
# corpus/ (new inputs), findings/ (crash-*, timeout-*, oom-*: the inputs that failed) and log.
# libFuzzer runs in fork mode with one worker and keeps going after a finding, so a long run is
# unattended; at the end a table gives, per harness, the seconds run, executions, coverage
# (libFuzzer's cov:), new corpus inputs and findings, and the findings are listed. Exit status 1
# when anything was found.
#
# Replay a finding:  build-fuzz/tests/fuzz/fuzz_<name> build-fuzz/fuzz-work/<name>/findings/crash-…
# After fixing it, add the input to tests/fuzz/corpus/<name>/ (ctest replays it on every run).
#
# One hour per harness, unattended (about six hours in all, at the lowest CPU priority):
#   nohup scripts/fuzz.sh 3600 > fuzz-$(date +%F).log 2>&1 &
# FUZZ_NICE (default 19) is the niceness; FUZZ_TIMEOUT (default 30) the seconds after which an input
# counts as a hang: libFuzzer measures wall time, so on a loaded machine 10 s gave false timeouts;
# FUZZ_ARGS adds libFuzzer options (e.g. -rss_limit_mb=4096).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
[[ $seconds =~ ^[0-9]+$ ]] || {
  echo "usage: scripts/fuzz.sh [SECONDS] [HARNESS...]" >&2
  exit 2
}
harnesses=("$@")
if ((${#harnesses[@]} == 0)); then
  for f in "$root"/tests/fuzz/*.cpp; do
    name=$(basename "$f" .cpp)
    [ "$name" = replay_main ] || harnesses+=("$name")
  done
fi
for name in "${harnesses[@]}"; do
  [ -f "$root/tests/fuzz/$name.cpp" ] || {
    echo "fuzz: no harness tests/fuzz/$name.cpp" >&2
    exit 2
  }
done
build_dir=${FUZZ_BUILD_DIR:-$root/build-fuzz}
work_dir=${FUZZ_WORK_DIR:-$build_dir/fuzz-work}

"$root/scripts/setup.sh"
packages=(clang libclang-rt-14-dev)
"$root/scripts/apt-install.sh" fuzz "${packages[@]}"

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# All of UBSan (REEL_SANITIZE_EXCLUDE empty): a fuzz run is long anyway.
CXX=clang++ cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DREEL_FUZZ=ON -DREEL_SANITIZE=address,undefined -DREEL_SANITIZE_EXCLUDE= -DREEL_BUILD_EXAMPLES=OFF \
  -DREEL_BUILD_BENCHMARKS=OFF -DREEL_BUILD_CLI=OFF -DREEL_WITH_BSON=OFF "${launcher[@]}" \
  ${REEL_CMAKE_ARGS:-} >/dev/null
targets=()
for name in "${harnesses[@]}"; do targets+=("fuzz_$name"); done
cmake --build "$build_dir" -j2 --target "${targets[@]}"

summary=()
found=0
for name in "${harnesses[@]}"; do
  dir=$work_dir/$name
  mkdir -p "$dir/corpus" "$dir/findings"
  options=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -timeout="${FUZZ_TIMEOUT:-30}"
           -rss_limit_mb=2048 -max_total_time="$seconds" -artifact_prefix="$dir/findings/")
  # The regex harness: an options byte + a 64 KB pattern + NUL + a 64 KB subject.
  [ "$name" = regex ] && options+=(-max_len=$((2 * 65536 + 2)))
  echo "fuzz: $name for $seconds s (log: $dir/log)" >&2
  started=$(date +%s)
  # New inputs go to the first directory (the scratch corpus); the repository's is only read.
  nice -n "${FUZZ_NICE:-19}" "$build_dir/tests/fuzz/fuzz_$name" "${options[@]}" ${FUZZ_ARGS:-} \
    "$dir/corpus" "$root/tests/fuzz/corpus/$name" >"$dir/log" 2>&1 || true
  ran=$(($(date +%s) - started))
  # Fork mode reports "#<executions>: cov: <edges> ft: … corp: <inputs> …" per job.
  last=$(grep -E '^#[0-9]+: cov: ' "$dir/log" | tail -1 || true)
  execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
  cov=$(sed -E 's/.* cov: ([0-9]+) .*/\1/' <<<"$last")
  new=$(find "$dir/corpus" -type f | wc -l)
  findings=$(find "$dir/findings" -type f | wc -l)
  ((findings == 0)) || found=1
  summary+=("$(printf '%-12s %8s %12s %8s %8s %9s' "$name" "$ran" "${execs:-?}" "${cov:-?}" \
    "$new" "$findings")")
done

echo
printf '%-12s %8s %12s %8s %8s %9s\n' harness seconds executions cov new findings
printf '%s\n' "${summary[@]}"
for name in "${harnesses[@]}"; do
  find "$work_dir/$name/findings" -type f | sort | sed 's/^/finding: /'
done
exit "$found"
