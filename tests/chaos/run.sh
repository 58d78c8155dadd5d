#!/usr/bin/env bash
# Runs the chaos loop with many kills: tests/chaos/run.sh KILLS [SEED]
# (CI runs 20 kills through ctest; docs/reliability.md records long runs).
# The node binary is copied first, so rebuilding during a long run is safe.
set -euo pipefail
cd "$(dirname "$0")/../.."
kills="${1:?usage: tests/chaos/run.sh KILLS [SEED]}"
seed="${2:-$RANDOM}"
bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target chaos_test ilp-node
bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
cp build/bin/ilp-node build/bin/chaos_test "$bin/"
ILP_BIN_DIR="$bin" ILP_CHAOS_KILLS="$kills" ILP_CHAOS_SEED="$seed" "$bin/chaos_test"
