#!/usr/bin/env bash
# Runs one libFuzzer target: replays its crash regressions
# (tests/fuzz/regressions/<name>/), then fuzzes a copy of its seed corpus
# (tests/fuzz/corpus/<name>/) for SECONDS. Fails on any crash, leak,
# sanitizer report or broken invariant; the input that found it is kept in
# OUT/artifacts/. Used by tests/fuzz/run.sh and by ctest (fuzz.<target>).
#   tests/fuzz/run_one.sh BIN SECONDS OUT
set -euo pipefail
bin="$1" secs="$2" out="$3"
src="$(cd "$(dirname "$0")" && pwd)"
t="$(basename "$bin")"
name="${t%_fuzz}"
mkdir -p "$out/artifacts"
# The targets keep a RocksDB store in TMPDIR: memory is much faster than disk.
if [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
regressions="$src/regressions/$name"
if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
  echo "== $t: replaying $regressions"
  # Each regression on a fresh store, as it was found.
  ILP_FUZZ_RESET_EVERY=1 "$bin" "$regressions"/* >"$out/$t-regressions.log" 2>&1 || {
    echo "FAIL: $t regression"; tail -40 "$out/$t-regressions.log"; exit 1; }
fi
work="$out/$t-corpus"
rm -rf "$work" && mkdir -p "$work"
cp -r "$src/corpus/$name"/. "$work"/
dict=()
[ -f "$src/$name.dict" ] && dict=(-dict="$src/$name.dict")
echo "== $t: ${secs}s"
# -entropic=0: clang 14's entropic schedule spent half of every run updating
# feature frequencies (perf, sync_session_fuzz); the classic one runs twice the inputs.
if nice -n 10 "$bin" "$work" "${dict[@]}" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2560 \
    -entropic=0 -print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" >"$out/$t.log" 2>&1; then
  grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb" "$out/$t.log" | tr '\n' ' '
  echo
else
  echo "FAIL: $t (log $out/$t.log)"
  grep -A30 -m1 -E "ERROR|invariant|SUMMARY" "$out/$t.log" || tail -40 "$out/$t.log"
  exit 1
fi
