#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Window state against real memory (issue #17 item 10): `reel run` of the 1,000,000 tickets
# of generate_tickets.py into a 1-day `$tumblingWindow` whose inner `$sort` buffers every one of
# them (day_sort.json, no state limit). Prints the process's peak RSS (`/usr/bin/time`), the
# peak `stateSize` the processor reported (`peakStateSize`, reached at the end of input, just
# before the window closes) and their ratio; then the same under `--max-state-bytes` (default
# 128MB), where the documents past the limit go to the DLQ instead.
#   benchmarks/json_ingest/measure_state.sh [LIMIT]
# REEL (default <repo>/build-json-ingest/tools/reel/reel, built Release by measure.sh) and TICKETS
# (default /tmp/reel-tickets-1m.ndjson) may be set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
reel=${REEL:-$root/build-json-ingest/tools/reel/reel}
tickets=${TICKETS:-/tmp/reel-tickets-1m.ndjson}
limit=${1:-128MB}
if [[ ! -s "$tickets" ]]; then
  python3 "$here/generate_tickets.py" 1000000 >"$tickets.tmp"
  mv "$tickets.tmp" "$tickets"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '{"tickets": {"type": "file", "path": "%s"}}\n' "$tickets" >"$work/connections.json"
run() {  # label, extra reel arguments...
  local label=$1
  shift
  /usr/bin/time -f '%U %S %M' -o "$work/time" "$reel" run "$here/day_sort.json" \
    --connections "$work/connections.json" --stats-format json "$@" >"$work/out" 2>"$work/err"
  read -r user sys rss_kb <"$work/time"
  local stats
  stats=$(tail -n 1 "$work/err")
  python3 - "$label" "$user" "$sys" "$rss_kb" "$stats" "$(grep -c . "$work/out")" <<'PY'
import json, sys
label, user, sys_s, rss_kb, stats, lines = sys.argv[1:]
s = json.loads(stats)
rss = int(rss_kb) * 1024
peak = s["peakStateSize"]
print(f"{label}: input {s['inputMessageCount']}, output lines {lines}, "
      f"dlq {s['dlqMessageCount']} (state limit {s['stateLimitMessageCount']}), "
      f"peak RSS {rss / 2**20:.0f} MiB, peakStateSize {peak / 2**20:.0f} MiB, "
      f"RSS / peakStateSize {rss / peak:.2f}, CPU {float(user) + float(sys_s):.2f} s")
PY
}
run "no limit"
run "--max-state-bytes $limit" --max-state-bytes "$limit"
