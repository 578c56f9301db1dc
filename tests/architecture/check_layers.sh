#!/bin/sh
# The layering rules of docs/architecture.md, checked on the sources and on the binaries:
#   1. each library's sources include only the headers of the libraries it may use;
#   2. gbabridged and gbabridge contain no soft-usim code;
#   3. bsf-sim links no card library and no pcsc-lite.
# Usage: check_layers.sh SOURCE_DIR GBABRIDGED GBABRIDGE BSF_SIM
set -u
src=$1 gbabridged=$2 gbabridge=$3 bsf_sim=$4
failed=0

fail() { echo "FAIL: $*"; failed=1; }

# forbid FOLDER PATTERN WHY: no source in FOLDER (not its subfolders given by -prune) may
# include a header whose path matches PATTERN.
forbid() {
  folder=$1 pattern=$2 why=$3
  hits=$(grep -rnE "^#include \"($pattern)" "$src/$folder" --include='*.h' --include='*.cc' \
           --exclude='*_main.cc' 2>/dev/null | grep -v "^$src/uicc/soft_usim/" || true)
  if [ "$folder" = uicc/soft_usim ]; then
    hits=$(grep -rnE "^#include \"($pattern)" "$src/$folder" --include='*.h' --include='*.cc' || true)
  fi
  [ -z "$hits" ] || fail "$folder may not include $pattern ($why):
$hits"
}

# The base library: nothing of the project above it.
forbid uicc/base 'uicc/[a-z_]+\.h|uicc/soft_usim/|bootstrap/|bsf_sim/' "base is the bottom"
# The card library: base only; never the simulator or anything GBA.
forbid uicc 'uicc/soft_usim/|bootstrap/|bsf_sim/' "the card library is below GBA and ships without the simulator"
# soft-usim: a card; it does not share the GBA code.
forbid uicc/soft_usim 'bootstrap/|bsf_sim/' "soft-usim is a card"
# The protocol library: shared by the client and the BSF; no card, no client.
forbid bootstrap/protocol 'uicc/[a-z_]+\.h|uicc/soft_usim/|bootstrap/(client|wire|daemon|cli)/|bsf_sim/' "the BSF uses it"
forbid bootstrap/client 'uicc/soft_usim/|bootstrap/(wire|daemon|cli)/|bsf_sim/' "the client is below the daemon and the CLI"
forbid bootstrap/wire 'uicc/soft_usim/|bootstrap/(daemon|cli)/|bsf_sim/' "shared by daemon and CLI"
forbid bootstrap/daemon 'uicc/soft_usim/|bootstrap/cli/|bsf_sim/' "the daemon ships without the simulator"
forbid bootstrap/cli 'uicc/soft_usim/|bootstrap/daemon/|bsf_sim/' "the CLI talks to the daemon over gRPC only"
# Zn over Diameter (proto/zn_diameter): an API definition for the BSF and NAFs; base only.
forbid proto/zn_diameter 'uicc/[a-z_]+\.h|uicc/soft_usim/|bootstrap/|bsf_sim/|examples/' "the NAF and the BSF share it"
forbid bsf_sim 'uicc/[a-z_]+\.h|uicc/soft_usim/|bootstrap/(client|wire|daemon|cli)/' "a BSF has no card"

# The shipped binaries carry no simulator.
for bin in "$gbabridged" "$gbabridge"; do
  n=$(nm -C "$bin" | grep -cE 'SoftUsim|VpcdLink' || true)
  [ "$n" -eq 0 ] || fail "$(basename "$bin") contains $n soft-usim symbols"
done
# bsf-sim: no PC/SC, no card, daemon or CLI code.
if ldd "$bsf_sim" | grep -q pcsclite; then fail "bsf-sim links libpcsclite"; fi
n=$(nm -C "$bsf_sim" | grep -cE 'gbabridge::(Usim|PcscTransport|GbaClient)|gbabridge::daemon::|gbabridge::cli::' || true)
[ "$n" -eq 0 ] || fail "bsf-sim contains $n card, client, daemon or CLI symbols"

[ "$failed" -eq 0 ] && echo "layers OK"
exit "$failed"
