#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Compiles consumer.cpp (an application TU with a JSON stream processor) at -O2 as a user would and
# prints its CPU time (user + sys) and peak memory. Issue #12 asks for ≤ 10 s and ≤ 500 MB.
#   benchmarks/compile_cost/measure.sh [extra compiler flags...]
# When simdjson's header is found, REEL_HAVE_SIMDJSON=1 is defined, as Reel's CMake package does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cxx=${CXX:-g++}
defs=()
if echo '#include <simdjson.h>' | "$cxx" -std=c++20 -E -x c++ - >/dev/null 2>&1; then
  defs+=(-DREEL_HAVE_SIMDJSON=1)
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/time -f '%U %S %M' -o "$out/time" \
  "$cxx" -std=c++20 -O2 -I"$root/include" "${defs[@]}" "$@" -c "$here/consumer.cpp" -o "$out/consumer.o"
read -r user sys rss_kb <"$out/time"
awk -v u="$user" -v s="$sys" -v m="$rss_kb" \
  'BEGIN { printf "consumer.cpp at -O2: %.1f s CPU (user %.1f + sys %.1f), %.0f MB peak RSS\n", u + s, u, s, m / 1024 }'
