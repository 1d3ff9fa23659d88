#!/usr/bin/env bash
# A real single-node Apache Kafka broker for reel::kafka's integration tests: Apache Kafka 4.4.0
# in KRaft combined mode (broker and controller in one JVM, Java 17), run from the Maven Central
# jars (org.apache.kafka:kafka_2.13 + kafka-tools), on 127.0.0.1:9092 (controller on port+1),
# data under /tmp.
#
#   scripts/services/kafka.sh up           # installs if needed (jars cached), starts, waits
#   scripts/services/kafka.sh down         # stops it (the data stays: `up` again restarts on it)
#   scripts/services/kafka.sh env          # prints `export REEL_KAFKA_BROKERS=127.0.0.1:9092`
#   scripts/services/kafka.sh status       # exit status 0 when this script's broker is running
#   scripts/services/kafka.sh wipe         # stops it and removes its data
#   scripts/services/kafka.sh topic NAME N # creates topic NAME with N partitions (unless it exists)
#   scripts/services/kafka.sh install      # only installs (packages, jars), as `up` would
#
# Needs java (17+), mvn and kcat; when one is missing it apt-get installs openjdk-17-jre-headless,
# maven and kcat (with sudo when not root). The jars (~45 MB) are fetched once with
# `mvn dependency:copy-dependencies` into $REEL_CACHE_DIR/kafka-4.4.0/libs (default
# ~/.cache/reel) and reused from there: a later `up` needs no network.
# Measured on 2 cores: cold `up` (Maven downloads + format + start) 8-14 s, warm `up` 3-6 s,
# `down` ~2.5 s, `topic` ~1 s; the broker's RSS is ~230 MB (-Xms256m -Xmx512m).
#
# Why 4.4.0 and not 3.9.x: Kafka 4 dropped old protocol versions (KIP-896), but librdkafka 2.0.2
# (Debian bookworm's, also inside its kcat) negotiates versions that 4.4.0 still serves. Checked
# with kcat against this broker: metadata, produce (gzip/snappy/lz4/zstd, idempotent,
# transactional), consume, classic consumer groups (two `kcat -G` members split a 4-partition
# topic, also when the second joins later), offset commit, and a restarted member resuming from
# the committed offsets. Note for tests: `kcat -G ... -o beginning` resets every assigned
# partition to the beginning and so ignores committed offsets; use
# `-X auto.offset.reset=earliest` instead.
# Environment: REEL_KAFKA_PORT (9092), REEL_KAFKA_DIR (/tmp/reel-kafka: data, log, pid, config),
# REEL_CACHE_DIR.
set -euo pipefail

version=4.4.0
port=${REEL_KAFKA_PORT:-9092}
controller_port=$((port + 1))
dir=${REEL_KAFKA_DIR:-/tmp/reel-kafka}
cache=${REEL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/reel}
home=$cache/kafka-$version
libs=$home/libs
pid_file=$dir/pid
log_file=$dir/log
brokers=127.0.0.1:$port
# Any fixed 16-byte id, base64url without padding: saves a JVM start for `random-uuid`.
cluster_id=cmVlbC1rYWZrYS10ZXN0MQ
dependency_plugin=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
log4j_version=2.25.5 # the log4j-core that kafka-server depends on
slf4j_version=2.0.17

log() { echo "kafka.sh: $*" >&2; }
process_pattern='kafka\.Kafka'
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

port_open() { (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

install_packages() {
  local missing=0
  for cmd in java mvn kcat; do
    command -v "$cmd" >/dev/null 2>&1 || missing=1
  done
  [ "$missing" = 0 ] && return 0
  log "installing openjdk-17-jre-headless maven kcat"
  local sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    openjdk-17-jre-headless maven kcat >/dev/null
  for cmd in java mvn kcat; do
    if ! command -v "$cmd" >/dev/null 2>&1; then
      log "$cmd is still missing after apt-get install"
      exit 1
    fi
  done
}

# The Maven project whose runtime dependencies are the broker's classpath: the broker
# (kafka_2.13), the admin tools (kafka-tools, without Kafka Connect, which they only need for
# connect-plugin-path), and a log4j2 binding for slf4j (the jars alone log nothing).
pom() {
  cat <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
 <groupId>local.test</groupId><artifactId>reel-kafka-broker</artifactId><version>1</version><packaging>pom</packaging>
 <dependencies>
  <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>$slf4j_version</version></dependency>
  <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>$log4j_version</version></dependency>
  <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$log4j_version</version></dependency>
  <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
  <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$version</version>
   <exclusions><exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion></exclusions></dependency>
 </dependencies>
</project>
POM
}

install_kafka() {
  if [ -d "$libs" ] && [ "$(pom)" = "$(cat "$home/pom.xml" 2>/dev/null)" ]; then return 0; fi
  mkdir -p "$home"
  local tmp
  tmp=$(mktemp -d "$home/install.XXXXXX")
  pom >"$tmp/pom.xml"
  log "installing Apache Kafka $version jars (Maven; under a minute the first time)"
  if ! mvn -q -B -f "$tmp/pom.xml" "$dependency_plugin:copy-dependencies" \
    -DoutputDirectory="$tmp/libs" -DincludeScope=runtime >"$tmp/mvn.log" 2>&1; then
    log "fetching the Kafka jars failed; the end of the Maven output:"
    tail -n 30 "$tmp/mvn.log" >&2 || true
    rm -rf "$tmp"
    exit 1
  fi
  rm -rf "$libs"
  mv "$tmp/libs" "$libs"
  mv "$tmp/pom.xml" "$home/pom.xml"
  rm -rf "$tmp"
}

write_config() {
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216
PROPS
  cat >"$dir/log4j2.properties" <<'LOG4J'
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.state.name = state.change.logger
logger.state.level = warn
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = warn
LOG4J
  cat >"$dir/tools-log4j2.properties" <<'LOG4J'
status = warn
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = err
LOG4J
}

java_opts=(-Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError
  -Djava.awt.headless=true)

broker_ready() {
  kcat -L -b "$brokers" -m 1 2>/dev/null | grep -q "broker 1 at 127.0.0.1:$port"
}

up() {
  local pid
  if pid=$(running_pid); then
    log "already running (pid $pid)"
    return 0
  fi
  if port_open "$port" || port_open "$controller_port"; then
    log "127.0.0.1:$port or :$controller_port is already in use by another program"
    exit 1
  fi
  install_packages
  install_kafka
  write_config
  if [ ! -f "$dir/data/meta.properties" ]; then
    if ! java "${java_opts[@]}" -Dlog4j2.configurationFile="$dir/tools-log4j2.properties" \
      -cp "$libs/*" kafka.tools.StorageTool format -t "$cluster_id" \
      -c "$dir/server.properties" --ignore-formatted >"$log_file" 2>&1; then
      log "formatting the storage failed; the end of $log_file:"
      tail -n 30 "$log_file" >&2 || true
      exit 1
    fi
  fi
  nohup java "${java_opts[@]}" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -cp "$libs/*" kafka.Kafka "$dir/server.properties" >"$log_file" 2>&1 </dev/null &
  echo $! >"$pid_file"
  local deadline=$((SECONDS + 90))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if port_open "$port" && broker_ready; then
      log "Apache Kafka $version is up on $brokers (pid $(cat "$pid_file"))"
      return 0
    fi
    if ! started_alive; then break; fi
    sleep 0.5
  done
  log "Kafka did not start; the end of $log_file:"
  tail -n 30 "$log_file" >&2 || true
  down
  exit 1
}

down() { stop_server 30; }

# topic NAME PARTITIONS: create it with Kafka's own admin tool, then wait until the broker's
# metadata shows all its partitions.
topic() {
  local name=${1:-} partitions=${2:-}
  if [ -z "$name" ] || ! [[ "$partitions" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 topic NAME PARTITIONS" >&2
    exit 2
  fi
  if ! running_pid >/dev/null; then
    log "the broker is not running (run: $0 up)"
    exit 1
  fi
  java -Xmx128m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$dir/tools-log4j2.properties" \
    -cp "$libs/*" org.apache.kafka.tools.TopicCommand --bootstrap-server "$brokers" --create \
    --if-not-exists --topic "$name" --partitions "$partitions" --replication-factor 1 >/dev/null
  local deadline=$((SECONDS + 30)) count
  while [ "$SECONDS" -lt "$deadline" ]; do
    count=$(kcat -L -b "$brokers" -t "$name" -m 2 2>/dev/null |
      grep -c 'partition [0-9]*, leader 1,' || true)
    if [ "$count" -ge "$partitions" ]; then
      log "topic $name has $count partitions"
      return 0
    fi
    sleep 0.2
  done
  log "topic $name: expected $partitions partitions, the broker shows ${count:-0}"
  exit 1
}

case "${1:-}" in
  up) up ;;
  install)
    install_packages
    install_kafka
    ;;
  down) down ;;
  env) echo "export REEL_KAFKA_BROKERS=$brokers" ;;
  status) running_pid >/dev/null ;;
  wipe)
    down
    rm -rf "$dir"
    ;;
  topic)
    shift
    topic "$@"
    ;;
  *)
    echo "usage: $0 up|down|env|status|wipe|install|topic NAME PARTITIONS" >&2
    exit 2
    ;;
esac
