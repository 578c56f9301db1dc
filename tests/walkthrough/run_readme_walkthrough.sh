#!/usr/bin/env bash
# Runs the README's walkthrough exactly as written: the ```sh blocks between
# "<!-- walkthrough:begin -->" and "<!-- walkthrough:end -->", in order, in one bash with
# errexit, from a checkout whose build/ is the build under test. A step that fails fails the
# test; whatever the walkthrough started is stopped afterwards, also on failure.
#
#   tests/walkthrough/run_readme_walkthrough.sh SOURCE_DIR BUILD_DIR
#
# The README says `$PWD/build/...`: the walkthrough runs in a scratch directory whose entries
# link to the source tree's, except build/, which links to BUILD_DIR (so that the ASan build
# is walked through with its own binaries).
set -euo pipefail

source_dir=$(cd "${1:?source dir}" && pwd)
build_dir=$(cd "${2:?build dir}" && pwd)

if command -v systemctl >/dev/null && systemctl is-active --quiet pcscd.socket 2>/dev/null; then
  echo "systemd's pcscd.socket is active; the walkthrough needs pcscd stopped" >&2
  exit 1
fi
if pgrep -x pcscd >/dev/null; then
  echo "a pcscd is already running (pid $(pgrep -x pcscd | head -1)); the walkthrough starts its own" >&2
  exit 1
fi

scratch=$(mktemp -d /tmp/gbabridge-walkthrough-XXXXXX)
script="$scratch/walkthrough.sh"
awk '
  /<!-- walkthrough:begin -->/ { inside = 1; next }
  /<!-- walkthrough:end -->/   { inside = 0; next }
  inside && /^```sh$/          { code = 1; next }
  inside && code && /^```$/    { code = 0; print ""; next }
  inside && code               { print }
' "$source_dir/README.md" > "$script"
if [ ! -s "$script" ]; then
  echo "no walkthrough blocks found in $source_dir/README.md" >&2
  exit 1
fi

mkdir "$scratch/checkout"
for entry in "$source_dir"/* "$source_dir"/.clang-format; do
  [ -e "$entry" ] || continue
  name=$(basename "$entry")
  case "$name" in build | build-*) continue ;; esac
  ln -s "$entry" "$scratch/checkout/$name"
done
ln -s "$build_dir" "$scratch/checkout/build"

cleanup() {
  local rc=$?
  # Processes the walkthrough left running (it stops them itself in its last step).
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then
    echo "README walkthrough failed (exit $rc) at the command traced last above" >&2
    for f in "${work:-/nonexistent}"/*.log "${work:-/nonexistent}"/*.out; do
      [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
    done
  fi
  [ -n "${work:-}" ] && rm -rf "$work"
  rm -rf "$scratch"
  exit "$rc"
}
trap cleanup EXIT

cd "$scratch/checkout"
set -x
# shellcheck source=/dev/null
source "$script"
set +x
echo "README walkthrough: every step passed"
