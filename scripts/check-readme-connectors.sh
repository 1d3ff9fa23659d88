#!/usr/bin/env bash
# Runs the "Try it" commands of the README's connector sections exactly as written, and checks
# that they did what the README says. Keeps those sections true: scripts/ci-{s3,mongo,kafka}.sh
# run it for their connector while their server is up.
#
#   scripts/check-readme-connectors.sh [s3] [mongo] [kafka]   # default: all three
#
# In README.md, every ```sh block that follows a line `<!-- readme-check: NAME -->` belongs to
# connector NAME; its blocks run in order in one bash (`set -euo pipefail`, from the repository
# root), so an `eval` in one block holds for the next. The output goes to
# $REEL_README_CHECK_DIR/NAME.log (default a temporary directory, removed on success). The
# blocks start the service themselves (`up` leaves a running one alone) and never stop it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
connectors=("$@")
((${#connectors[@]})) || connectors=(s3 mongo kafka)
work=${REEL_README_CHECK_DIR:-$(mktemp -d)}
mkdir -p "$work"

fail() {
  echo "check-readme-connectors: $1: $2 (output: $work/$1.log)" >&2
  tail -n 40 "$work/$1.log" >&2 || true
  exit 1
}

# The blocks of one connector, concatenated.
blocks() {
  awk -v name="$1" '
    /^<!-- readme-check: / { tagged = ($3 == name); next }
    tagged && /^```sh$/ { inside = 1; next }
    inside && /^```$/ { inside = 0; tagged = 0; next }
    inside { print }
  ' README.md
}

for c in "${connectors[@]}"; do
  script=$work/$c.sh
  { echo "set -euo pipefail"; blocks "$c"; } >"$script"
  [ "$(wc -l <"$script")" -gt 1 ] || fail "$c" "no <!-- readme-check: $c --> block in README.md"
  echo "== README: the $c section's commands ($(($(wc -l <"$script") - 1)) lines)"
  # The Kafka section is written for a new broker: its topics and consumer group must not hold a
  # previous run's tickets and committed offsets (a second run dead-letters every ticket as late,
  # as the section explains), so the broker starts over, as on a fresh machine.
  [ "$c" != kafka ] || scripts/services/kafka.sh wipe >/dev/null
  if ! bash -x "$script" >"$work/$c.log" 2>&1; then
    fail "$c" "a command failed"
  fi
  log=$work/$c.log
  case $c in
    mongo)
      # Two runs of the example, each followed by the count of cinema.totals: 122 both times.
      [ "$(grep -c '^122$' "$log")" -ge 2 ] || fail "$c" "cinema.totals does not hold 122 documents after each run"
      grep -Eq '"movie": ?"[^"]+"' "$log" || fail "$c" "no window total read back"
      grep -Eq '^reel: movies_to_mongodb: finished: input 2400, output 122, ' "$log" ||
        fail "$c" "no summary line of a finished run"
      grep -Eq '^reel: movies_to_mongodb: resumed from checkpoint [0-9]+ in mongodb://atlas/reel\.checkpoints ' "$log" ||
        fail "$c" "the run with --state mongodb://... did not resume from its checkpoint"
      grep -Eq '^reel: load_movies: finished: input 6, output 6, ' "$log" ||
        fail "$c" "load-movies.json did not load the six movies"
      grep -Eq '"_id": ?"(Drama|Comedy|Animation|Musical|Science fiction)"' "$log" ||
        fail "$c" "no genre total of enrich-tickets.json (\$cachedLookup) read back"
      ;;
    s3)
      grep -Eq '^solar/[^ ]+\.json\.gz [0-9]+$' "$log" || fail "$c" "no object listed under solar/"
      grep -Eq '"device_id": ?"[^"]+"' "$log" || fail "$c" "no window result read back"
      grep -Eq '^reel: solar_to_s3: resumed from checkpoint [0-9]+ in s3://reel-solar/state/ ' "$log" ||
        fail "$c" "the run with --state s3://... did not resume from its checkpoint"
      grep -Eq '^state/checkpoint-[0-9]{20} [0-9]+$' "$log" || fail "$c" "no checkpoint object listed"
      ;;
    kafka)
      grep -Eq '^[A-Za-z].* \{"total":' "$log" || fail "$c" "no keyed total read from movie-totals"
      grep -Eq 'stopped by SIGINT: input [1-9][0-9]*, output [1-9][0-9]*' "$log" ||
        fail "$c" "the pipeline did not read the tickets and write totals"
      ;;
  esac
  echo "ok: $c"
done
[ -n "${REEL_README_CHECK_DIR:-}" ] || rm -rf "$work"
