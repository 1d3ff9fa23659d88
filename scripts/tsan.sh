#!/usr/bin/env bash
# Builds the tests that use threads with ThreadSanitizer (in $BUILD_DIR, default build-tsan) and
# runs them: test_threads (stream_processor::start() with stats() and stop requests from the
# test's thread; tests/unit/threads holds only such tests, so TSan does not compile the rest), test_serve (reel serve's host: processors on their threads, an HTTP server's
# threads calling into them), test_enrichment (functions that answer on their own thread) and the
# reel program's tests (`reel run` polls stats() while the processor runs and stops it on a
# signal). No other test starts a thread; the compiled connectors' tests need
# their services and run in their own CI stages. A few minutes from a cold build.
# Extra arguments go to test_threads (a Catch2 filter, e.g. "[threads]").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export BUILD_DIR=${BUILD_DIR:-$root/build-tsan}
REEL_SANITIZE=thread REEL_CMAKE_ARGS="-DREEL_BUILD_BENCHMARKS=OFF -DREEL_BUILD_EXAMPLES=OFF ${REEL_CMAKE_ARGS:-}" \
  "$root/scripts/build.sh" --target test_threads test_serve test_enrichment reel_cli
# halt_on_error: the first race fails the run; second_deadlock_stack: both stacks of a lock cycle.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
"$BUILD_DIR/tests/test_threads" "$@"
"$BUILD_DIR/tests/test_serve"
# Enrichment calls answered on other threads (reel/json/enrichment.hpp).
"$BUILD_DIR/tests/test_enrichment"
# A report makes reel exit 66 with the report on stderr, which the CLI tests check.
ctest --test-dir "$BUILD_DIR" -R '^cli: ' --output-on-failure -j"$(nproc)"
