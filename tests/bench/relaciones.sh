#!/usr/bin/env bash
# Relaciones de confianza benchmark (issue 5).
#
# 1. Acts over HTTP: the app on avisos-host (optimised build, as tests/bench/platform.sh), driven
#    by tests/e2e/examples/bench-relaciones.rs with pre-signed, single-use requests:
#    - POST /api/v1/sesiones: the per-request cost of the e.firma check (chain + signature +
#      nonce), nothing else;
#    - POST /api/v1/relaciones: adding a relation (e.firma check, Argon2id, folio, seal, writes).
# 2. Reads with avisos-load: GET /api/v1/relaciones (the table after step 1, ADDS rows),
#    GET /api/v1/desarrolladores?q=… (directory search), GET /api/v1/salud for reference.
# 3. Export: 1,000 and 10,000 relations (time over HTTP, peak RSS growth of the host process, and
#    the native peak heap of the same code).
#
# Usage: tests/bench/relaciones.sh
#   KV=memory|sqlite (default memory) ADDS=200 LOGINS=200 CONNECTIONS=4 DURATION=5s
#   READ_CONNECTIONS=16 SIZES=1000,10000 (empty: no export part) PORT=3811 JOBS=2
#   SKIP_BUILD=1 (use the components already built)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

KV=${KV:-memory}
ADDS=${ADDS:-200}
LOGINS=${LOGINS:-200}
CONNECTIONS=${CONNECTIONS:-4}
READ_CONNECTIONS=${READ_CONNECTIONS:-16}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
SIZES=${SIZES-1000,10000}
PORT=${PORT:-3811}
JOBS=${JOBS:-2}
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh

build_host
if [ -z "${SKIP_BUILD:-}" ]; then
  echo "Building the components and the benchmark driver..." >&2
  make build >&2
fi
cargo build -j "$JOBS" -p avisos-e2e --example bench-relaciones >&2
DRIVER=target/debug/examples/bench-relaciones

bench_work

start_app "$PORT" "$work" --kv "$KV" --state-dir "$work/state"

URL="http://127.0.0.1:$PORT"
echo
echo "== Acts: avisos-host ($KV store), $(nproc) CPUs"
"$DRIVER" acts --url "$URL" --adds "$ADDS" --logins "$LOGINS" --connections "$CONNECTIONS" \
  --token-file "$work/token"
TOKEN=$(cat "$work/token")

measure() {
  "$BIN/avisos-load" --url "$2" --connections "$READ_CONNECTIONS" --duration "$DURATION" \
    --warmup "$WARMUP" --format row --label "$1" -H "authorization: Bearer $TOKEN"
}
echo
echo "== Reads: avisos-load, $READ_CONNECTIONS connections, $DURATION each"
table_header 44 endpoint
for spec in "GET /api/v1/relaciones ($ADDS rows)|$URL/api/v1/relaciones" \
  "GET /api/v1/desarrolladores?q=desarrollos|$URL/api/v1/desarrolladores?q=desarrollos" \
  "GET /api/v1/salud (reference)|$URL/api/v1/salud"; do
  table_row 44 "$(measure "${spec%%|*}" "${spec#*|}")"
done

stop_host

if [ -n "$SIZES" ]; then
  echo
  echo "== Export (in-process host, in-memory store; median of 3)"
  "$DRIVER" export --sizes "$SIZES"
fi
