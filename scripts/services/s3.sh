#!/usr/bin/env bash
# An S3-compatible server on 127.0.0.1 for reel::s3's tests: versitygw (Apache-2.0, Go; verifies
# SigV4 signatures) over a POSIX directory, installed with `go install` into a cache directory
# and reused from there. Falls back to s3proxy (Maven Central) when no versitygw builds.
#
#   scripts/services/s3.sh up     # install if needed, start, wait until it answers
#   scripts/services/s3.sh down   # stop it (data is kept under $REEL_S3_DIR)
#   scripts/services/s3.sh env    # print the exports the tests read:
#   eval "$(scripts/services/s3.sh env)"
#
# Settings (environment): REEL_S3_PORT (7070), REEL_S3_DIR (/tmp/reel-s3: data, log, pid),
# REEL_CACHE_DIR (~/.cache/reel: the server binary), REEL_S3_ACCESS_KEY, REEL_S3_SECRET_KEY,
# REEL_S3_SERVER=s3proxy (use the fallback directly).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
port=${REEL_S3_PORT:-7070}
dir=${REEL_S3_DIR:-/tmp/reel-s3}
cache=${REEL_CACHE_DIR:-${HOME:-/root}/.cache/reel}
access=${REEL_S3_ACCESS_KEY:-AKIDREEL}
secret=${REEL_S3_SECRET_KEY:-reel-secret-key}
region=us-east-1
server=${REEL_S3_SERVER:-versitygw}  # versitygw, or s3proxy to skip it
versions=(v1.7.0 v1.6.0 v1.5.0 v1.4.0 v1.3.0 v1.2.0 v1.1.0 v1.0.0)
s3proxy_version=4.0.0
[ -x /usr/local/go/bin/go ] && PATH=$PATH:/usr/local/go/bin

log() { echo "s3.sh: $*" >&2; }

alive() { [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

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
  down) down ;;
  env)
    echo "export REEL_S3_ENDPOINT=http://127.0.0.1:$port"
    echo "export REEL_S3_ACCESS_KEY=$access"
    echo "export REEL_S3_SECRET_KEY=$secret"
    echo "export REEL_S3_REGION=$region"
    echo "export REEL_S3_SERVICE=$here/s3.sh"
    ;;
  *)
    echo "usage: $0 up|down|env" >&2
    exit 2
    ;;
esac
