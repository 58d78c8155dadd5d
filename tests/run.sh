#!/usr/bin/env bash
# Builds ilp-sync and runs every test through ctest. Installs missing Debian
# packages first. Safe to run twice: the build directory is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
cd build
if [ "$(id -u)" -ne 0 ]; then
  # DiskFullProcessTest mounts a small tmpfs; without root it skips (and says so).
  echo "note: not root: the real small-filesystem tests (DiskFullProcessTest) will be skipped" >&2
fi
ctest --output-on-failure -j2 --timeout 600
