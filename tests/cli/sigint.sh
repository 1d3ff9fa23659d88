#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Ctrl-C and SIGTERM: `reel run` on an unbounded source, signalled once it printed its first
# stats line; it must stop cleanly, print a final summary and exit with 128 + the signal's
# number (130 for SIGINT, 143 for SIGTERM), so a script can tell it from a completed run.
# Bounded by timeouts throughout.
set -u
reel=$1
data=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$data"

# stop_with SIGNAL EXIT_STATUS [STATS_LINE_REGEX SUMMARY_REGEX [reel options...]]
stop_with() {
  local signal=$1 expected_rc=$2
  local running=${3:-': running: '}
  local summary=${4:-"^reel: unbounded: stopped by SIG$signal: input [1-9][0-9]*, output [0-9]+, dlq [0-9]+"}
  shift $(($# < 4 ? $# : 4))
  timeout -s KILL 20 "$reel" run unbounded.json --connections unbounded_connections.json \
    --stats-interval 0.1 "$@" >"$work/out" 2>"$work/err" &
  local pid=$!
  for _ in $(seq 1 150); do
    grep -Eq "$running" "$work/err" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -Eq "$running" "$work/err"; then
    echo "SIG$signal: no stats line within 15 s"; cat "$work/err"; kill -KILL "$pid" 2>/dev/null
    return 1
  fi
  # timeout(1) does not forward SIGINT, so signal reel itself: the child of $pid.
  local child
  child=$(pgrep -P "$pid" | head -n 1)
  kill -"$signal" "${child:-$pid}"
  wait "$pid"
  local rc=$?
  cat "$work/err"
  if [ "$rc" -ne "$expected_rc" ]; then
    echo "SIG$signal: exit status $rc, expected $expected_rc"; return 1
  fi
  grep -Eq "$summary" "$work/err" || { echo "SIG$signal: no final summary"; return 1; }
}

stop_with INT 130 || exit 1
stop_with TERM 143 || exit 1
# --stats-format json: the stats lines and the summary are stats() objects, one per line.
stop_with TERM 143 '^[{]"name":"unbounded","status":"running","scaleFactor":1,"inputMessageCount":[0-9]+,' \
  '^[{]"name":"unbounded","status":"stopped","scaleFactor":1,"inputMessageCount":[1-9][0-9]*,.*[}]$' \
  --stats-format json || exit 1
if grep -v '^[{].*[}]$' "$work/err"; then echo "--stats-format json: a line that is not an object"; exit 1; fi
echo "ok"
