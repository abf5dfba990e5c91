#!/usr/bin/env bash
# Every cargo-fuzz target of the repository (each `shared/*/fuzz` crate), for a budget:
#
#   tests/fuzz/run.sh [SECONDS]                     each target SECONDS (default 60)
#   tests/fuzz/run.sh --runs N [--max-seconds S] [TARGET...]
#                                                   each target N executions, or S seconds if
#                                                   that comes first (issue 15: 10,000,000 / 3600)
#   tests/fuzz/run.sh --build                       only build them all (CI does this)
#
# TARGET filters by name (`workbook_check`) or crate/name (`evidence/workbook_check`); none = all.
# Each target starts from its crate's seeds/<target>/ and keeps its corpus in corpus/<target>/.
# A crash stops that target and is listed with its input under artifacts/<target>/: turn it
# into a regression test of the crate, then fix. The summary gives, per target, executions,
# wall time, executions per second, corpus size (files) and the result. Run it under
# `nice -n 19` on a shared machine. Needs `cargo install cargo-fuzz --locked`; on a stable
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

seconds=
runs=
filters=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --max-seconds) seconds=$2; shift 2 ;;
    --runs=*) runs=${1#--runs=}; shift ;;
    --max-seconds=*) seconds=${1#--max-seconds=}; shift ;;
    -h|--help) sed -n "2,17p" "$ROOT/tests/fuzz/run.sh"; exit 0 ;;
    [0-9]*) seconds=$1; shift ;;
    *) filters+=("$1"); shift ;;
  esac
done
# With --runs and no --max-seconds the time budget is an hour.
[ -z "$seconds" ] && { [ -n "$runs" ] && seconds=3600 || seconds=60; }

wanted() { # crate/target
  [ ${#filters[@]} -eq 0 ] && return 0
  local f
  for f in "${filters[@]}"; do
    [ "$f" = "${1#*/}" ] || [ "$f" = "$1" ] && return 0
  done
  return 1
}

budget="${seconds}s"
[ -n "$runs" ] && budget="$runs runs / ${seconds}s"
summary=()
failed=0
for dir in "${dirs[@]}"; do
  crate=$(basename "$(dirname "$dir")")
  for target in $(cargo fuzz list --fuzz-dir "$dir"); do
    wanted "$crate/$target" || continue
    mkdir -p "$dir/corpus/$target" "$dir/seeds/$target"
    echo "== $dir $target ($budget)"
    log=$(mktemp)
    status=ok
    limit=(-max_total_time="$seconds")
    [ -n "$runs" ] && limit+=(-runs="$runs")
    start=$(date +%s)
    if ! cargo fuzz run --fuzz-dir "$dir" "$target" "$dir/corpus/$target" "$dir/seeds/$target" \
      -- "${limit[@]}" -max_len=262144 -timeout=20 -rss_limit_mb=2048 \
      -print_final_stats=1 >"$log" 2>&1; then
      status="CRASH (see $dir/artifacts/$target)"
      failed=1
      tail -40 "$log"
    fi
    elapsed=$(($(date +%s) - start))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    corpus=$(find "$dir/corpus/$target" -type f | wc -l)
    summary+=("$(printf '%-40s %12s %7ss %8s %7s  %s' "$crate/$target" "${execs:-?}" "$elapsed" \
      "${rate:-?}" "$corpus" "$status")")
    rm -f "$log"
  done
done
echo
printf '%-40s %12s %8s %8s %7s  %s\n' "target ($budget)" "executions" "time" "exec/s" "corpus" "result"
printf '%s\n' "${summary[@]}"
exit $failed
