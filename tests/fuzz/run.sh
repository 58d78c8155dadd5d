#!/usr/bin/env bash
# Builds the libFuzzer targets (clang 14, build-fuzz/) and runs each for
# SECONDS (default 20) on a copy of its seed corpus, after replaying the
# crash regressions in tests/fuzz/regressions/<target>/. Fails on any crash,
# leak, sanitizer report or broken invariant; the input that found it is kept
# in build-fuzz/fuzz-out/artifacts/. Runs one target at a time on one core.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH="${1:-20}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(sync_session_fuzz batch_codec_fuzz records_request_fuzz config_fuzz)

bash deploy/install-deps.sh --clang
LAUNCHER=()
if command -v ccache >/dev/null; then
  LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DILP_FUZZ=ON "${LAUNCHER[@]}" >/dev/null
cmake --build build-fuzz -j"${ILP_FUZZ_JOBS:-1}" --target "${TARGETS[@]}"

OUT=build-fuzz/fuzz-out
rm -rf "$OUT"
mkdir -p "$OUT/artifacts"
# The targets keep a RocksDB store in TMPDIR: memory is much faster than disk.
if [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
status=0
for t in "${TARGETS[@]}"; do
  bin="build-fuzz/bin/$t"
  corpus="tests/fuzz/corpus/${t%_fuzz}"
  regressions="tests/fuzz/regressions/${t%_fuzz}"
  if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    echo "== $t: replaying $regressions"
    # Each regression on a fresh store, as it was found.
    ILP_FUZZ_RESET_EVERY=1 "$bin" "$regressions"/* >"$OUT/$t-regressions.log" 2>&1 || {
      echo "FAIL: $t regression"; tail -40 "$OUT/$t-regressions.log"; status=1; continue; }
  fi
  work="$OUT/$t-corpus"
  mkdir -p "$work"
  cp -r "$corpus"/. "$work"/
  dict=(); [ -f "tests/fuzz/${t%_fuzz}.dict" ] && dict=(-dict="tests/fuzz/${t%_fuzz}.dict")
  echo "== $t: ${SECONDS_EACH}s"
  # -entropic=0: clang 14's entropic schedule spent half of every run updating
  # feature frequencies (perf, sync_session_fuzz); the classic one runs twice the inputs.
  if nice -n 10 "$bin" "$work" "${dict[@]}" -max_total_time="$SECONDS_EACH" -timeout=30 -rss_limit_mb=2560 \
      -entropic=0 -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" >"$OUT/$t.log" 2>&1; then
    grep -E "stat::number_of_executed_units|stat::average_exec_per_sec" "$OUT/$t.log" | tr '\n' ' '
    echo
  else
    echo "FAIL: $t (log $OUT/$t.log)"; grep -A30 -m1 -E "ERROR|invariant|SUMMARY" "$OUT/$t.log" || tail -40 "$OUT/$t.log"
    status=1
  fi
done
exit $status
