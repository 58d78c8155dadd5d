#!/usr/bin/env bash
# Builds ilp-sync and runs every test through ctest. Installs missing Debian
# packages first. Safe to run twice: the build directory is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
cd build
ctest --output-on-failure -j2 --timeout 600
