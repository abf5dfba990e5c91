#!/usr/bin/env bash
# Fuzzes the evidence workbook check for SECONDS (default 180) per target, seeded with the sample
# workbooks: workbook_check (any bytes as .xls and .xlsx), then xlsx_parts (one XML part of the
# .xlsx fixture replaced, package stored uncompressed). Crashes land in artifacts/<target>/; turn
# each into a test in shared/evidence/tests/ (inputs in testdata/fuzz/). For an executions
# budget use tests/fuzz/run.sh --runs N evidence/workbook_check evidence/xlsx_parts.
#   shared/evidence/fuzz/run.sh [SECONDS]
# Needs `cargo install cargo-fuzz`; on a stable toolchain RUSTC_BOOTSTRAP=1 stands in for nightly.
set -euo pipefail
fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$fuzz_dir/../../.." && pwd)"
seconds="${1:-180}"
seeds="$fuzz_dir/seeds/workbook_check"
mkdir -p "$seeds" "$fuzz_dir/corpus/workbook_check"
# Seeds: the fixtures and each broken variant of the sample.
cp "$root/shared/evidence/testdata/evidencias.xls" "$root/shared/evidence/testdata/evidencias.xlsx" "$seeds/"
(cd "$root" && for v in "--zip=broken" "--zip=bomb" "--zip=traversal" "--cfdi-sin-deduccion" \
  "--json-incorrecto" "--omit-tab=3" "--wrong-amount=E03"; do
  cargo run -q -p avisos-evidence --example sample -- "$seeds/sample${v//[^a-z0-9]/-}.xlsx" "$v"
done)
export RUSTC_BOOTSTRAP=1
cargo fuzz run --fuzz-dir "$fuzz_dir" workbook_check "$fuzz_dir/corpus/workbook_check" "$seeds" \
  -- -max_total_time="$seconds" -max_len=262144 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
mkdir -p "$fuzz_dir/corpus/xlsx_parts"
cargo fuzz run --fuzz-dir "$fuzz_dir" xlsx_parts "$fuzz_dir/corpus/xlsx_parts" "$fuzz_dir/seeds/xlsx_parts" \
  -- -max_total_time="$seconds" -max_len=262144 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
