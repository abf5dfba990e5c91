#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 180), seeded from seeds/ (real SAT files).
# Crashes land in artifacts/<target>/; turn each into a regression test (tests/fuzz_regressions.rs).
#   shared/efirma/fuzz/run.sh [SECONDS] [TARGET...]
# Needs `cargo install cargo-fuzz`; on a stable toolchain RUSTC_BOOTSTRAP=1 stands in for nightly.
set -euo pipefail
fuzz_dir="${FUZZ_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}"
seconds="${1:-180}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(certificate_parse key_decrypt cadena_parse)
fi
export RUSTC_BOOTSTRAP=1
for target in "${targets[@]}"; do
  mkdir -p "$fuzz_dir/corpus/$target"
  echo "== $target for ${seconds}s =="
  cargo fuzz run --fuzz-dir "$fuzz_dir" "$target" "$fuzz_dir/corpus/$target" "$fuzz_dir/seeds/$target" \
    -- -max_total_time="$seconds" -max_len=16384 -timeout=20 -print_final_stats=1
done
