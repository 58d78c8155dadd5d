#!/usr/bin/env bash
# Runs SEEDS seeds (default 10) of the district simulation, from FIRST
# (default 1), at SIZE (default district): tests/sim/run.sh [SEEDS] [SIZE] [FIRST]
# A failing seed prints its violations and the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/../.."
seeds="${1:-10}" size="${2:-district}" first="${3:-1}"
if [ ! -x build/bin/ilp-sim ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j1 --target ilp-sim
fi
exec build/bin/ilp-sim --seed "$first" --seeds "$seeds" --size "$size"
