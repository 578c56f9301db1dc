#!/usr/bin/env bash
# Runs every fuzz target of a fuzz build for SECONDS each, starting from the committed seeds
# (tests/fuzz/corpus/<target>/; never written to) and a working corpus under the build
# directory, which grows from run to run. Prints each target's executions and exits
# non-zero when one finds a crash, a leak or a timeout (the reproducer is in the build
# directory's fuzz-artifacts/).
#
#   tests/fuzz/run_fuzzers.sh BUILD_DIR SECONDS [TARGET...]
set -euo pipefail
build_dir=$(cd "$1" && pwd)
seconds=$2
shift 2
source_dir=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(card_response_fuzz usim_client_fuzz soft_usim_fuzz digest_headers_fuzz
           bootstrapping_info_fuzz request_validation_fuzz config_fuzz at_response_fuzz
           diameter_zn_fuzz)
fi
mkdir -p "$build_dir/fuzz-artifacts"
failed=0
summary=""
for target in "${targets[@]}"; do
  binary="$build_dir/tests/fuzz/$target"
  corpus="$build_dir/fuzz-corpus/$target"
  mkdir -p "$corpus"
  log="$build_dir/fuzz-artifacts/$target.log"
  echo "fuzz: $target for ${seconds}s"
  # -rss_limit_mb: far above what a parser needs; a leak or runaway allocation trips it.
  if "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build_dir/fuzz-artifacts/$target-" \
      "$corpus" "$source_dir/corpus/$target" >"$log" 2>&1; then
    verdict="ok"
  else
    verdict="FAILED (see $log)"
    failed=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  summary+=$(printf '%-26s %12s execs  %-10s %s' "$target" "$runs" "$cov" "$verdict")$'\n'
done
echo
echo "fuzz summary (${seconds}s per target):"
printf '%s' "$summary"
exit $failed
