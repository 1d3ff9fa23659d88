#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Results through a pipe arrive as they are produced: `reel run` on a slow unbounded source
# (2 documents a second, so its output would take minutes to fill a stdio buffer), stdout a
# pipe, no stats lines (-q). The first result must reach the reader within 15 s (it is due in
# well under a second); then the program is stopped with SIGTERM. Bounded by timeouts throughout.
set -u
reel=$1
data=$2
work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then
    # The program itself (the child of timeout), then timeout.
    local child
    child=$(pgrep -P "$pid" | head -n 1)
    [ -n "$child" ] && kill -KILL "$child" 2>/dev/null
    kill -KILL "$pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$data"
mkfifo "$work/pipe"
timeout -s KILL 60 "$reel" run slow.json -q >"$work/pipe" 2>"$work/err" &
pid=$!
exec 3<"$work/pipe"
if ! IFS= read -r -t 15 line <&3; then
  echo "no result through the pipe within 15 s"; cat "$work/err"; exec 3<&-; exit 1
fi
case "$line" in
  '{'*device_id*) ;;
  *) echo "unexpected first line: $line"; exit 1 ;;
esac
child=$(pgrep -P "$pid" | head -n 1)
kill -TERM "${child:-$pid}"
cat <&3 >/dev/null
wait "$pid"
pid=
echo "first result through the pipe: $line"
echo "ok"
