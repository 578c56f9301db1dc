#!/usr/bin/env bash
# The bash completion names every flag that `--help` shows, for gbabridge's commands and
# for gbabridged, and no flag that does not exist: a new flag without its completion fails.
#   tests/packaging/completion_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir=$1
build_dir=$2
cli="$build_dir/bootstrap/gbabridge"
daemon="$build_dir/bootstrap/gbabridged"
failed=0

flags_of() {  # the long flags in a --help text, without --help
  grep -oE '^\s+(-[a-zA-Z], ?)?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+' | grep -v '^--help$' | sort -u
}
compare() {  # WHAT HELP_FLAGS COMPLETION_FLAGS
  local missing extra
  missing=$(comm -23 <(echo "$2") <(echo "$3"))
  extra=$(comm -13 <(echo "$2") <(echo "$3"))
  if [ -n "$missing" ] || [ -n "$extra" ]; then
    echo "FAIL $1: not completed: [${missing//$'\n'/ }] completed but unknown: [${extra//$'\n'/ }]"
    failed=1
  else
    echo "ok   $1"
  fi
}

# shellcheck source=/dev/null
_init_completion() { :; }
complete() { :; }
source "$source_dir/packaging/bash-completion/gbabridge"
for command in "${!_gbabridge_flags[@]}"; do
  # shellcheck disable=SC2086
  help=$("$cli" $command --help | flags_of)
  completion=$(tr ' ' '\n' <<< "${_gbabridge_flags[$command]}" | grep -- '^--' | sort -u)
  compare "gbabridge $command" "$help" "$completion"
done
source "$source_dir/packaging/bash-completion/gbabridged"
help=$("$daemon" --help | flags_of)
completion=$(tr ' ' '\n' <<< "$_gbabridged_flags" | grep -- '^--' | grep -v '^--help$' | sort -u)
compare "gbabridged" "$help" "$completion"
exit "$failed"
