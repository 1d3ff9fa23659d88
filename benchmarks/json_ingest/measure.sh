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
# measured in one sitting. Each run also times the two baselines the issue names, built from
# this directory: the same job written by hand on simdjson (simdjson_job.cpp; its line count must
# equal reel's) and simdjson's parser alone (simdjson_parse.cpp), and prints reel's rate as a
# fraction of the hand-written job's in that run.
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
  -DREEL_BUILD_EXAMPLES=OFF -DREEL_BUILD_BENCHMARKS=ON ${REEL_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j"${JOBS:-2}" --target reel bench_json_ingest_simdjson_job \
  bench_json_ingest_simdjson_parse >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '{"tickets": {"type": "file", "path": "%s"}}\n' "$tickets" >"$work/connections.json"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; $events events"
# time LABEL COMMAND...: runs it with stdout in $work/out; sets rate (M events per CPU-second).
time_it() {
  local label=$1
  shift
  /usr/bin/time -f '%U %S %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err"
  read -r user sys rss_kb <"$work/time"
  rate=$(awk -v u="$user" -v s="$sys" -v n="$events" 'BEGIN { printf "%.3f", n / (u + s) / 1e6 }')
  sum=$(sha256sum <"$work/out" | cut -c1-16)
  lines=$(wc -l <"$work/out")
  printf '%s: %s M events per CPU-second (user %s + sys %s s), peak RSS %d MB, %d output lines, sha256 %s\n' \
    "$label" "$rate" "$user" "$sys" $((rss_kb / 1024)) "$lines" "$sum"
}
reel_run() {  # label binary
  time_it "$1" "$2" process "$here/pipeline.json" --connections "$work/connections.json"
}
bench=$build_dir/benchmarks
for ((i = 1; i <= runs; i++)); do
  time_it "run $i, simdjson parse only" "$bench/bench_json_ingest_simdjson_parse" "$tickets"
  time_it "run $i, simdjson job" "$bench/bench_json_ingest_simdjson_job" "$tickets"
  job_rate=$rate job_lines=$lines
  if [[ -n "${BASELINE:-}" ]]; then reel_run "run $i, baseline" "$BASELINE"; fi
  reel_run "run $i" "$build_dir/tools/reel/reel"
  awk -v r="$rate" -v j="$job_rate" -v i="$i" \
    'BEGIN { printf "run %d: reel / simdjson job = %.3f\n", i, r / j }'
  [[ "$lines" == "$job_lines" ]] || echo "run $i: reel wrote $lines results, the simdjson job $job_lines"
done
