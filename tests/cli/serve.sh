#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `reel serve` and `reel sp` end to end: create, start, stats, sample, a bad pipeline reported
# as `reel check` reports it, an unknown name, SIGTERM with a final checkpoint, a restart that
# resumes the running processor with no duplicate and no gap in its file sink, and the token.
# Every wait is for a condition, bounded.
set -u
reel=$1
data=$2/serve
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.log; do echo "--- $f"; cat "$f"; done; exit 1; }

printf '{"out": {"type": "file", "path": "%s/out.ndjson"}}\n' "$work" >"$work/connections.json"

# start_server LOG [reel serve options...]: sets $server_pid and $url.
start_server() {
  local log=$1
  shift
  "$reel" serve --state "$work/state" --connections "$work/connections.json" "$@" 2>"$work/$log" &
  server_pid=$!
  pids+=("$server_pid")
  url=
  for _ in $(seq 1 200); do
    url=$(sed -n 's/^reel: serve: listening on \(http:[^ ]*\).*/\1/p' "$work/$log")
    [ -n "$url" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  fail "the server did not listen ($log)"
}

# wait_for_outputs N: until solar's outputMessageCount reaches N.
wait_for_outputs() {
  for _ in $(seq 1 400); do
    n=$("$reel" sp stats solar --server "$url" | sed -n 's/^ *"outputMessageCount": \([0-9]*\),$/\1/p')
    [ -n "$n" ] && [ "$n" -ge "$1" ] && return 0
    sleep 0.05
  done
  fail "solar did not reach $1 outputs"
}

"$reel" serve >/dev/null 2>&1
[ $? -eq 2 ] || fail "serve without --state must be a usage error"
"$reel" serve --state s3://lake/bucket >/dev/null 2>&1
[ $? -eq 2 ] || fail "serve keeps its state in a directory"

start_server serve1.log --listen 127.0.0.1:0
cd "$data"
"$reel" sp create solar solar.json --server "$url" >"$work/create.out" || fail "create"
grep -q '"state": "CREATED"' "$work/create.out" || fail "create's reply"
"$reel" sp start solar --server "$url" | grep -qx '{ ok: 1 }' || fail "start"
"$reel" sp list --server "$url" | grep -q '"state": "STARTED"' || fail "list"
wait_for_outputs 20
[ "$("$reel" sp sample solar --limit 3 --server "$url" | grep -c '"device_id"')" -eq 3 ] || fail "sample"

# A bad pipeline: the same located diagnostics as `reel check`.
"$reel" sp create bad bad.json --server "$url" 2>"$work/create_bad.err"
[ $? -eq 2 ] || fail "a bad pipeline must exit 2"
"$reel" check bad.json --connections "$work/connections.json" 2>"$work/check_bad.err"
diff "$work/check_bad.err" "$work/create_bad.err" || fail "create's diagnostics differ from check's"
grep -q 'bad.json:/1/\$match' "$work/create_bad.err" || fail "no location"

"$reel" sp stats nope --server "$url" 2>"$work/nope.err"
[ $? -eq 2 ] || fail "an unknown name must exit 2"
grep -q '^\[reel.serve.not_found\]' "$work/nope.err" || fail "unknown name's message"

# SIGTERM: a final checkpoint; the processor's kept state stays STARTED.
kill -TERM "$server_pid"
wait "$server_pid" || fail "serve exited with $? on SIGTERM"
grep -q 'stopping the processors with a final checkpoint' "$work/serve1.log" || fail "SIGTERM message"
before=$(wc -l <"$work/out.ndjson")

start_server serve2.log --listen 127.0.0.1:0
wait_for_outputs $((before + 20))
"$reel" sp stop solar --server "$url" >/dev/null || fail "stop"
after=$(wc -l <"$work/out.ndjson")
[ "$after" -ge $((before + 20)) ] || fail "no outputs after the restart"
# Positions 0..n-1, each once: no duplicate, no gap across the restart.
sed 's/.*"position":\([0-9]*\).*/\1/' "$work/out.ndjson" >"$work/positions"
seq 0 $((after - 1)) | diff -q - "$work/positions" >/dev/null || fail "duplicates or gaps in out.ndjson"
"$reel" sp drop solar --server "$url" >/dev/null || fail "drop"
[ ! -e "$work/state/solar" ] || fail "drop left the state"
kill -TERM "$server_pid"
wait "$server_pid"

# Beyond the loopback a token is required; with one, every call needs it.
"$reel" serve --state "$work/state" --listen 0.0.0.0:0 2>"$work/notoken.log"
[ $? -eq 2 ] || fail "0.0.0.0 without a token must be refused"
grep -q 'reel.serve.token_required' "$work/notoken.log" || fail "token_required message"
REEL_SERVE_TOKEN=t0ken start_server serve3.log --listen 127.0.0.1:0
"$reel" sp list --server "$url" 2>"$work/401.err"
[ $? -eq 1 ] || fail "a call without the token must fail"
grep -q 'reel.serve.unauthorized' "$work/401.err" || fail "401 message"
printf 't0ken\n' >"$work/token"
"$reel" sp list --server "$url" --token-file "$work/token" >/dev/null || fail "a call with the token"
REEL_SERVE_TOKEN=t0ken "$reel" sp list --server "$url" >/dev/null || fail "the token from the env"
kill -TERM "$server_pid"
wait "$server_pid"
echo "ok"
