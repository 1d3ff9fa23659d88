#!/usr/bin/env bash
# Installs ahead of time what the connector and serve stages of .ci/run need: their Debian
# packages (one apt-get; prometheus and chromium for scripts/ci-serve.sh), the S3 server and
# FerretDB (Go builds), the pymongo client and Kafka's jars (Maven).
# .ci/run starts it in the background once scripts/setup.sh has run, so these downloads wait on
# the network while the suite builds; it waits for it before the first connector stage. Each
# stage still installs whatever is missing by itself, so a failure here only costs time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ -x /usr/local/go/bin/go ] && PATH=$PATH:/usr/local/go/bin

packages=(libcurl4-openssl-dev libssl-dev zlib1g-dev libmongoc-dev librdkafka-dev
          openjdk-17-jre-headless maven kcat python3-venv curl prometheus chromium)
command -v go >/dev/null || packages+=(golang-go)
"$root/scripts/apt-install.sh" ci-prefetch "${packages[@]}"
for service in s3 mongo kafka; do
  start=$SECONDS
  "$root/scripts/services/$service.sh" install
  echo "ci-prefetch: $service installed ($((SECONDS - start)) s)" >&2
done
