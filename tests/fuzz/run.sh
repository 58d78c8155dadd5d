#!/usr/bin/env bash
# Builds the libFuzzer targets (clang 14, build-fuzz/) and runs each for
# SECONDS (default 20) through tests/fuzz/run_one.sh: crash regressions
# first, then a copy of the seed corpus. Fails on any crash, leak, sanitizer
# report or broken invariant; the input that found it is kept in
# build-fuzz/fuzz-out/artifacts/. Runs one target at a time on one core.
# (CI runs each target for ILP_FUZZ_CI_SECONDS inside tests/run.sh --sanitize.)
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_EACH="${1:-20}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(sync_session_fuzz batch_codec_fuzz columnar_fuzz records_request_fuzz config_fuzz bundle_reader_fuzz)

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
status=0
for t in "${TARGETS[@]}"; do
  bash tests/fuzz/run_one.sh "build-fuzz/bin/$t" "$SECONDS_EACH" "$OUT" || status=1
done
exit $status
