#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/run.sh, the README's first command, must run an optimised `reel`: a Release build in a
# directory of its own with only the program, never the Debug test build. Checked with a copy of
# the script whose setup.sh and build.sh are stand-ins that record how they were called and
# produce a CMakeCache and a `reel` that prints its arguments (no real build: seconds).
set -u
source_root=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/scripts"
cp "$source_root/scripts/run.sh" "$work/scripts/run.sh"
printf '#!/usr/bin/env bash\nexit 0\n' >"$work/scripts/setup.sh"
cat >"$work/scripts/build.sh" <<'STUB'
#!/usr/bin/env bash
set -eu
printf 'BUILD_DIR=%s\nBUILD_TYPE=%s\nREEL_CMAKE_ARGS=%s\nARGS=%s\n' \
  "${BUILD_DIR:-}" "${BUILD_TYPE:-}" "${REEL_CMAKE_ARGS:-}" "$*" >"$(dirname "$0")/../build-call"
dir=${BUILD_DIR:-$(dirname "$0")/../build}
mkdir -p "$dir/tools/reel"
echo "CMAKE_BUILD_TYPE:STRING=${BUILD_TYPE:-Debug}" >"$dir/CMakeCache.txt"
printf '#!/usr/bin/env bash\necho "reel from %s: $*"\n' "$dir" >"$dir/tools/reel/reel"
chmod +x "$dir/tools/reel/reel"
STUB
chmod +x "$work/scripts/"*.sh
fail() { echo "$1"; cat "$work/build-call" 2>/dev/null; exit 1; }

out=$(env -u REEL_RELEASE_BUILD_DIR -u BUILD_DIR -u BUILD_TYPE bash "$work/scripts/run.sh" run p.json) ||
  fail "run.sh failed: $out"
grep -qx "BUILD_DIR=$work/build-release" "$work/build-call" || fail "not built in build-release"
grep -qx "BUILD_TYPE=Release" "$work/build-call" || fail "not a Release build"
for off in REEL_BUILD_TESTS REEL_BUILD_EXAMPLES REEL_BUILD_BENCHMARKS; do
  grep -q -- "-D$off=OFF" "$work/build-call" || fail "the build does not turn $off off"
done
grep -qx "ARGS=--target reel_cli" "$work/build-call" || fail "the build is not of reel_cli only"
[ "$out" = "reel from $work/build-release: run p.json" ] || fail "ran something else: $out"
out=$(env -u REEL_RELEASE_BUILD_DIR bash "$work/scripts/run.sh") || fail "run.sh failed: $out"
[ "$out" = "reel from $work/build-release: process $work/examples/pipelines/movies.json" ] ||
  fail "without arguments, ran something else: $out"

# A build directory that is not Release (configured by hand) is refused, not run.
echo "CMAKE_BUILD_TYPE:STRING=Debug" >"$work/build-release/CMakeCache.txt"
sed -i 's/^echo "CMAKE_BUILD_TYPE.*$/true/' "$work/scripts/build.sh"
if out=$(env -u REEL_RELEASE_BUILD_DIR bash "$work/scripts/run.sh" --version 2>&1); then
  fail "a Debug build directory was run: $out"
fi
echo "$out" | grep -q "is not a Release build" || fail "no clear refusal: $out"
echo "ok"
