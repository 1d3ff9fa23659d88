#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The periodic stats line of `reel run` (stderr not a terminal) shows the window state: a slow
# unbounded source into an hour-long buffering window, a stats line every 0.2 s. A line with a
# non-zero `state` must appear within 20 s; then SIGTERM, and the summary gives the peak state.
# Bounded by timeouts throughout.
set -u
reel=$1
data=$2
work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then
    local child
    child=$(pgrep -P "$pid" | head -n 1)
    [ -n "$child" ] && kill -KILL "$child" 2>/dev/null
    kill -KILL "$pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$data"
timeout -s KILL 60 "$reel" run slow_window.json --stats-interval 0.2 >/dev/null 2>"$work/err" &
pid=$!
running='^reel: slow_window: running: input [1-9][0-9]*, output 0, dlq 0, [0-9-]+ events/s, watermark [^,]*, state [0-9.]+ (B|KiB|MiB)$'
found=
for _ in $(seq 200); do
  line=$(grep -E "$running" "$work/err" | grep -v ', state 0 B$' | head -n 1)
  if [ -n "$line" ]; then found=$line; break; fi
  sleep 0.1
done
if [ -z "$found" ]; then
  echo "no stats line with a window state within 20 s:"; cat "$work/err"; exit 1
fi
child=$(pgrep -P "$pid" | head -n 1)
kill -TERM "${child:-$pid}"
wait "$pid"
pid=
summary=$(tail -n 1 "$work/err")
case "$summary" in
  "reel: slow_window: stopped by SIGTERM: input "*", peak state "*) ;;
  *) echo "unexpected summary: $summary"; cat "$work/err"; exit 1 ;;
esac
echo "stats line: $found"
echo "summary: $summary"
echo "ok"
