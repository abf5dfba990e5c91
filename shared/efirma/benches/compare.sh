#!/usr/bin/env bash
# Runs the efirma criterion benchmarks and `openssl speed -seconds 3 rsa2048` in the same run and
# prints ops/s side by side, with the ratio to OpenSSL's RSA-2048 verify/s.
#
#   shared/efirma/benches/compare.sh            # from anywhere in the repo
#   EFIRMA_MANIFEST=path/to/Cargo.toml compare.sh   # another manifest (e.g. a scratch workspace)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="${EFIRMA_MANIFEST:-$here/../Cargo.toml}"
wasm_manifest="${EFIRMA_WASM_MANIFEST:-$here/wasm/Cargo.toml}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

echo "== cargo bench (efirma, criterion) =="
cargo bench -j2 --manifest-path "$manifest" -p efirma --bench efirma -- --output-format bencher \
  | tee "$out" | grep -E '^test ' || true

echo "== wasm32-unknown-unknown under wasmtime (benches/wasm_bench.py) =="
if python3 -c 'import wasmtime' 2>/dev/null; then
  wasm_target="${CARGO_TARGET_DIR:-$here/wasm/target}"
  cargo build -j2 --release --target wasm32-unknown-unknown --manifest-path "$wasm_manifest" \
    --target-dir "$wasm_target" >&2
  python3 "$here/wasm_bench.py" \
    "$wasm_target/wasm32-unknown-unknown/release/efirma_wasm_bench.wasm" | tee -a "$out"
else
  echo "(skipped: pip install wasmtime to include the wasm rows)"
fi

echo "== openssl speed -seconds 3 rsa2048 =="
openssl_line="$(openssl speed -seconds 3 rsa2048 2>/dev/null | grep -E '^rsa 2048 bits')"
echo "$openssl_line"
# Columns: rsa 2048 bits <sign s> <verify s> <sign/s> <verify/s>
openssl_verify="$(echo "$openssl_line" | awk '{print $NF}')"
openssl_sign="$(echo "$openssl_line" | awk '{print $(NF-1)}')"

echo
printf '%-32s %14s %14s\n' "operation" "ops/s" "x OpenSSL verify"
printf '%-32s %14s %14s\n' "--------------------------------" "--------------" "----------------"
printf '%-32s %14.0f %14s\n' "openssl rsa2048 verify" "$openssl_verify" "1.00"
printf '%-32s %14.0f %14s\n' "openssl rsa2048 sign" "$openssl_sign" "-"
grep -E '^test ' "$out" | while read -r _ name _ _ ns _; do
  ns="${ns//,/}"
  ops="$(awk -v ns="$ns" 'BEGIN { printf "%.0f", 1e9 / ns }')"
  ratio="$(awk -v ops="$ops" -v o="$openssl_verify" 'BEGIN { printf "%.2f", ops / o }')"
  printf '%-32s %14s %14s\n' "${name#efirma/}" "$ops" "$ratio"
done
grep -E '^wasm ' "$out" | while read -r _ name ops; do
  ratio="$(awk -v ops="$ops" -v o="$openssl_verify" 'BEGIN { printf "%.2f", ops / o }')"
  printf '%-32s %14s %14s\n' "wasm $name" "$ops" "$ratio"
done
