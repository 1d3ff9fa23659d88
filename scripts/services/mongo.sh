#!/usr/bin/env bash
# A MongoDB wire-protocol server for the reel::mongo tests: FerretDB v1.24.2 (Apache-2.0) over
# its embedded SQLite backend, on 127.0.0.1:27017, data under /tmp.
#
#   scripts/services/mongo.sh up     # installs FerretDB if needed (go install, cached), starts it
#   scripts/services/mongo.sh down   # stops it (the data stays: `up` again restarts on it)
#   scripts/services/mongo.sh env    # prints `export REEL_MONGO_URI=...`
#   scripts/services/mongo.sh status # exit status 0 when this script's server is running
#   scripts/services/mongo.sh wipe   # stops it and removes its data
#   scripts/services/mongo.sh install # only installs (FerretDB, the pymongo client), as `up` would
#   scripts/services/mongo.sh count DB COLL  # the number of documents in DB.COLL
#   scripts/services/mongo.sh find DB COLL [LIMIT] # its documents (the first LIMIT by _id), one
#                                                  # relaxed Extended JSON line each
#
# count and find are a minimal client (mongosh is not packaged in Debian): pymongo in a virtual
# environment under $REEL_CACHE_DIR/pymongo (pip, once; python3-venv from apt when missing).
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

pymongo_env=$cache/pymongo
pymongo_version=4.10.1

# client PYTHON_CODE ARGS...: runs the code with pymongo, `db` bound to the server's client.
client() {
  if [ ! -x "$pymongo_env/bin/python" ] ||
    ! "$pymongo_env/bin/python" -c 'import pymongo' 2>/dev/null; then
    log "installing pymongo $pymongo_version in $pymongo_env (pip, once)"
    if ! python3 -m venv "$pymongo_env" >/dev/null 2>&1; then
      local sudo_cmd=()
      [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
      "${sudo_cmd[@]}" apt-get update -qq
      DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq python3-venv >/dev/null
      rm -rf "$pymongo_env"
      python3 -m venv "$pymongo_env"
    fi
    "$pymongo_env/bin/pip" install -q "pymongo==$pymongo_version" >&2
  fi
  local code=$1
  shift
  REEL_CLIENT_URI=$uri "$pymongo_env/bin/python" -c "
import os, sys
import pymongo
from bson import json_util
db = pymongo.MongoClient(os.environ['REEL_CLIENT_URI'])
$code" "$@"
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
  install)
    install_ferretdb
    client 'pass'
    ;;
  down) down ;;
  env) echo "export REEL_MONGO_URI='$uri'" ;;
  status) running_pid >/dev/null ;;
  wipe)
    down
    rm -rf "$dir"
    ;;
  count)
    client 'print(db[sys.argv[1]][sys.argv[2]].count_documents({}))' \
      "${2:?usage: $0 count DB COLL}" "${3:?usage: $0 count DB COLL}"
    ;;
  find)
    client '
for d in db[sys.argv[1]][sys.argv[2]].find().sort("_id", 1).limit(int(sys.argv[3])):
    print(json_util.dumps(d, json_options=json_util.RELAXED_JSON_OPTIONS))' \
      "${2:?usage: $0 find DB COLL [LIMIT]}" "${3:?usage: $0 find DB COLL [LIMIT]}" "${4:-0}"
    ;;
  *)
    echo "usage: $0 up|down|env|status|wipe|install|count DB COLL|find DB COLL [LIMIT]" >&2
    exit 2
    ;;
esac
