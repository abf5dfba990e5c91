#!/usr/bin/env bash
# Every cargo-fuzz target of the repository (each `shared/*/fuzz` crate), for a budget:
#
#   tests/fuzz/run.sh [SECONDS]     run each target SECONDS (default 60) and print a summary
#   tests/fuzz/run.sh --build       only build them all (CI does this)
#
# Each target starts from its crate's seeds/<target>/ and keeps its corpus in corpus/<target>/.
# A crash stops that target and is listed with its input under artifacts/<target>/: turn it
# into a regression test of the crate, then fix. Needs `cargo install cargo-fuzz`; on a stable
# toolchain RUSTC_BOOTSTRAP=1 stands in for nightly.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz missing: cargo install cargo-fuzz --locked" >&2; exit 1; }

dirs=()
for manifest in shared/*/fuzz/Cargo.toml; do dirs+=("$(dirname "$manifest")"); done

if [ "${1:-}" = "--build" ]; then
  for dir in "${dirs[@]}"; do
    echo "== build $dir"
    cargo fuzz build --fuzz-dir "$dir"
  done
  exit 0
fi

seconds=${1:-60}
summary=()
failed=0
for dir in "${dirs[@]}"; do
  for target in $(cargo fuzz list --fuzz-dir "$dir"); do
    mkdir -p "$dir/corpus/$target" "$dir/seeds/$target"
    echo "== $dir $target for ${seconds}s"
    log=$(mktemp)
    status=ok
    if ! cargo fuzz run --fuzz-dir "$dir" "$target" "$dir/corpus/$target" "$dir/seeds/$target" \
      -- -max_total_time="$seconds" -max_len=262144 -timeout=20 -rss_limit_mb=2048 \
      -print_final_stats=1 >"$log" 2>&1; then
      status="CRASH (see $dir/artifacts/$target)"
      failed=1
      tail -40 "$log"
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    summary+=("$(printf '%-44s %8ss %12s  %s' "$dir/$target" "$seconds" "${runs:-?}" "$status")")
    rm -f "$log"
  done
done
echo
printf '%-44s %9s %12s  %s\n' "target" "budget" "executions" "result"
printf '%s\n' "${summary[@]}"
exit $failed
