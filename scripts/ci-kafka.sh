#!/usr/bin/env bash
# CI for the Kafka connector (reel::kafka): installs librdkafka, starts a real Apache Kafka broker
# (KRaft, scripts/services/kafka.sh, which installs Java, Maven and kcat itself when missing),
# builds with -DREEL_WITH_KAFKA=ON in build-kafka and runs the connector's tests
# (`ctest -R kafka`: the mock-cluster tests and the broker_*.cpp integration tests, including the
# scale-out tests that run the `reel` program) with REEL_REQUIRE_SERVICES=1, so a test that
# cannot reach the broker fails instead of skipping, then the Kafka half of the crash test
# (exactly-once output after 15 SIGKILLs) and the README's Kafka section. The broker is stopped
# on exit.
# BUILD_DIR overrides build-kafka, BUILD_TYPE RelWithDebInfo.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build_dir=${BUILD_DIR:-$root/build-kafka}

"$root/scripts/setup.sh"
"$root/scripts/apt-install.sh" ci-kafka librdkafka-dev

trap '"$root/scripts/services/kafka.sh" down' EXIT
"$root/scripts/services/kafka.sh" up
eval "$("$root/scripts/services/kafka.sh" env)"
export REEL_KAFKA_BROKERS REEL_REQUIRE_SERVICES=1

# The CLI stays on: the scale-out tests run two `reel` processes in one consumer group.
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DREEL_WITH_KAFKA=ON -DREEL_BUILD_CLI=ON -DREEL_BUILD_BENCHMARKS=OFF \
  -DREEL_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target reel_kafka test_kafka reel_cli
# -j2: the mock-cluster tests run beside the broker tests, which take turns (RESOURCE_LOCK).
ctest --test-dir "$build_dir" -R kafka --output-on-failure -j2

# The crash test's Kafka half: Kafka → tumbling and session windows → Kafka in exactly-once mode,
# 6 SIGKILLs over both pipelines (the file half's 50 run in the default suite: ctest "crash test:
# 50 kills", the 50 the issue asks of CI; 15 here took 95 s of the run). `scripts/crash-test.sh
# --kafka --kills 1000` is the long trial, run by hand.
"$root/scripts/crash-test.sh" --kafka --kills 6 --events 5000 --reel "$build_dir/tools/reel/reel"

# The README's Kafka section, run as written (it builds an optimised reel in build-release).
"$root/scripts/check-readme-connectors.sh" kafka
