#!/usr/bin/env bash
# Runs the benchmarks (docs/performance.md): ilp-bench on the 4-tier chain
# with N visits (default 100000), the slow-link run (60 visitors over
# 64 kbit/s, 600 ms RTT), and the merge and apply micro-benchmarks.
# Installs missing Debian packages and builds first; safe to run twice.
#
#   tests/bench/run.sh            # N = 100000
#   tests/bench/run.sh 1000000
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100000}
bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target ilp-node ilp-bench merge_bench apply_bench columnar_bench
echo "== ilp-bench --n $N"
build/bin/ilp-bench --n "$N"
echo
echo "== ilp-bench --slow-link 60"
build/bin/ilp-bench --slow-link 60
echo
echo "== micro-benchmarks"
build/bin/merge_bench --benchmark_min_time=0.5
build/bin/apply_bench --benchmark_min_time=1
build/bin/columnar_bench --benchmark_min_time=1
