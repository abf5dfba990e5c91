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
PROFILE=host-bench
BENCH_TARGET="target/host-bench-build"
BIN="$BENCH_TARGET/$PROFILE"

echo "Building avisos-host and avisos-load (profile $PROFILE)..." >&2
cargo build -p avisos-host -j "$JOBS" --profile "$PROFILE" --target-dir "$BENCH_TARGET" \
  --config "profile.$PROFILE.inherits=\"release\"" \
  --config "profile.$PROFILE.lto=false" \
  --config "profile.$PROFILE.codegen-units=16" \
  --config "profile.$PROFILE.panic=\"unwind\"" \
  --config "profile.$PROFILE.strip=false" >&2
echo "Building the components and the benchmark driver..." >&2
make build >&2
cargo build -j "$JOBS" -p avisos-e2e --example bench-relaciones >&2
DRIVER=target/debug/examples/bench-relaciones

work=$(mktemp -d)
host_pid=
cleanup() {
  if [ -n "$host_pid" ]; then kill "$host_pid" 2>/dev/null || true; wait "$host_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$BIN/avisos-host" up --manifest spin.toml --listen "127.0.0.1:$PORT" --kv "$KV" \
  --state-dir "$work/state" --cache-dir "$work/cache" --quiet \
  --variable clave_sesion=clave-de-sesion-solo-para-pruebas-0123456789 \
  --variable limites=actos=1000000/60,sesiones=1000000/60,nonces=1000000/60,nonces_cliente=1000000/60 \
  --variable llave_sello="$(cat shared/acts/testdata/sello-pruebas.pem)" >"$work/host.log" 2>&1 &
host_pid=$!
for _ in $(seq 1 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  if ! kill -0 "$host_pid" 2>/dev/null; then cat "$work/host.log" >&2; exit 1; fi
  sleep 0.1
done

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
printf '%-44s %10s %9s %9s %9s %9s %7s\n' "endpoint" "req/s" "p50 ms" "p90 ms" "p99 ms" "max ms" "errors"
for spec in "GET /api/v1/relaciones ($ADDS rows)|$URL/api/v1/relaciones" \
  "GET /api/v1/desarrolladores?q=desarrollos|$URL/api/v1/desarrolladores?q=desarrollos" \
  "GET /api/v1/salud (reference)|$URL/api/v1/salud"; do
  row=$(measure "${spec%%|*}" "${spec#*|}")
  IFS=$'\t' read -r label rps p50 p90 p99 max errors <<<"$row"
  printf '%-44s %10s %9s %9s %9s %9s %7s\n' "$label" "$rps" "$p50" "$p90" "$p99" "$max" "$errors"
done

kill "$host_pid" 2>/dev/null || true
wait "$host_pid" 2>/dev/null || true
host_pid=

if [ -n "$SIZES" ]; then
  echo
  echo "== Export (in-process host, in-memory store; median of 3)"
  "$DRIVER" export --sizes "$SIZES"
fi
