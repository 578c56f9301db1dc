#!/bin/sh
# Every test a document names (`Suite.Name`, as the threat model and the READMEs cite them)
# exists in one of the given gtest binaries, so that a renamed test cannot leave a mitigation
# pointing at nothing.
# Usage: check_test_references.sh SOURCE_DIR TEST_BINARY...
set -eu
src=$1
shift
known=$(mktemp)
trap 'rm -f "$known"' EXIT
for binary in "$@"; do
  # "Suite." lines, then "  Name" lines; parameterised names carry a "Prefix/" and a "/N".
  "$binary" --gtest_list_tests | awk '/^[^ ]/ { suite = $1 } /^  / { print suite $1 }' |
    sed 's#^[^/.]*/##; s#/[0-9]*$##'
done | sort -u >"$known"
[ -s "$known" ] || { echo "no tests listed by $*" >&2; exit 1; }

missing=0
for doc in docs/threat-model.md docs/architecture.md README.md bsf_sim/README.md; do
  [ -f "$src/$doc" ] || continue
  for name in $(grep -o '`[A-Z][A-Za-z0-9_]*Test\.[A-Z][A-Za-z0-9_]*`' "$src/$doc" | tr -d '`' | sort -u); do
    if ! grep -qx "$name" "$known"; then
      echo "$doc names $name, which no test binary has" >&2
      missing=1
    fi
  done
done
exit $missing
