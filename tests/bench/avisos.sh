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
if [ -z "${SKIP_BUILD:-}" ]; then
  echo "Building the components and the benchmark driver..." >&2
  make build >&2
fi
cargo build -j "$JOBS" -p avisos-e2e --example bench-avisos >&2
DRIVER=target/debug/examples/bench-avisos

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
for _ in $(seq 1 600); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  if ! kill -0 "$host_pid" 2>/dev/null; then cat "$work/host.log" >&2; exit 1; fi
  sleep 0.1
done

URL="http://127.0.0.1:$PORT"
echo
echo "== Bulk load: avisos-host ($KV store), $(nproc) CPUs"
"$DRIVER" setup --url "$URL" --out "$work/load" --avisos "$AVISOS" --loads "$LOADS"

DEV=$(cat "$work/load/token-desarrollador")
PAT=$(cat "$work/load/token-patron")
echo
echo "== Consultations: avisos-load, $CONNECTIONS connections, $DURATION each, employer with $AVISOS avisos"
printf '%-52s %10s %9s %9s %9s %9s %7s\n' "request" "req/s" "p50 ms" "p90 ms" "p99 ms" "max ms" "errors"
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
  IFS=$'\t' read -r label rps p50 p90 p99 max errors <<<"$row"
  printf '%-52s %10s %9s %9s %9s %9s %7s\n' "$label" "$rps" "$p50" "$p90" "$p99" "$max" "$errors"
done
