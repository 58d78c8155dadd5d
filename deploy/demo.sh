#!/usr/bin/env bash
# Builds ilp-sync and runs a local district on loopback: posyandu -> pustu ->
# puskesmas -> district, four ilp-node processes syncing every 2 s. Records a
# posyandu day, shows it arriving at the district (which the posyandu never
# contacts), runs the referral round trip, prints where each record is, and
# stops every process it started. Every link is TLS with certificates from a
# district CA made by `ilpctl pki` (docs/security.md). Installs missing Debian packages first;
# safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
bash deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target ilp-node ilpctl ilp-demo
BIN="$ROOT/build/bin"
WORK=$(mktemp -d /tmp/ilp-demo.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
VILLAGE=5371031001   # Kelurahan Oetete, Kecamatan Oebobo, Kota Kupang
PKI="$WORK/pki"

echo "== District CA (ilpctl pki): one certificate per node, one for the operator"
"$BIN/ilpctl" pki init --dir "$PKI" --district kupang
for n in dinkes-kupang pkm-oebobo pustu-oetete pos-mawar; do
  "$BIN/ilpctl" pki issue-node --dir "$PKI" --node-id "$n" --host 127.0.0.1 --host localhost >/dev/null
done
"$BIN/ilpctl" pki issue-operator --dir "$PKI" --name demo-operator >/dev/null
export ILPCTL_CA="$PKI/ca.crt" ILPCTL_CERT="$PKI/operator-demo-operator.crt" ILPCTL_KEY="$PKI/operator-demo-operator.key"
echo "   $(ls "$PKI" | tr '\n' ' ')"

echo "== App tokens (ilpctl token; docs/security.md): the district's key, one token per person"
"$BIN/ilpctl" token keygen --dir "$PKI" >/dev/null
issue() { "$BIN/ilpctl" token issue --key "$PKI/token.key" --ttl 1d "$@"; }
OTHER_VILLAGE=5371031002
KADER=$(issue --sub kader-yuliana --role kader --area $VILLAGE --node pos-mawar)
BIDAN=$(issue --sub bidan-maria --role bidan --area $OTHER_VILLAGE)
DOKTER=$(issue --sub dokter-pkm-oebobo --role dokter --area 537103 --node pkm-oebobo)
OFFICER=$(issue --sub officer-dinkes --role programme --area 5371 --scope records:read --scope admin:read)
echo "   kader-yuliana (kader, $VILLAGE), bidan-maria (bidan, $OTHER_VILLAGE),"
echo "   dokter-pkm-oebobo (dokter, 537103), officer-dinkes (programme, 5371, read only)"
# Admin commands below use the operator certificate; Records reads the officer's token.
rd() { "$BIN/ilpctl" --token "$OFFICER" "$@"; }

# start NAME TIER AREA PARENT_ID CHILD_ID CHILD_AREA: writes a config and starts a node.
start() {
  local name=$1 tier=$2 area=$3 parent=$4 child=$5 child_area=$6
  {
    echo "node_id: \"$name\""; echo "tier: $tier"; echo "working_area: \"$area\""
    echo "listen_address: \"127.0.0.1:0\""; echo "data_dir: \"$WORK/$name\""
    echo "ready_file: \"$WORK/$name.ready\""; echo "sync_interval_s: 2"
    echo "metrics_listen: \"127.0.0.1:0\""
    echo "tls { ca_file: \"$PKI/ca.crt\" cert_file: \"$PKI/$name.crt\" key_file: \"$PKI/$name.key\" crl_dir: \"$PKI/crl\" }"
    echo "auth { token_public_key_file: \"$PKI/token.pub\" }"
    if [ -n "$parent" ]; then
      echo "parent_id: \"$parent\""; echo "parent_address: \"$(head -n1 "$WORK/$parent.ready")\""
    fi
    if [ -n "$child" ]; then echo "children { node_id: \"$child\" working_area: \"$child_area\" }"; fi
  } > "$WORK/$name.textproto"
  "$BIN/ilp-node" --config "$WORK/$name.textproto" 2>"$WORK/$name.log" &
  PIDS+=($!)
  for _ in $(seq 1 300); do [ -s "$WORK/$name.ready" ] && break; sleep 0.1; done
  [ -s "$WORK/$name.ready" ] || { echo "$name did not start:"; cat "$WORK/$name.log"; exit 1; }
  printf '   %-15s %-10s area %-10s on %s\n' "$name" "$tier" "$area" "$(head -n1 "$WORK/$name.ready")"
}
addr() { head -n1 "$WORK/$1.ready"; }
# wait_for DESCRIPTION COMMAND...: retries for up to 60 s until the command succeeds.
wait_for() {
  local what=$1; shift
  for _ in $(seq 1 120); do "$@" >/dev/null 2>&1 && { echo "   ok: $what"; return 0; }; sleep 0.5; done
  echo "   timed out: $what"; exit 1
}
has_patients() { rd --node "$(addr "$1")" patient find --village $VILLAGE | grep -q .; }
has_task() { rd --node "$(addr "$1")" tasks --for pos-mawar --all | grep -q "$2"; }

echo "== Starting the district on loopback (parents first; children dial their parent)"
start dinkes-kupang DISTRICT 5371 "" pkm-oebobo 537103
start pkm-oebobo PUSKESMAS 537103 dinkes-kupang pustu-oetete $VILLAGE
start pustu-oetete PUSTU $VILLAGE pkm-oebobo pos-mawar $VILLAGE
start pos-mawar POSYANDU $VILLAGE pustu-oetete "" ""

echo
"$BIN/ilp-demo" --ca "$ILPCTL_CA" --token "$KADER" --node "$(addr pos-mawar)" --step posyandu --refer-to pkm-oebobo | tee "$WORK/day.txt"
REF=$(awk '/^referral-id/ {print $2}' "$WORK/day.txt")
echo
echo "== Waiting for the posyandu's records to reach the district (via pustu and puskesmas)"
wait_for "patients of village $VILLAGE at dinkes-kupang" has_patients dinkes-kupang
rd --node "$(addr dinkes-kupang)" patient find --village $VILLAGE

echo
wait_for "referral $REF at pkm-oebobo" rd --node "$(addr pkm-oebobo)" patient find --village $VILLAGE
"$BIN/ilp-demo" --ca "$ILPCTL_CA" --token "$DOKTER" --node "$(addr pkm-oebobo)" --step answer --referral "$REF"
wait_for "follow-up task down at pos-mawar" has_task pos-mawar OPEN
"$BIN/ilp-demo" --ca "$ILPCTL_CA" --token "$KADER" --node "$(addr pos-mawar)" --step followup
wait_for "task outcome up at dinkes-kupang" has_task dinkes-kupang TASK_COMPLETED
rd --node "$(addr dinkes-kupang)" tasks --for pos-mawar --all

echo
echo "== Where each record is (change-log entries and patients per node)"
printf '   %-15s %8s %9s\n' node changes patients
for n in pos-mawar pustu-oetete pkm-oebobo dinkes-kupang; do
  changes=$(rd --node "$(addr "$n")" changes | wc -l)
  patients=$(rd --node "$(addr "$n")" patient find --village $VILLAGE | wc -l)
  printf '   %-15s %8s %9s\n' "$n" "$changes" "$patients"
done

echo
echo "== Need-to-know and the audit trail (docs/security.md)"
BUDI=$(awk '/Budi Santoso/ {print $2; exit}' "$WORK/day.txt")
"$BIN/ilp-demo" --ca "$ILPCTL_CA" --token "$BIDAN" --node "$(addr pkm-oebobo)" --step posyandu \
  --village $OTHER_VILLAGE --refer-to "" > "$WORK/other.txt"
OTHER=$(awk '/^  patient / {print $2; exit}' "$WORK/other.txt")
echo "-- kader-yuliana reads Budi, of her own village, at pos-mawar"
"$BIN/ilpctl" --token "$KADER" --node "$(addr pos-mawar)" patient get "$BUDI" | head -n 3
echo "-- kader-yuliana asks pkm-oebobo for a patient of village $OTHER_VILLAGE: denied"
"$BIN/ilpctl" --token "$KADER" --node "$(addr pkm-oebobo)" patient get "$OTHER" 2>&1 | head -n 2 || true
wait_for "kader-yuliana's read of Budi in the district's audit trail" \
  sh -c "\"$BIN/ilpctl\" --token \"$OFFICER\" --node \"$(addr dinkes-kupang)\" audit --patient \"$BUDI\" | grep -q 'kader-yuliana.*GetPatient'"
echo "-- ilpctl audit --patient Budi, asked at the district: who read or wrote him, where and when"
rd --node "$(addr dinkes-kupang)" audit --patient "$BUDI"

echo
echo "== What an operator sees (ilpctl; docs/operations.md)"
echo "-- ilpctl tree, asked at the district: every node below, from status relayed up in sync"
"$BIN/ilpctl" --node "$(addr dinkes-kupang)" tree
echo "-- ilpctl status at the puskesmas (exit 4 would mean a peer's last sync failed)"
"$BIN/ilpctl" --node "$(addr pkm-oebobo)" status || true
echo "-- ilpctl sync now --wait at the posyandu"
"$BIN/ilpctl" --node "$(addr pos-mawar)" sync now --wait
echo "-- ilpctl verify at the district"
"$BIN/ilpctl" --node "$(addr dinkes-kupang)" verify
echo "-- Prometheus metrics of the district (sync sessions per peer)"
metrics=$(sed -n 2p "$WORK/dinkes-kupang.ready")
exec 3<>"/dev/tcp/${metrics%:*}/${metrics##*:}"
printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3
grep '^ilp_sync_sessions_total\|^ilp_records' <&3 || true
exec 3>&-

echo "-- an operator certificate from another CA is refused by the node; plaintext gets no answer"
"$BIN/ilpctl" pki init --dir "$WORK/intruder" --district kupang >/dev/null
"$BIN/ilpctl" pki issue-operator --dir "$WORK/intruder" --name mallory >/dev/null
echo "   other CA:  $("$BIN/ilpctl" --cert "$WORK/intruder/operator-mallory.crt" \
  --key "$WORK/intruder/operator-mallory.key" --node "$(addr dinkes-kupang)" status 2>&1 | head -n1 || true)"
echo "   plaintext: $("$BIN/ilpctl" --insecure --node "$(addr dinkes-kupang)" status 2>&1 | head -n1 || true)"

echo
echo "== Stopping every node (SIGTERM)"
for pid in "${PIDS[@]}"; do kill -TERM "$pid"; wait "$pid" || true; done
PIDS=()
echo "   all stopped"
