#!/usr/bin/env bash
# Installs the Debian 12 packages ilp-sync builds and runs with. Safe to run twice:
# it only calls apt-get when a package is missing.
set -euo pipefail
PKGS=(
  build-essential cmake pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libgtest-dev libgmock-dev
  faketime libcli11-dev libspdlog-dev libzstd-dev libsodium-dev libcivetweb-dev libbenchmark-dev
  libssl-dev openssl libsystemd-dev prometheus-cpp-dev nlohmann-json3-dev libcurl4-openssl-dev
  lintian fakeroot dpkg-dev help2man
)
# --clang adds clang 14 and its sanitizer and libFuzzer runtimes (tests/run.sh --sanitize, tests/fuzz/run.sh).
if [ "${1:-}" = "--clang" ]; then PKGS+=(clang-14 libclang-rt-14-dev); fi
# --npm adds npm, for the test-only npm packages (tests/run.sh): the FHIR R4 schema
# validator and the FHIR server library of the SATUSEHAT test endpoint.
if [ "${1:-}" = "--npm" ]; then PKGS+=(npm); fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
