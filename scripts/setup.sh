#!/usr/bin/env bash
# Installs what Reel needs to build and test on Debian 12 (skips what is already there).
set -euo pipefail
packages=(cmake ninja-build g++ pkg-config clang-format libfmt-dev nlohmann-json3-dev catch2 libsimdjson-dev libbson-dev libpcre2-dev libcpp-httplib-dev)
"$(dirname "$0")/apt-install.sh" setup "${packages[@]}"
