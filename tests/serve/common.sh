# SPDX-License-Identifier: Apache-2.0
# What the tests of tests/serve share (sourced): a work directory removed on exit with the
# processes the test started, `fail`, `free_port`, `start_server` and `wait_until`. Every wait is
# for a condition, with a deadline.
set -u
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }; done
  exit 1
}

# free_port: a TCP port of 127.0.0.1 nobody listens on now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_until SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds; false at the deadline.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# start_server REEL [reel serve options...]: starts `reel serve` on a free port with the state in
# the work directory; sets $url once it listens.
start_server() {
  local reel=$1
  shift
  "$reel" serve --state "$work/state" --listen 127.0.0.1:0 "$@" 2>"$work/serve.log" &
  pids+=("$!")
  url=
  listening() {
    url=$(sed -n 's/^reel: serve: listening on \(http:[^ ]*\).*/\1/p' "$work/serve.log")
    [ -n "$url" ]
  }
  wait_until 20 listening || fail "reel serve did not listen"
}
