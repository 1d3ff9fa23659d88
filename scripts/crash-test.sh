#!/usr/bin/env bash
# Crash test of `reel run --state`: runs pipelines with a tumbling window and a session window,
# kills `reel run` with SIGKILL at random moments, restarts it each time until it finishes, and
# compares the output with the one an uninterrupted run writes. Repeats rounds until the
# requested number of kills is reached.
#
#   scripts/crash-test.sh [--kills N] [--events N] [--max-delay SECONDS] [--reel PATH] [--seed S]
#                         [--kafka]
#
# --kills      SIGKILLs in total, shared by the two pipelines (default 50)
# --events     input events (default 20000)
# --max-delay  a kill comes after a random delay up to this (default 1.0 s; 2.0 s with --kafka)
# --reel       the program (default build/tools/reel/reel)
# --seed       seeds the input and the delays (default 1)
# --kafka      Kafka instead of files: the input in a topic (one partition), `$emit` to a topic in
#              exactly-once mode; the output read with isolation.level=read_committed must equal
#              the uninterrupted run's as a multiset (no duplicates, nothing missing). Needs a
#              broker (REEL_KAFKA_BROKERS, scripts/services/kafka.sh), kcat, and a reel built
#              with -DREEL_WITH_KAFKA=ON.
# Without --kafka: file source → window → file sink, and the output file must be byte-identical.
# Prints one line per round and a summary; exits 1 at the first output that differs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kills=50 events=20000 max_delay= reel="$root/build/tools/reel/reel" seed=1 kafka=0
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) kills=$2; shift 2 ;;
    --events) events=$2; shift 2 ;;
    --max-delay) max_delay=$2; shift 2 ;;
    --reel) reel=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --kafka) kafka=1; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "crash-test: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$max_delay" ] || { [ "$kafka" = 1 ] && max_delay=2.0 || max_delay=1.0; }
[ -x "$reel" ] || { echo "crash-test: no reel program at $reel (build the reel_cli target)" >&2; exit 2; }
if [ "$kafka" = 1 ]; then
  [ -n "${REEL_KAFKA_BROKERS:-}" ] ||
    { echo "crash-test: --kafka needs REEL_KAFKA_BROKERS (eval \"\$(scripts/services/kafka.sh env)\")" >&2; exit 2; }
  command -v kcat > /dev/null || { echo "crash-test: --kafka needs kcat" >&2; exit 2; }
fi
reel=$(cd "$(dirname "$reel")" && pwd)/$(basename "$reel")

work=$(mktemp -d "${TMPDIR:-/tmp}/reel-crash-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# Events with times going forward by up to 40 ms and arriving up to 2 s out of order, on 97 keys.
awk -v n="$events" -v seed="$seed" 'BEGIN { srand(seed); t = 1704067200000;
  for (i = 0; i < n; i++) { t += int(rand() * 40); d = t - int(rand() * 2000);
    printf("{\"k\":\"key%d\",\"v\":%d,\"t\":{\"$date\":%.0f}}\n", int(rand() * 97), i, d) } }' \
  > input.ndjson

# The two pipelines, for a source and a sink given as stage bodies; `extra` goes into each
# window stage.
write_pipelines() {  # source emit extra
  cat > tumbling.json <<JSON
{"name": "tumbling", "pipeline": [
  {"\$source": $1},
  {"\$tumblingWindow": {"interval": {"size": 1, "unit": "second"},
    "allowedLateness": {"size": 1, "unit": "second"},$3
    "pipeline": [{"\$group": {"_id": "\$k", "n": {"\$sum": 1}, "s": {"\$sum": "\$v"},
                             "values": {"\$push": "\$v"}}}]}},
  {"\$emit": $2}],
 "options": {"checkpoint": {"interval": {"size": $checkpoint_ms, "unit": "ms"}, "keepLast": 2}}}
JSON
  cat > session.json <<JSON
{"name": "session", "pipeline": [
  {"\$source": $1},
  {"\$sessionWindow": {"partitionBy": "\$k", "gap": {"size": 3, "unit": "second"},
    "allowedLateness": {"size": 1, "unit": "second"},$3
    "pipeline": [{"\$group": {"_id": "\$k", "n": {"\$sum": 1}, "first": {"\$first": "\$v"},
                             "last": {"\$last": "\$v"}}}]}},
  {"\$emit": $2}],
 "options": {"checkpoint": {"interval": {"size": $checkpoint_ms, "unit": "ms"}, "keepLast": 2}}}
JSON
}

random_delay() {  # a delay in [0, max_delay) seconds
  awk -v r="$RANDOM$RANDOM" -v m="$max_delay" 'BEGIN { printf("%.3f", (r % 1000000) / 1000000 * m) }'
}

# Runs `reel run --state state PIPELINE` again and again, each time killed with SIGKILL after a
# random delay, until `finished` says the run is complete (then it is stopped with SIGTERM when
# still running, and must exit cleanly). After `max_kills` kills the run is left to complete.
# Sets round_kills.
run_with_kills() {  # pipeline finished-function max-kills
  round_kills=0
  while true; do
    "$reel" run --state state "$1" 2>> "stderr-${1%.json}.txt" &
    pid=$!
    sleep "$(random_delay)"
    if [ "$round_kills" -ge "$3" ] || [ "$total_kills" -ge "$kills" ]; then
      until "$2" "$pid"; do sleep 0.5; done
    fi
    # (A run that ended just before the SIGKILL counts as finished.)
    if "$2" "$pid" || ! kill -KILL "$pid" 2> /dev/null; then
      if kill -0 "$pid" 2> /dev/null; then kill -TERM "$pid"; fi
      local status=0
      wait "$pid" || status=$?
      # 143: stopped by the SIGTERM above (128 + 15), as intended.
      if [ "$status" -ne 0 ] && [ "$status" -ne 143 ]; then
        echo "crash-test: ${1%.json}: reel run failed after $round_kills kills:" >&2
        tail -5 "stderr-${1%.json}.txt" >&2
        exit 1
      fi
      return
    fi
    wait "$pid" 2> /dev/null || true
    round_kills=$((round_kills + 1))
    total_kills=$((total_kills + 1))
  done
}

keep_failure() {  # what
  echo "crash-test: $1" >&2
  mkdir -p "$root/build/crash-test-failure"
  cp -r "$work"/. "$root/build/crash-test-failure/"
  echo "crash-test: kept the files in build/crash-test-failure" >&2
  exit 1
}

# --- files ---------------------------------------------------------------------------------------

file_run_finished() {  # pid: the run ended by itself (end of input)
  ! kill -0 "$1" 2> /dev/null
}

file_setup() {
  checkpoint_ms=50
  cat > connections.json <<'JSON'
{"in": {"type": "file", "path": "input.ndjson"}, "out": {"type": "file", "path": "out.ndjson"}}
JSON
  write_pipelines '{"connectionName": "in", "timeField": "$t"}' '{"connectionName": "out"}' ''
  for p in tumbling session; do
    rm -f out.ndjson
    "$reel" run -q "$p.json" 2> /dev/null
    mv out.ndjson "expected-$p.ndjson"
  done
}

file_round() {  # pipeline
  rm -rf state out.ndjson
  run_with_kills "$1.json" file_run_finished 1000000
  if ! cmp -s out.ndjson "expected-$1.ndjson"; then
    cmp out.ndjson "expected-$1.ndjson" >&2 || true
    keep_failure "$1: round $rounds: the output after $round_kills kills differs from an uninterrupted run"
  fi
  echo "crash-test: $1: round $rounds: $round_kills kills, output byte-identical" \
    "($(wc -l < out.ndjson) results)"
}

# --- Kafka ---------------------------------------------------------------------------------------

idle_s=5  # the windows' idleTimeout: the last windows close this long after the last event

kafka_topic() {  # name partitions
  "$root/scripts/services/kafka.sh" topic "$1" "$2" > /dev/null 2>&1 ||
    { echo "crash-test: cannot create the topic $1" >&2; exit 1; }
}

# The output topic read as a consumer with read_committed sees it, sorted (a multiset).
kafka_committed_output() {  # topic
  kcat -C -b "$REEL_KAFKA_BROKERS" -t "$1" -o beginning -e -q -X isolation.level=read_committed |
    LC_ALL=C sort
}

# Writes the pipeline files for this round's output topic and group.
kafka_pipelines() {  # output-topic group
  write_pipelines \
    "{\"connectionName\": \"kafka\", \"topic\": \"$input_topic\", \"timeField\": \"\$t\",
      \"config\": {\"group_id\": \"$2\", \"auto_offset_reset\": \"earliest\",
                   \"group_instance_id\": \"$2\"}}" \
    "{\"connectionName\": \"kafka\", \"topic\": \"$1\",
      \"config\": {\"deliveryGuarantee\": \"exactlyOnce\"}}" \
    "\"idleTimeout\": {\"size\": $idle_s, \"unit\": \"second\"},"
}

kafka_setup() {
  checkpoint_ms=200
  run_id="crash-$$-$RANDOM"
  input_topic="$run_id-in"
  kafka_topic "$input_topic" 1
  kcat -P -b "$REEL_KAFKA_BROKERS" -t "$input_topic" -p 0 < input.ndjson
  cat > connections.json <<'JSON'
{"kafka": {"type": "kafka", "bootstrapServers": {"$env": "REEL_KAFKA_BROKERS"}}}
JSON
  # The uninterrupted runs: stopped once their committed output has not grown for longer than
  # the idle timeout that closes the last windows.
  for p in tumbling session; do
    kafka_topic "$run_id-expected-$p" 1
    kafka_pipelines "$run_id-expected-$p" "$run_id-expected-$p"
    rm -rf state
    "$reel" run --state state "$p.json" 2>> "stderr-expected.txt" &
    pid=$!
    local count=0 previous=-1 stable_since
    stable_since=$(date +%s)
    while [ "$count" -eq 0 ] || [ $(($(date +%s) - stable_since)) -lt $((idle_s + 4)) ]; do
      kill -0 "$pid" 2> /dev/null || { tail -5 stderr-expected.txt >&2; exit 1; }
      sleep 0.5
      count=$(kafka_committed_output "$run_id-expected-$p" | wc -l)
      if [ "$count" -ne "$previous" ]; then previous=$count stable_since=$(date +%s); fi
    done
    kill -TERM "$pid"
    wait "$pid" || [ $? -eq 143 ]
    kafka_committed_output "$run_id-expected-$p" > "expected-$p.ndjson"
  done
}

# A run is complete when its committed output has as many results as the uninterrupted run's
# (more, or as many with duplicates among them: the comparison reports it).
kafka_run_finished() {  # pid
  if ! kill -0 "$1" 2> /dev/null; then
    echo "crash-test: reel run stopped by itself:" >&2
    tail -5 "stderr-$pipeline.txt" >&2
    exit 1
  fi
  [ "$(kafka_committed_output "$round_topic" | wc -l)" -ge "$(wc -l < "expected-$pipeline.ndjson")" ]
}

kafka_round() {  # pipeline
  pipeline=$1
  round_topic="$run_id-out-$rounds" round_group="$run_id-group-$rounds"
  local round_started
  round_started=$(date +%s)
  kafka_topic "$round_topic" 1
  kafka_pipelines "$round_topic" "$round_group"
  rm -rf state
  local deadline=$(($(date +%s) + 600))
  finished_or_late() {
    if [ "$(date +%s)" -gt "$deadline" ]; then
      kafka_committed_output "$round_topic" > out.ndjson
      keep_failure "$pipeline: round $rounds: after 600 s, $(wc -l < out.ndjson) of" \
        "$(wc -l < "expected-$pipeline.ndjson") results were committed"
    fi
    kafka_run_finished "$@"
  }
  # A few kills per round, then the run completes: the last windows close only after the
  # idle timeout.
  run_with_kills "$pipeline.json" finished_or_late $((1 + RANDOM % 6))
  kafka_committed_output "$round_topic" > out.ndjson
  if ! cmp -s out.ndjson "expected-$pipeline.ndjson"; then
    diff out.ndjson "expected-$pipeline.ndjson" | head -5 >&2 || true
    keep_failure "$pipeline: round $rounds: the committed output after $round_kills kills" \
      "differs from an uninterrupted run (as a multiset: $(wc -l < out.ndjson) results," \
      "$(sort out.ndjson | uniq -d | wc -l) duplicated, expected $(wc -l < "expected-$pipeline.ndjson"))"
  fi
  echo "crash-test: kafka $pipeline: round $rounds: $round_kills kills, committed output equal" \
    "as a multiset ($(wc -l < out.ndjson) results, $(($(date +%s) - round_started)) s)"
}

# --- rounds --------------------------------------------------------------------------------------

RANDOM=$seed
total_kills=0 rounds=0
mode=file
[ "$kafka" = 1 ] && mode=kafka
"${mode}_setup"
started=$(date +%s)
pipelines=(tumbling session)
while [ "$total_kills" -lt "$kills" ]; do
  rounds=$((rounds + 1))
  "${mode}_round" "${pipelines[$((rounds % 2))]}"
done
resumes=$(cat stderr-*.txt | grep -c "resumed from checkpoint" || true)
uncommitted=$(cat stderr-*.txt | grep -c "output transaction did not commit" || true)
summary="$total_kills kills in $rounds rounds, $resumes resumed from a checkpoint"
[ "$kafka" = 1 ] && summary="$summary ($uncommitted from the one before an uncommitted newest)"
echo "crash-test: $mode: $summary ($events events, kill delay up to ${max_delay} s," \
  "$(($(date +%s) - started)) s): every output equal to an uninterrupted run's"
