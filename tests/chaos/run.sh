#!/usr/bin/env bash
# Runs the chaos loop with many kills: tests/chaos/run.sh KILLS [SEED]
# (CI runs 20 kills through ctest; docs/reliability.md records long runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
kills="${1:?usage: tests/chaos/run.sh KILLS [SEED]}"
seed="${2:-$RANDOM}"
bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target chaos_test ilp-node
ILP_CHAOS_KILLS="$kills" ILP_CHAOS_SEED="$seed" build/bin/chaos_test
