#!/usr/bin/env bash
# Crash test of `reel run --state`: runs file source → window → file sink pipelines (a tumbling
# window and a session window), kills `reel run` with SIGKILL at random moments, restarts it each
# time until it finishes, and requires the output file to be byte-identical to the one an
# uninterrupted run writes. Repeats rounds until the requested number of kills is reached.
#
#   scripts/crash-test.sh [--kills N] [--events N] [--max-delay SECONDS] [--reel PATH] [--seed S]
#
# --kills      SIGKILLs in total, shared by the two pipelines (default 50)
# --events     input events (default 20000)
# --max-delay  a kill comes after a random delay up to this (default 1.0 s)
# --reel       the program (default build/tools/reel/reel)
# --seed       seeds the input and the delays (default 1)
# Prints one line per round and a summary; exits 1 at the first output that differs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
kills=50 events=20000 max_delay=1.0 reel="$root/build/tools/reel/reel" seed=1
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) kills=$2; shift 2 ;;
    --events) events=$2; shift 2 ;;
    --max-delay) max_delay=$2; shift 2 ;;
    --reel) reel=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "crash-test: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -x "$reel" ] || { echo "crash-test: no reel program at $reel (build the reel_cli target)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/reel-crash-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

# Events with times going forward by up to 40 ms and arriving up to 2 s out of order, on 97 keys.
awk -v n="$events" -v seed="$seed" 'BEGIN { srand(seed); t = 1704067200000;
  for (i = 0; i < n; i++) { t += int(rand() * 40); d = t - int(rand() * 2000);
    printf("{\"k\":\"key%d\",\"v\":%d,\"t\":{\"$date\":%.0f}}\n", int(rand() * 97), i, d) } }' \
  > input.ndjson
cat > connections.json <<'JSON'
{"in": {"type": "file", "path": "input.ndjson"}, "out": {"type": "file", "path": "out.ndjson"}}
JSON
cat > tumbling.json <<'JSON'
{"name": "tumbling", "pipeline": [
  {"$source": {"connectionName": "in", "timeField": "$t"}},
  {"$tumblingWindow": {"interval": {"size": 1, "unit": "second"},
    "allowedLateness": {"size": 1, "unit": "second"},
    "pipeline": [{"$group": {"_id": "$k", "n": {"$sum": 1}, "s": {"$sum": "$v"},
                             "values": {"$push": "$v"}}}]}},
  {"$emit": {"connectionName": "out"}}],
 "options": {"checkpoint": {"interval": {"size": 50, "unit": "ms"}, "keepLast": 2}}}
JSON
cat > session.json <<'JSON'
{"name": "session", "pipeline": [
  {"$source": {"connectionName": "in", "timeField": "$t"}},
  {"$sessionWindow": {"partitionBy": "$k", "gap": {"size": 3, "unit": "second"},
    "allowedLateness": {"size": 1, "unit": "second"},
    "pipeline": [{"$group": {"_id": "$k", "n": {"$sum": 1}, "first": {"$first": "$v"},
                             "last": {"$last": "$v"}}}]}},
  {"$emit": {"connectionName": "out"}}],
 "options": {"checkpoint": {"interval": {"size": 50, "unit": "ms"}, "keepLast": 2}}}
JSON

random_delay() {  # a delay in [0, max_delay) seconds
  awk -v r="$RANDOM$RANDOM" -v m="$max_delay" 'BEGIN { printf("%.3f", (r % 1000000) / 1000000 * m) }'
}

RANDOM=$seed
total_kills=0 rounds=0 resumes=0
pipelines=(tumbling session)
for p in "${pipelines[@]}"; do
  rm -f out.ndjson
  "$reel" run -q "$p.json" 2> /dev/null
  mv out.ndjson "expected-$p.ndjson"
done

started=$(date +%s)
while [ "$total_kills" -lt "$kills" ]; do
  p=${pipelines[$((rounds % 2))]}
  rm -rf state out.ndjson
  round_kills=0
  while true; do
    "$reel" run --state state "$p.json" 2>> "stderr-$p.txt" &
    pid=$!
    sleep "$(random_delay)"
    if kill -KILL "$pid" 2> /dev/null; then
      wait "$pid" 2> /dev/null || true
      round_kills=$((round_kills + 1))
      total_kills=$((total_kills + 1))
      continue
    fi
    if ! wait "$pid"; then
      echo "crash-test: $p: reel run failed after $round_kills kills:" >&2
      tail -5 "stderr-$p.txt" >&2
      exit 1
    fi
    break
  done
  rounds=$((rounds + 1))
  if ! cmp -s out.ndjson "expected-$p.ndjson"; then
    echo "crash-test: $p: round $rounds: the output after $round_kills kills differs from an" \
      "uninterrupted run" >&2
    cmp out.ndjson "expected-$p.ndjson" >&2 || true
    mkdir -p "$root/build/crash-test-failure"
    cp -r "$work"/. "$root/build/crash-test-failure/"
    echo "crash-test: kept the files in build/crash-test-failure" >&2
    exit 1
  fi
  echo "crash-test: $p: round $rounds: $round_kills kills, output byte-identical" \
    "($(wc -l < out.ndjson) results)"
done
resumes=$(cat stderr-*.txt | grep -c "resumed from checkpoint" || true)
echo "crash-test: $total_kills kills in $rounds rounds, $resumes resumed from a checkpoint ($events events, kill delay up to" \
  "${max_delay} s, $(($(date +%s) - started)) s): every output byte-identical to an" \
  "uninterrupted run"
