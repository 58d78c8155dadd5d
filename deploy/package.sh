#!/usr/bin/env bash
# Builds the Debian package build/ilp-sync_<version>_<arch>.deb (docs/deployment.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target ilp-node ilpctl ilp_changelog ilp_man_pages
(cd build && cpack -G DEB >/dev/null)
ls build/ilp-sync_*.deb
