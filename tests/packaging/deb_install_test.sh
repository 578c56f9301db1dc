#!/usr/bin/env bash
# The Debian package, built from this build tree with CPack (as `make deb` does), installed
# by dpkg into a fresh, empty root (--root, maintainer scripts run with DPKG_ROOT), then:
# its files are where Debian wants them, the system user exists, the man pages render, the
# unit passes systemd-analyze, and the installed daemon starts, answers and stops cleanly.
# Last, it is purged and leaves nothing behind.
#   tests/packaging/deb_install_test.sh BUILD_DIR
set -euo pipefail
build_dir=$(cd "${1:?build dir}" && pwd)
work=$(mktemp -d /tmp/gbabridge-deb-XXXXXX)
daemon_pid=""
cleanup() {
  local rc=$?
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  if [ "$rc" -ne 0 ]; then
    echo "deb install test failed (exit $rc)" >&2
    for f in "$work"/*.log; do [ -s "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }; done
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
check() { echo "ok   $*"; }

cpack --config "$build_dir/CPackConfig.cmake" -B "$work/out" > "$work/cpack.log" 2>&1
deb=$(ls "$work"/out/gbabridge_*.deb)
tools=$(ls "$work"/out/gbabridge-tools_*.deb)
check "built $(basename "$deb") and $(basename "$tools")"

dpkg-deb -f "$deb" Package Version Depends Recommends > "$work/control"
grep -q '^Package: gbabridge$' "$work/control"
grep -q '^Depends: .*libgrpc++' "$work/control"
grep -q '^Recommends: pcscd' "$work/control"
check "control: $(grep '^Version' "$work/control"), depends on gRPC, recommends pcscd"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for path in ./usr/bin/gbabridged ./usr/bin/gbabridge ./lib/systemd/system/gbabridged.service \
    ./usr/lib/sysusers.d/gbabridge.conf ./etc/gbabridge/gbabridged.toml \
    ./usr/share/man/man8/gbabridged.8.gz ./usr/share/man/man1/gbabridge.1.gz \
    ./usr/share/bash-completion/completions/gbabridge \
    ./usr/share/doc/gbabridge/examples/policy.toml; do
  grep -qx "$path" <<< "$contents" || { echo "missing in the package: $path" >&2; exit 1; }
done
if grep -q 'bsf-sim\|soft-usim' <<< "$contents"; then
  echo "the device package holds test tools" >&2
  exit 1
fi
# (grep on a variable, not on a pipe: grep -q would end the pipe early under pipefail)
tool_contents=$(dpkg-deb -c "$tools")
grep -q './usr/bin/bsf-sim' <<< "$tool_contents"
check "files in place; test tools only in gbabridge-tools"
conffiles=$(dpkg-deb -I "$deb" conffiles)
grep -qx /etc/gbabridge/gbabridged.toml <<< "$conffiles"
check "/etc/gbabridge/gbabridged.toml is a conffile"

# A fresh root: an empty dpkg database, nothing else.
root="$work/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
touch "$root/var/lib/dpkg/status"
dpkg --root="$root" --force-script-chrootless --force-depends -i "$deb" > "$work/dpkg.log" 2>&1
grep -q '^gbabridge:x:' "$root/etc/passwd"
check "dpkg installed it into an empty root; postinst made the system user gbabridge"

man8=$(zcat "$root/usr/share/man/man8/gbabridged.8.gz")
man1=$(zcat "$root/usr/share/man/man1/gbabridge.1.gz")
grep -q '^\.TH GBABRIDGED "8"' <<< "$man8"
grep -q 'check\\-config' <<< "$man8"
grep -q '^\.TH GBABRIDGE "1"' <<< "$man1"
check "man pages made from --help"
grep -q '^ExecStart=/usr/bin/gbabridged --config /etc/gbabridge/gbabridged.toml$' \
  "$root/lib/systemd/system/gbabridged.service"
grep -q '^Type=notify$' "$root/lib/systemd/system/gbabridged.service"
grep -q '^ExecReload=' "$root/lib/systemd/system/gbabridged.service"
if command -v systemd-analyze >/dev/null; then
  # Against this machine's systemd (the fresh root has none), with ExecStart pointing at the
  # binary in the fresh root: every directive known, every path executable.
  sed "s|^ExecStart=/usr/bin/gbabridged|ExecStart=$root/usr/bin/gbabridged|" \
    "$root/lib/systemd/system/gbabridged.service" > "$work/gbabridged.service"
  systemd-analyze verify "$work/gbabridged.service" > "$work/analyze.log" 2>&1 ||
    { cat "$work/analyze.log" >&2; exit 1; }
  check "the unit: Type=notify, ExecReload, /usr/bin path; systemd-analyze verify passes"
fi

# The installed daemon, on its installed example configuration (socket moved to our
# directory; a policy for this uid).
mkdir -m 0750 "$work/run"
cat > "$work/policy.toml" <<TOML
[[client]]
name = "deb-test"
uids = [$(id -u)]
naf_patterns = ["mef.example.com"]
ua_ids = ["*"]
TOML
"$root/usr/bin/gbabridged" --version | grep -q "^gbabridged $(dpkg-deb -f "$deb" Version)$"
"$root/usr/bin/gbabridged" --config "$root/etc/gbabridge/gbabridged.toml" \
  --listen-unix "$work/run/gbabridged.sock" --policy "$work/policy.toml" --check-config \
  > "$work/check.log" 2>&1
grep -q "configuration OK" "$work/check.log"
"$root/usr/bin/gbabridged" --config "$root/etc/gbabridge/gbabridged.toml" \
  --listen-unix "$work/run/gbabridged.sock" --policy "$work/policy.toml" \
  > "$work/daemon.out" 2> "$work/daemon.log" &
daemon_pid=$!
for _ in $(seq 200); do grep -q '^READY' "$work/daemon.out" && break; sleep 0.05; done
grep -q '^READY unix=' "$work/daemon.out"
"$root/usr/bin/gbabridge" status --daemon "unix:$work/run/gbabridged.sock" --json \
  > "$work/status.json"
grep -q '"daemon_version"' "$work/status.json"
kill -TERM "$daemon_pid"
wait "$daemon_pid"
daemon_pid=""
[ ! -e "$work/run/gbabridged.sock" ]
check "the installed gbabridged starts on its config, answers, and stops cleanly (socket gone)"

dpkg --root="$root" --force-script-chrootless -P gbabridge > "$work/purge.log" 2>&1
[ ! -e "$root/usr/bin/gbabridged" ] && [ ! -e "$root/etc/gbabridge/gbabridged.toml" ]
check "purged: binaries and conffile gone"
