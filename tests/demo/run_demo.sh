#!/usr/bin/env bash
# `make demo`: the whole path, with no hardware and nothing shared with the machine.
#   1. bsf-sim (simulated BSF + HSS) with a freshly generated subscriber;
#   2. soft-usim holding that subscriber's keys, plugged into a private pcscd via vpcd;
#   3. gbabridged on that reader, with a policy for the demo's own uid;
#   4. an application's view: a Ks_(ext_)NAF for mef.example.com through the CLI;
#   5. the NAF's view: the same key fetched from bsf-sim over Zn;
#   6. a TLS-PSK handshake (TS 33.222) between the example device application and the
#      example NAF server, keyed with that key.
# Everything it starts is stopped at the end, on error and on Ctrl-C.
set -euo pipefail

build_dir=${1:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
# A relative build directory is taken from the source tree (make demo), an absolute one as is
# (ctest).
case "$build_dir" in
  /*) bin="$build_dir" ;;
  *) bin="$root/$build_dir" ;;
esac
cli="$bin/bootstrap/gbabridge"
daemon="$bin/bootstrap/gbabridged"
soft_usim="$bin/uicc/soft-usim"
bsf_sim="$bin/bsf_sim/bsf-sim"
tls_naf="$bin/examples/gba-tls-naf"
tls_device="$bin/examples/gba-tls-device"
work=$(mktemp -d /tmp/gbabridge-demo-XXXXXX)
pids=()

cleanup() {
  local rc=$?
  # Stop in reverse start order, only what this script started.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  if [ "$rc" -eq 130 ]; then
    echo "demo interrupted; everything it started has been stopped" >&2
  elif [ "$rc" -ne 0 ]; then
    echo "demo failed (exit $rc); logs:" >&2
    for f in "$work"/*.log; do [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_for_line() {  # FILE REGEX PID
  for _ in $(seq 400); do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || { echo "process $3 exited; see $1" >&2; cat "$1" >&2; return 1; }
    sleep 0.025
  done
  echo "timed out waiting for '$2' in $1" >&2
  return 1
}

if command -v systemctl >/dev/null && systemctl is-active --quiet pcscd.socket 2>/dev/null; then
  echo "systemd's pcscd.socket is active: it would start the system pcscd on the first PC/SC" >&2
  echo "call. pcscd's socket is global, so stop it first: systemctl stop pcscd.socket pcscd" >&2
  exit 1
fi
if pgrep -x pcscd >/dev/null; then
  echo "A pcscd is already running (pid $(pgrep -x pcscd | head -1)). pcscd's socket is" >&2
  echo "global, so the demo needs it stopped: systemctl stop pcscd.socket pcscd" >&2
  exit 1
fi

step "1. bsf-sim with a freshly generated subscriber"
msin=$(printf '%010d' $(( (RANDOM << 15 | RANDOM) % 10000000000 )))
imsi="00101$msin"
k=$(openssl rand -hex 16)
opc=$(openssl rand -hex 16)
cat > "$work/subscribers.json" <<JSON
{"subscribers": [{"imsi": "$imsi", "mnc_length": 2, "k": "$k", "opc": "$opc",
                  "amf": "8000", "gba_u": true}]}
JSON
"$bsf_sim" subscribers import "$work/subscribers.json" --db "$work/hss.db"
"$bsf_sim" subscribers list --db "$work/hss.db"
"$bsf_sim" serve --db "$work/hss.db" --bsf-name bsf.mnc001.mcc001.pub.3gppnetwork.org \
  --ub-listen 127.0.0.1:0 --zn-listen 127.0.0.1:0 --naf-token mef.example.com=demo-token \
  >"$work/bsf-sim.out" 2>"$work/bsf-sim.log" &
pids+=($!)
wait_for_line "$work/bsf-sim.out" '^READY' "${pids[-1]}"
ub=$(sed -n 's/^READY ub=\([^ ]*\) zn=.*/\1/p' "$work/bsf-sim.out")
zn=$(sed -n 's/^READY ub=[^ ]* zn=\([^ ]*\).*/\1/p' "$work/bsf-sim.out")
echo "bsf-sim: Ub (HTTP Digest AKA) on http://$ub/, Zn (gRPC) on $zn"
echo "subscriber IMSI $imsi, K and OPc random (TEST keys, never shown)"

step "2. soft-usim with the same K/OPc, behind a private pcscd + vpcd"
port=$(( 42000 + RANDOM % 2000 * 2 ))
mkdir -p "$work/reader.conf.d"
printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x%04X\nLIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 0x%04X\n' \
  "$port" "$port" > "$work/reader.conf.d/vpcd"
"$(command -v pcscd || echo /usr/sbin/pcscd)" --foreground -c "$work/reader.conf.d" \
  >"$work/pcscd.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.05; done
cat > "$work/card.toml" <<TOML
imsi = "$imsi"
iccid = "89001010$msin"
k = "$k"
opc = "$opc"
amf = "8000"
pin = "0000"
pin_enabled = false
mnc_length = 2
gba_u = true
TOML
"$soft_usim" --profile "$work/card.toml" --state "$work/card-state.json" \
  --vpcd "127.0.0.1:$port" >"$work/soft-usim.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do
  "$cli" card readers 2>/dev/null | grep -q "card present" && break
  sleep 0.05
done
"$cli" card info

step "3. gbabridged on that reader (policy: uid $(id -u) may have mef.example.com over TLS-PSK)"
cat > "$work/gbabridged.toml" <<TOML
[card]
reader = "Virtual PCD 00 00"

[bsf]
url = "http://$ub/"

[listen]
unix_socket = "$work/gbabridged.sock"
unix_socket_mode = "0660"

[[client]]
name = "demo-app"
uids = [$(id -u)]
naf_patterns = ["mef.example.com"]
ua_ids = ["01000100AE"]
rate_limit = { requests = 20, per_seconds = 60 }
TOML
"$daemon" --config "$work/gbabridged.toml" >"$work/gbabridged.log" 2>&1 &
pids+=($!)
wait_for_line "$work/gbabridged.log" '^READY' "${pids[-1]}"
connect="unix:$work/gbabridged.sock"
for _ in $(seq 100); do
  "$cli" status --daemon "$connect" 2>/dev/null | grep -q "IMSI" && break
  sleep 0.05
done
"$cli" status --daemon "$connect"

step "4. The application asks gbabridged for its key (NAF mef.example.com, Ua 01 00 01 00 AE)"
echo "\$ gbabridge naf-key --naf mef.example.com --tls-suite 0x00AE --show-key"
"$cli" naf-key --daemon "$connect" --naf mef.example.com --tls-suite 0x00AE --show-key
json=$("$cli" naf-key --daemon "$connect" --naf mef.example.com --tls-suite 0x00AE --json \
  --show-key)
btid=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["btid"])' <<<"$json")
identity=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["psk_identity"])' <<<"$json")
device_key=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])' <<<"$json")
echo "(the second call was served from the daemon's cache: no APDU, no Ub run)"

step "5. The NAF asks bsf-sim over Zn for the key of the identity the device will present"
echo "PSK identity: $identity"
naf_json=$("$tls_naf" --lookup "$identity" --naf mef.example.com --zn "$zn" \
  --zn-token demo-token --json --show-key)
echo "$naf_json"
naf_key=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])' <<<"$naf_json")
if [ "$naf_key" = "$device_key" ]; then
  echo "device and NAF hold the same Ks_ext_NAF: they share a key without ever sending it"
else
  echo "KEY MISMATCH between device and NAF" >&2
  exit 1
fi

step "6. TLS-PSK (TLS 1.2, TLS_PSK_WITH_AES_128_CBC_SHA256) between device app and NAF"
"$tls_naf" --listen 127.0.0.1:0 --naf mef.example.com --zn "$zn" --zn-token demo-token \
  --once >"$work/naf.log" 2>&1 &
pids+=($!)
wait_for_line "$work/naf.log" '^READY' "${pids[-1]}"
naf_addr=$(sed -n 's/^READY tls=\(.*\)/\1/p' "$work/naf.log")
"$tls_device" --daemon "$connect" --naf mef.example.com --naf-address "$naf_addr" \
  --message "meter 0042 reading 1234 kWh"
wait "${pids[-1]}" 2>/dev/null || true
echo "--- NAF server log"
cat "$work/naf.log"

step "The daemon's log (audit lines: caller, NAF, B-TID, expiry; never a key)"
grep -v '^READY' "$work/gbabridged.log" | tail -n 15

step "Done: stopping everything the demo started"
