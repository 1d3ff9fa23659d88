#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The dashboard of `reel serve` in headless Chromium, with the token on: the page lists the
# processors and draws the rate chart of the running one with live data (it writes what it drew
# into #reel-status, which --dump-dom shows); a screenshot is kept as ARTIFACTS/dashboard.png.
#   tests/serve/dashboard.sh REEL ARTIFACTS
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
reel=$1
artifacts=$2
mkdir -p "$artifacts"
command -v chromium >/dev/null || fail "chromium is not installed (scripts/ci-serve.sh installs it)"

printf 'dashboard-test-token' >"$work/token"
start_server "$reel" --token-file "$work/token"
sp() { "$reel" sp "$@" --server "$url" --token-file "$work/token"; }
sp create solar "$here/data/solar_window.json" >/dev/null || fail "create solar"
sp create idle "$here/data/idle.json" >/dev/null || fail "create idle"
sp start solar >/dev/null || fail "start solar"
has_dlq_records() { sp stats solar | grep -q '"dlqMessageCount": [1-9]'; }
wait_until 30 has_dlq_records || fail "solar sent nothing to its DLQ"

# The token goes in the address's fragment, which the page moves to sessionStorage (it is never
# sent to the server). Chromium's virtual time runs the page's polls (one a second) at once.
browser=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
         --user-data-dir="$work/chromium" --virtual-time-budget=6000)
page="$url/#token=dashboard-test-token"
"${browser[@]}" --dump-dom "$page" >"$work/dom.html" 2>"$work/chromium.log" ||
  fail "chromium --dump-dom"
status=$(grep -o '<div id="reel-status"[^>]*>' "$work/dom.html")
echo "dashboard: $status"
[[ $status == *'data-processors="idle,solar"'* ]] || fail "the page does not list both processors"
drawn=$(sed -n 's/.*data-drawn-points="\([0-9]*\)".*/\1/p' <<<"$status")
[ "${drawn:-0}" -ge 3 ] || fail "the rate chart drew ${drawn:-no} points"
input=$(sed -n 's/.*data-input-messages="\([0-9]*\)".*/\1/p' <<<"$status")
[ "${input:-0}" -gt 0 ] || fail "no live input counts on the page"
grep -q 'ValidateOperator' "$work/dom.html" || fail "the latest DLQ records are not shown"
grep -q 'dashboard-test-token' "$work/dom.html" && fail "the token is in the page"

# Without the token the page asks for it.
"${browser[@]}" --dump-dom "$url/" >"$work/dom-no-token.html" 2>>"$work/chromium.log" ||
  fail "chromium --dump-dom without a token"
grep -q 'token required' "$work/dom-no-token.html" || fail "the page does not ask for the token"

"${browser[@]}" --window-size=1280,800 --screenshot="$artifacts/dashboard.png" "$page" \
  2>>"$work/chromium.log" || fail "chromium --screenshot"
[ -s "$artifacts/dashboard.png" ] || fail "no screenshot"
echo "dashboard: screenshot $artifacts/dashboard.png"
echo "PASS"
