#!/usr/bin/env bash
# Avisos benchmark (issue 8), through the real components on avisos-host (optimised build, as
# tests/bench/relaciones.sh).
#
# 1. Bulk load: tests/e2e/examples/bench-avisos.rs publishes AVISOS avisos in one signed
#    request (new, then the same again, then LOADS more employers), timing each request.
# 2. Consultations with avisos-load, the developer's Bearer token and the employer's service
#    password, against the employer holding AVISOS avisos:
#    - POST /api/v1/avisos/consultas, default range, page 1 of 100;
#    - the same, page 5 of 1,000 avisos;
#    - an NSS filter (every page of the range is read and filtered);
#    - GET /api/v1/avisos/bitacora (the employer's audit, which the runs above filled).
#    The first consultation pays Argon2id; later ones hit the verified-password fingerprint.
#
# Usage: tests/bench/avisos.sh
#   KV=memory|sqlite (default memory) AVISOS=10000 LOADS=3 CONNECTIONS=8 DURATION=5s PORT=3812 JOBS=2
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

KV=${KV:-memory}
AVISOS=${AVISOS:-10000}
LOADS=${LOADS:-3}
CONNECTIONS=${CONNECTIONS:-8}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
PORT=${PORT:-3812}
JOBS=${JOBS:-2}
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh

build_host
if [ -z "${SKIP_BUILD:-}" ]; then
  echo "Building the components and the benchmark driver..." >&2
  make build >&2
fi
cargo build -j "$JOBS" -p avisos-e2e --example bench-avisos >&2
DRIVER=target/debug/examples/bench-avisos

bench_work

start_app "$PORT" "$work" --kv "$KV" --state-dir "$work/state"

URL="http://127.0.0.1:$PORT"
echo
echo "== Bulk load: avisos-host ($KV store), $(nproc) CPUs"
"$DRIVER" setup --url "$URL" --out "$work/load" --avisos "$AVISOS" --loads "$LOADS"

DEV=$(cat "$work/load/token-desarrollador")
PAT=$(cat "$work/load/token-patron")
echo
echo "== Consultations: avisos-load, $CONNECTIONS connections, $DURATION each, employer with $AVISOS avisos"
table_header 52 request
post() {
  "$BIN/avisos-load" --url "$URL/api/v1/avisos/consultas" --method POST --body "$(cat "$work/load/$2")" \
    -H "authorization: Bearer $DEV" -H "content-type: application/json" \
    --connections "$CONNECTIONS" --duration "$DURATION" --warmup "$WARMUP" --format row --label "$1"
}
get() {
  "$BIN/avisos-load" --url "$URL$2" -H "authorization: Bearer $PAT" \
    --connections "$CONNECTIONS" --duration "$DURATION" --warmup "$WARMUP" --format row --label "$1"
}
for row in "$(post "POST consultas: default range, 100 per page" consulta-100)" \
  "$(post "POST consultas: page 5 of 1,000 per page" consulta-1000)" \
  "$(post "POST consultas: NSS filter (all pages read)" consulta-nss)" \
  "$(get "GET bitacora (employer's audit, 50 per page)" /api/v1/avisos/bitacora)" \
  "$(get "GET salud (reference)" /api/v1/salud)"; do
  table_row 52 "$row"
done
