#!/usr/bin/env bash
# An S3-compatible server on 127.0.0.1 for reel::s3's tests: versitygw (Apache-2.0, Go; verifies
# SigV4 signatures) over a POSIX directory, installed with `go install` into a cache directory
# and reused from there. Falls back to s3proxy (Maven Central) when no versitygw builds.
#
#   scripts/services/s3.sh up     # install if needed, start, wait until it answers, and create
#                                 # the examples' bucket (reel-solar, or $REEL_S3_BUCKETS)
#   scripts/services/s3.sh down   # stop it (data is kept under $REEL_S3_DIR)
#   scripts/services/s3.sh status # exit status 0 when this script's server is running
#   scripts/services/s3.sh wipe   # stop it and remove its data
#   scripts/services/s3.sh install # only install the server (and curl), as `up` would
#   scripts/services/s3.sh env    # print the exports the tests read:
#   eval "$(scripts/services/s3.sh env)"
#   scripts/services/s3.sh bucket NAME        # create a bucket (no error when it exists)
#   scripts/services/s3.sh ls BUCKET [PREFIX] # list the objects' keys and sizes
#   scripts/services/s3.sh cat BUCKET KEY     # print an object (.gz ones decompressed)
#
# bucket, ls and cat are a minimal S3 client: SigV4-signed requests with curl --aws-sigv4
# (curl is installed with apt-get when missing), so reading results back needs no AWS CLI.
#
# Settings (environment): REEL_S3_PORT (7070), REEL_S3_DIR (/tmp/reel-s3: data, log, pid),
# REEL_CACHE_DIR (~/.cache/reel: the server binary), REEL_S3_ACCESS_KEY, REEL_S3_SECRET_KEY,
# REEL_S3_SERVER=s3proxy (use the fallback directly), REEL_S3_BUCKETS (buckets `up` creates,
# space-separated; default reel-solar, the bucket of examples/pipelines/solar-to-s3.json).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
port=${REEL_S3_PORT:-7070}
dir=${REEL_S3_DIR:-/tmp/reel-s3}
cache=${REEL_CACHE_DIR:-${HOME:-/root}/.cache/reel}
access=${REEL_S3_ACCESS_KEY:-AKIDREEL}
secret=${REEL_S3_SECRET_KEY:-reel-secret-key}
region=us-east-1
server=${REEL_S3_SERVER:-versitygw}  # versitygw, or s3proxy to skip it
buckets=${REEL_S3_BUCKETS:-reel-solar}
versions=(v1.7.0 v1.6.0 v1.5.0 v1.4.0 v1.3.0 v1.2.0 v1.1.0 v1.0.0)
s3proxy_version=4.0.0
[ -x /usr/local/go/bin/go ] && PATH=$PATH:/usr/local/go/bin

log() { echo "s3.sh: $*" >&2; }

alive() { [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

ensure_curl() {
  command -v curl >/dev/null 2>&1 && return 0
  log "installing curl"
  local sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq curl >/dev/null
}

# request METHOD PATH [curl arguments...]: one SigV4-signed request; the body goes to stdout.
# Fails (with the server's answer on stderr) on an HTTP error.
request() {
  local method=$1 path=$2 out status
  shift 2
  out=$(mktemp)
  status=$(curl -sS -o "$out" -w '%{http_code}' -X "$method" --aws-sigv4 "aws:amz:$region:s3" \
    --user "$access:$secret" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@" \
    "http://127.0.0.1:$port$path") || {
    rm -f "$out"
    return 1
  }
  if [ "${status:0:1}" != 2 ]; then
    log "$method $path: HTTP $status $(tr -d '\n' <"$out")"
    rm -f "$out"
    return 1
  fi
  cat "$out"
  rm -f "$out"
}

make_bucket() {
  ensure_curl
  local status
  status=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT --aws-sigv4 "aws:amz:$region:s3" \
    --user "$access:$secret" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    "http://127.0.0.1:$port/$1")
  case $status in
    2*) log "created bucket $1" ;;
    409) ;; # BucketAlreadyOwnedByYou
    *)
      log "cannot create bucket $1: HTTP $status"
      return 1
      ;;
  esac
}

# S3's URI encoding of one query value (curl signs the query string as it is given, so it must
# be encoded and its parameters sorted already).
uri_encode() {
  local LC_ALL=C s=$1 i c out=""
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

list_objects() {
  ensure_curl
  local bucket=$1 prefix=${2:-} token="" page query
  while :; do
    query="list-type=2&prefix=$(uri_encode "$prefix")"
    [ -z "$token" ] || query="continuation-token=$(uri_encode "$token")&$query"
    page=$(request GET "/$bucket?$query")
    # One "<key> <size>" line per object.
    echo "$page" | sed 's/<Contents>/\n&/g' | sed -n 's|.*<Key>\([^<]*\)</Key>.*<Size>\([0-9]*\)</Size>.*|\1 \2|p'
    echo "$page" | grep -q '<IsTruncated>true</IsTruncated>' || break
    token=$(echo "$page" | sed -n 's|.*<NextContinuationToken>\([^<]*\)</NextContinuationToken>.*|\1|p')
    [ -n "$token" ] || break
  done
}

cat_object() {
  ensure_curl
  case $2 in
    *.gz) request GET "/$1/$2" | gunzip -c ;;
    *) request GET "/$1/$2" ;;
  esac
}

install_versitygw() {
  [ -x "$cache/bin/versitygw" ] && return 0
  command -v go >/dev/null || { log "go is not installed"; return 1; }
  mkdir -p "$cache/bin"
  for v in "${versions[@]}"; do
    log "installing versitygw $v (go install, a few minutes the first time)"
    if GOBIN="$cache/bin" CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
      go install "github.com/versity/versitygw/cmd/versitygw@$v" >"$cache/versitygw-install.log" 2>&1; then
      echo "$v" >"$cache/versitygw.version"
      return 0
    fi
    tail -5 "$cache/versitygw-install.log" >&2
  done
  return 1
}

install_s3proxy() {
  [ -f "$cache/s3proxy/libs/s3proxy-$s3proxy_version.jar" ] && return 0
  command -v mvn >/dev/null && command -v java >/dev/null || { log "no mvn/java for s3proxy"; return 1; }
  mkdir -p "$cache/s3proxy/libs"
  cat >"$cache/s3proxy/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
 <groupId>local.test</groupId><artifactId>s3proxy-runner</artifactId><version>1</version><packaging>pom</packaging>
 <dependencies><dependency><groupId>org.gaul</groupId><artifactId>s3proxy</artifactId><version>$s3proxy_version</version></dependency>
  <!-- nearest-wins picks jackson-annotations 2.18 from jclouds; Jackson 3 (s3proxy) needs 2.2x -->
  <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-annotations</artifactId><version>2.22</version></dependency></dependencies>
</project>
POM
  log "installing s3proxy $s3proxy_version (Maven)"
  mvn -q -B -f "$cache/s3proxy/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DoutputDirectory="$cache/s3proxy/libs" -DincludeScope=runtime
}

start() {
  mkdir -p "$dir/data" "$dir/meta"
  if [ "$server" = versitygw ] && install_versitygw; then
    ROOT_ACCESS_KEY="$access" ROOT_SECRET_KEY="$secret" nohup "$cache/bin/versitygw" \
      --port "127.0.0.1:$port" --region "$region" --quiet \
      posix --sidecar "$dir/meta" "$dir/data" >"$dir/log" 2>&1 &
    echo $! >"$dir/pid"
  elif install_s3proxy; then
    cat >"$dir/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$access
s3proxy.credential=$secret
jclouds.provider=filesystem
jclouds.filesystem.basedir=$dir/data
CONF
    nohup java -cp "$cache/s3proxy/libs/*" org.gaul.s3proxy.Main --properties "$dir/s3proxy.conf" \
      >"$dir/log" 2>&1 &
    echo $! >"$dir/pid"
  else
    log "cannot install an S3 server (versitygw or s3proxy)"
    exit 1
  fi
}

up() {
  if alive && listening; then
    log "already running (pid $(cat "$dir/pid")) on 127.0.0.1:$port"
    for b in $buckets; do make_bucket "$b"; done
    return 0
  fi
  if listening; then
    log "127.0.0.1:$port is taken by another process"
    exit 1
  fi
  start
  for _ in $(seq 300); do
    if listening; then
      log "ready on http://127.0.0.1:$port (pid $(cat "$dir/pid"))"
      for b in $buckets; do make_bucket "$b"; done
      return 0
    fi
    alive || break
    sleep 0.1
  done
  log "the server did not come up; last lines of $dir/log:"
  tail -20 "$dir/log" >&2 || true
  down
  exit 1
}

down() {
  [ -f "$dir/pid" ] || return 0
  local pid
  pid=$(cat "$dir/pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
  log "stopped"
}

case "${1:-}" in
  up) up ;;
  install)
    ensure_curl
    install_versitygw || install_s3proxy
    ;;
  down) down ;;
  status) alive && listening ;;
  wipe)
    down
    rm -rf "$dir"
    ;;
  bucket) make_bucket "${2:?usage: $0 bucket NAME}" ;;
  ls) list_objects "${2:?usage: $0 ls BUCKET [PREFIX]}" "${3:-}" ;;
  cat) cat_object "${2:?usage: $0 cat BUCKET KEY}" "${3:?usage: $0 cat BUCKET KEY}" ;;
  env)
    echo "export REEL_S3_ENDPOINT=http://127.0.0.1:$port"
    echo "export REEL_S3_ACCESS_KEY=$access"
    echo "export REEL_S3_SECRET_KEY=$secret"
    echo "export REEL_S3_REGION=$region"
    echo "export REEL_S3_SERVICE=$here/s3.sh"
    ;;
  *)
    echo "usage: $0 up|down|status|wipe|env|install|bucket NAME|ls BUCKET [PREFIX]|cat BUCKET KEY" >&2
    exit 2
    ;;
esac
