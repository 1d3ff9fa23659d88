#!/usr/bin/env bash
# Installs what Reel needs to build and test on Debian 12 (skips what is already there).
set -euo pipefail
packages=(cmake ninja-build g++ pkg-config clang-format libfmt-dev nlohmann-json3-dev catch2 libsimdjson-dev libbson-dev libpcre2-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
