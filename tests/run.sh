#!/usr/bin/env bash
# Builds ilp-sync and runs every test through ctest. Installs missing Debian
# packages first. Safe to run twice: the build directory is reused.
#
#   tests/run.sh                    RelWithDebInfo build in build/
#   tests/run.sh --sanitize         clang 14, ASan+UBSan and -Werror=thread-safety, in build-asan/
#   tests/run.sh --sanitize=thread  clang 14, TSan, in build-tsan/ (not in CI)
#   tests/run.sh [--sanitize] -R X  further arguments go to ctest
#
# Under a sanitizer every process (test binaries, the ilp-node and ilpctl they
# spawn) writes its reports to <build>/sanitizer-reports/; any report there
# fails the run, even from a child that a test killed afterwards
# (docs/reliability.md, "Locks and sanitizers"). ILP_JOBS (default 2) sets
# build and ctest parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize="" build=build
case "${1:-}" in
  --sanitize | --sanitize=address) sanitize=address build=build-asan; shift ;;
  --sanitize=thread) sanitize=thread build=build-tsan; shift ;;
  --sanitize=*) echo "usage: tests/run.sh [--sanitize[=address|thread]] [ctest args]" >&2; exit 2 ;;
esac
jobs="${ILP_JOBS:-2}"
if [ "$(id -u)" -ne 0 ]; then
  # DiskFullProcessTest mounts a small tmpfs; without root it skips (and says so).
  echo "note: not root: the real small-filesystem tests (DiskFullProcessTest) will be skipped" >&2
fi

# Test-only npm packages, each pinned by its lockfile and installed before
# configuring (CMake looks for node) into <build>/<name>; the tests that use
# them fail without them:
#   tests/fhir/r4-schema -> fhir-r4-schema: the official FHIR R4 JSON schema
#     validator (fhir_r4_schema and the exporter's schema checks);
#   tests/satusehat/server -> satusehat-server: the FHIR server library the
#     SATUSEHAT-like test endpoint is built on (satusehat_*_test).
install_npm_set() {  # <build> <package dir> <name>
  command -v npm >/dev/null || bash deploy/install-deps.sh --npm
  mkdir -p "$1/$3"
  cp "$2/package.json" "$2/package-lock.json" "$1/$3/"
  (cd "$1/$3" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
}
install_test_packages() {
  install_npm_set "$1" tests/fhir/r4-schema fhir-r4-schema
  install_npm_set "$1" tests/satusehat/server satusehat-server
}

if [ -z "$sanitize" ]; then
  bash deploy/install-deps.sh
  install_test_packages build
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$jobs"
  cd build
  ctest --output-on-failure -j"$jobs" --timeout 600 "$@"
  exit
fi

bash deploy/install-deps.sh --clang
install_test_packages "$build"
reports="$PWD/$build/sanitizer-reports"
rm -rf "$reports" && mkdir -p "$reports"
supp="$PWD/tests/sanitize"
common="log_path=$reports/report:log_exe_name=1:print_suppressions=0"
# Exported before the build: gtest_discover_tests runs each test binary then.
export ASAN_OPTIONS="$common:halt_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1"
export LSAN_OPTIONS="$common:suppressions=$supp/lsan.supp"
export UBSAN_OPTIONS="$common:halt_on_error=1:print_stacktrace=1"
export TSAN_OPTIONS="$common:halt_on_error=0:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
extra=()
# The ASan build also instruments for libFuzzer and runs each fuzz target
# briefly as a ctest test (fuzz.*; tests/fuzz/run_one.sh).
[ "$sanitize" = address ] && extra+=(-DILP_FUZZ=ON)
command -v ccache >/dev/null && extra+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DILP_SANITIZE="$sanitize" "${extra[@]}" >/dev/null
cmake --build "$build" -j"$jobs"
rc=0
(cd "$build" && ctest --output-on-failure -j"$jobs" --timeout 600 "$@") || rc=$?
shopt -s nullglob
found=("$reports"/*)
for f in "${found[@]}"; do
  echo "===== sanitizer report $(basename "$f") ====="
  cat "$f"
done
if [ ${#found[@]} -gt 0 ]; then
  echo "${#found[@]} sanitizer report(s) in $reports" >&2
  exit 1
fi
exit "$rc"
