#!/usr/bin/env bash
# A MongoDB wire-protocol server for the reel::mongo tests: FerretDB v1.24.2 (Apache-2.0) over
# its embedded SQLite backend, on 127.0.0.1:27017, data under /tmp.
#
#   scripts/services/mongo.sh up     # installs FerretDB if needed (go install, cached), starts it
#   scripts/services/mongo.sh down   # stops it (the data stays: `up` again restarts on it)
#   scripts/services/mongo.sh env    # prints `export REEL_MONGO_URI=...`
#   scripts/services/mongo.sh status # exit status 0 when this script's server is running
#   scripts/services/mongo.sh wipe   # stops it and removes its data
#
# The binary is built from the module that `go install ...cmd/ferretdb@v1.24.2` fetches (with the
# version file its zip lacks), CGO_ENABLED=0, into $REEL_CACHE_DIR/bin (default ~/.cache/reel/bin)
# and reused from there; a cold install takes 2-5 minutes.
# Environment: REEL_MONGO_PORT (27017), REEL_MONGO_DIR (/tmp/reel-ferret), REEL_CACHE_DIR.
set -euo pipefail

version=v1.24.2
port=${REEL_MONGO_PORT:-27017}
dir=${REEL_MONGO_DIR:-/tmp/reel-ferret}
cache=${REEL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/reel}
bin_dir=$cache/bin
binary=$bin_dir/ferretdb-$version
pid_file=$dir/pid
log_file=$dir/log
uri="mongodb://127.0.0.1:$port/?serverSelectionTimeoutMS=2000&connectTimeoutMS=2000"

log() { echo "mongo.sh: $*" >&2; }
process_pattern='ferretdb'
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

port_open() { (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

install_ferretdb() {
  [ -x "$binary" ] && return 0
  if ! command -v go >/dev/null 2>&1; then
    log "go is not installed (scripts/ci-mongo.sh installs golang-go)"
    exit 1
  fi
  mkdir -p "$bin_dir"
  local tmp src
  tmp=$(mktemp -d "$bin_dir/install.XXXXXX")
  log "installing FerretDB $version (a few minutes the first time)"
  # `go install github.com/FerretDB/FerretDB/cmd/ferretdb@$version` builds a binary that panics
  # at start: the module zip lacks the generated build/version/version.txt. So: fetch the module
  # through the Go module proxy (what go install does), add that file, build it the same way.
  src=$(go mod download -json "github.com/FerretDB/FerretDB@$version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ -z "$src" ] || [ ! -d "$src" ]; then
    log "go mod download github.com/FerretDB/FerretDB@$version failed"
    rm -rf "$tmp"
    exit 1
  fi
  cp -r "$src" "$tmp/src"
  chmod -R u+w "$tmp/src"
  echo "$version" >"$tmp/src/build/version/version.txt"
  if ! (cd "$tmp/src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -buildvcs=false -trimpath \
    -o "$tmp/ferretdb" ./cmd/ferretdb); then
    log "building FerretDB failed"
    rm -rf "$tmp"
    exit 1
  fi
  mv "$tmp/ferretdb" "$binary"
  rm -rf "$tmp"
}

up() {
  if pid=$(running_pid); then
    log "already running (pid $pid)"
    return 0
  fi
  if port_open; then
    log "127.0.0.1:$port is already in use by another program"
    exit 1
  fi
  install_ferretdb
  mkdir -p "$dir/data"
  nohup "$binary" --handler=sqlite --sqlite-url="file:$dir/data/" \
    --listen-addr="127.0.0.1:$port" --state-dir=- --debug-addr=- --telemetry=disable \
    --log-level=warn >"$log_file" 2>&1 </dev/null &
  echo $! >"$pid_file"
  for _ in $(seq 150); do
    if port_open; then
      log "FerretDB $version is up on 127.0.0.1:$port (pid $(cat "$pid_file"))"
      return 0
    fi
    if ! started_alive; then break; fi
    sleep 0.1
  done
  log "FerretDB did not start; the end of $log_file:"
  tail -n 30 "$log_file" >&2 || true
  down
  exit 1
}

down() { stop_server 10; }

case "${1:-}" in
  up) up ;;
  down) down ;;
  env) echo "export REEL_MONGO_URI='$uri'" ;;
  status) running_pid >/dev/null ;;
  wipe)
    down
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 up|down|env|status|wipe" >&2
    exit 2
    ;;
esac
