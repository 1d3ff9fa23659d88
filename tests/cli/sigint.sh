#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Ctrl-C handling: `reel run` on an unbounded source, SIGINT once it printed its first stats
# line; it must stop cleanly (exit 0) and print a final summary. Bounded by timeouts throughout.
set -u
reel=$1
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$data"
timeout -s KILL 20 "$reel" run unbounded.json --connections unbounded_connections.json \
  --stats-interval 0.1 >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1 150); do
  grep -q ': running: ' "$work/err" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q ': running: ' "$work/err"; then
  echo "no stats line within 15 s"; cat "$work/err"; kill -KILL "$pid" 2>/dev/null; exit 1
fi
# timeout(1) does not forward SIGINT, so signal reel itself: the child of $pid.
child=$(pgrep -P "$pid" | head -n 1)
kill -INT "${child:-$pid}"
wait "$pid"
rc=$?
cat "$work/err"
if [ "$rc" -ne 0 ]; then echo "exit status $rc, expected 0"; exit 1; fi
grep -Eq '^reel: unbounded: stopped by SIGINT: input [1-9][0-9]*, output [0-9]+, dlq [0-9]+' "$work/err" ||
  { echo "no final summary"; exit 1; }
echo "ok"
