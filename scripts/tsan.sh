#!/usr/bin/env bash
# Builds the tests that use threads with ThreadSanitizer (in $BUILD_DIR, default build-tsan) and
# runs them. Only test_connector starts processing threads (stream_processor::start() with
# stats() and stop requests from the test's thread), so only it is built: a few minutes.
# Extra arguments go to the test executable (a Catch2 filter, e.g. "[threads]").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export BUILD_DIR=${BUILD_DIR:-$root/build-tsan}
REEL_SANITIZE=thread REEL_CMAKE_ARGS="${REEL_CMAKE_ARGS:-}" \
  "$root/scripts/build.sh" --target test_connector
# halt_on_error: the first race fails the run; second_deadlock_stack: both stacks of a lock cycle.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
"$BUILD_DIR/tests/test_connector" "$@"
