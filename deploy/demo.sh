#!/usr/bin/env bash
# Builds ilp-sync and runs the demo on loopback: one ilp-node (a Puskesmas),
# a posyandu day and a referral round trip recorded over gRPC, then read back
# with ilpctl. Installs missing Debian packages first; safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target ilp-node ilpctl ilp-demo
BIN="$ROOT/build/bin"

WORK=$(mktemp -d /tmp/ilp-demo.XXXXXX)
NODE_PID=""
cleanup() {
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill -TERM "$NODE_PID"
    wait "$NODE_PID" || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/pkm.textproto" <<CFG
node_id: "pkm-oebobo"
tier: PUSKESMAS
working_area: "537103"
listen_address: "127.0.0.1:0"
data_dir: "$WORK/pkm-data"
ready_file: "$WORK/pkm.ready"
CFG

echo "== Starting ilp-node pkm-oebobo (Puskesmas Oebobo, Kota Kupang)"
"$BIN/ilp-node" --config "$WORK/pkm.textproto" 2>"$WORK/pkm.log" &
NODE_PID=$!
for _ in $(seq 1 300); do
  [ -s "$WORK/pkm.ready" ] && break
  kill -0 "$NODE_PID" 2>/dev/null || { cat "$WORK/pkm.log"; exit 1; }
  sleep 0.1
done
[ -s "$WORK/pkm.ready" ] || { echo "node did not start"; cat "$WORK/pkm.log"; exit 1; }
ADDR=$(cat "$WORK/pkm.ready")
echo "   serving on $ADDR (pid $NODE_PID)"

# The posyandu's kader records; the referral goes to this Puskesmas.
"$BIN/ilp-demo" --node "$ADDR" --refer-to pkm-kupang-rujukan

echo "== ilpctl patient find --village 5371031001"
"$BIN/ilpctl" --node "$ADDR" patient find --village 5371031001
echo "== ilpctl tasks --all (follow-up tasks addressed to this node)"
"$BIN/ilpctl" --node "$ADDR" tasks --all
echo "== ilpctl changes (the change feed other apps follow)"
"$BIN/ilpctl" --node "$ADDR" changes | tail -n 8

echo "== Stopping the node (SIGTERM)"
kill -TERM "$NODE_PID"
wait "$NODE_PID"
NODE_PID=""
echo "   stopped cleanly"
