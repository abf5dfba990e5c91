#!/usr/bin/env bash
# Evidence check benchmark (issue 6): a 5 MB workbook, time and peak memory, natively and in the
# component.
#
# 1. Natively: `cargo bench -p avisos-evidence --bench evidence` (release profile; counting global
#    allocator: peak live heap and allocations of `workbook::check`).
# 2. In the component: tests/e2e/examples/bench-evidencia.rs drives POST
#    /api/v1/certificaciones/:folio/evidencias (functions/certification-evidence, release wasm)
#    on the in-process host: the 5 MB workbook refused on its last tab (whole check, repeatable),
#    5 MB + 1 byte (413 before reading), the valid 5 MB workbook once (check + grade + store).
#
# Usage: tests/bench/evidencia.sh   RUNS=10 JOBS=2 SKIP_BUILD=1 (use the wasm already built)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-10}
JOBS=${JOBS:-2}

echo "== Natively (cargo bench, release)"
cargo bench -j "$JOBS" -q -p avisos-evidence --bench evidence 2>/dev/null

if [ -z "${SKIP_BUILD:-}" ]; then
  echo "Building the components..." >&2
  make build >&2
fi
cargo build -j "$JOBS" -q -p avisos-e2e --example bench-evidencia >&2
echo
echo "== In the component (certification-evidence on the in-process host, in-memory store), $(nproc) CPUs"
target/debug/examples/bench-evidencia --runs "$RUNS"
