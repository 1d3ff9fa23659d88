#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A real Prometheus (Debian's `prometheus`) scrapes `reel serve` every second, with the bearer
# token; its HTTP API must then return the processor's input counter, watermark lag and latency
# summary, with values that agree with the processor's stats.
#   tests/serve/prometheus.sh REEL
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
reel=$1
command -v prometheus >/dev/null || fail "prometheus is not installed (scripts/ci-serve.sh installs it)"

printf 'prometheus-test-token' >"$work/token"
start_server "$reel" --token-file "$work/token"
sp() { "$reel" sp "$@" --server "$url" --token-file "$work/token"; }
sp create solar "$here/data/solar_window.json" >/dev/null || fail "create solar"
sp start solar >/dev/null || fail "start solar"

port=$(free_port)
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: reel
    authorization:
      type: Bearer
      credentials_file: $work/token
    static_configs:
      - targets: ['${url#http://}']
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$port" --log.level=warn 2>"$work/prometheus.log" &
pids+=("$!")

# query PROMQL: the value of the query's single sample, or nothing.
query() {
  python3 - "http://127.0.0.1:$port/api/v1/query" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1] + "?" + urllib.parse.urlencode({"query": sys.argv[2]}),
                                timeout=2) as r:
        result = json.load(r)["data"]["result"]
except Exception:
    sys.exit(1)
if len(result) == 1:
    print(result[0]["value"][1])
PY
}
answered() { [ -n "$(query "$1")" ]; }
for q in 'reel_processor_input_messages_total{processor="solar"}' \
         'reel_processor_watermark_lag_seconds{processor="solar"}' \
         'reel_processor_latency_seconds_count{processor="solar"}'; do
  wait_until 60 answered "$q" || fail "Prometheus has no $q"
done

up=$(query 'up{job="reel"}')
[ "$up" = 1 ] || fail "up{job=\"reel\"} is '$up'"
input=$(query 'reel_processor_input_messages_total{processor="solar"}')
now=$(sp stats solar | sed -n 's/^ *"inputMessageCount": \([0-9]*\),$/\1/p')
echo "prometheus: input counter $input (stats now: $now)"
awk -v p="$input" -v n="$now" 'BEGIN { exit !(p > 0 && p <= n) }' ||
  fail "the scraped input counter $input is not in (0, $now]"
lag=$(query 'reel_processor_watermark_lag_seconds{processor="solar"}')
echo "prometheus: watermark lag $lag s"
# The sample stamps its events from the server's start on, faster than they are read (ten devices
# a second each): the watermark runs ahead of the clock, by minutes at most in this test.
awk -v l="$lag" 'BEGIN { exit !(l > -3600 && l < 3600) }' || fail "the watermark lag $lag s"
p99=$(query 'reel_processor_latency_seconds{processor="solar",quantile="0.99"}')
echo "prometheus: latency p99 $p99 s"
awk -v l="$p99" 'BEGIN { exit !(l >= 0 && l < 10) }' || fail "the latency p99 $p99 s"
rate=$(query 'sum(reel_operator_input_messages_total{processor="solar",operator="ValidateOperator"})')
[ -n "$rate" ] || fail "no per-operator counter"
echo "PASS"
