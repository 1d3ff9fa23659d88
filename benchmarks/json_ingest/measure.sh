#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue #12's JSON input measurement: `reel process` over 1,000,000 NDJSON ticket lines
# (generate_tickets.py: 1,000 movies, event time in order at 10,000 events/s), `timeField: "$ts"`,
# a 1 s `$tumblingWindow` with `$group: {_id: "$movie", total: {$sum: "$amountPaid"}}`
# (pipeline.json). Builds `reel` Release in its own build directory, then prints, per run,
# events per CPU-second (user + sys of the whole process), peak RSS, and a checksum of stdout
# (the outputs must not change between versions).
#   benchmarks/json_ingest/measure.sh [RUNS]     (default 3; compare the best of each version)
# BUILD_DIR (default <repo>/build-json-ingest) and TICKETS (default /tmp/reel-tickets-1m.ndjson)
# may be set; the ticket file is generated once and reused. BASELINE=<another reel binary> (say,
# this script's build of an older commit) runs it before each run of this build, for a ratio
# measured in one sitting.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=${1:-3}
build_dir=${BUILD_DIR:-$root/build-json-ingest}
tickets=${TICKETS:-/tmp/reel-tickets-1m.ndjson}
events=1000000

if [[ ! -s "$tickets" ]]; then
  python3 "$here/generate_tickets.py" "$events" >"$tickets.tmp"
  mv "$tickets.tmp" "$tickets"
fi
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DREEL_BUILD_TESTS=OFF \
  -DREEL_BUILD_EXAMPLES=OFF -DREEL_BUILD_BENCHMARKS=OFF ${REEL_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j"${JOBS:-2}" --target reel >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '{"tickets": {"type": "file", "path": "%s"}}\n' "$tickets" >"$work/connections.json"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; $events events"
run() {  # label binary
  /usr/bin/time -f '%U %S %M' -o "$work/time" "$2" process \
    "$here/pipeline.json" --connections "$work/connections.json" >"$work/out" 2>"$work/err"
  read -r user sys rss_kb <"$work/time"
  sum=$(sha256sum <"$work/out" | cut -c1-16)
  lines=$(wc -l <"$work/out")
  awk -v u="$user" -v s="$sys" -v m="$rss_kb" -v n="$events" -v r="$1" -v c="$sum" -v l="$lines" \
    'BEGIN { printf "%s: %.3f M events per CPU-second (user %.2f + sys %.2f s), peak RSS %.0f MB, %d output lines, sha256 %s\n", r, n / (u + s) / 1e6, u, s, m / 1024, l, c }'
}
for ((i = 1; i <= runs; i++)); do
  if [[ -n "${BASELINE:-}" ]]; then run "run $i, baseline" "$BASELINE"; fi
  run "run $i" "$build_dir/tools/reel/reel"
done
