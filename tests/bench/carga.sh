#!/usr/bin/env bash
# Load test (issue 9): the whole app on loopback under mixed read/act traffic, on the embedded
# SQLite store and on a Redis server, reporting requests/s, latency percentiles and errors.
#
# For each store:
#   1. setup + signed acts: tests/e2e/examples/bench-relaciones.rs certifies ADDS developers, then
#      sends LOGINS pre-signed logins and ADDS relation additions (each request unique: nonce,
#      e.firma check, Argon2id, folio, seal, writes) over CONNECTIONS connections;
#   2. while a second batch of signed logins runs, avisos-load sends a weighted mix of reads and
#      unauthenticated writes for DURATION over READ_CONNECTIONS keep-alive connections:
#      GET /api/v1/salud, GET /api/v1/terminos/relaciones-de-confianza, POST /api/v1/nonces
#      (a store write each), GET /api/v1/relaciones and GET /api/v1/sesiones/actual (session),
#      GET /api/v1/desarrolladores?q=… (directory).
# Rate limits are raised for the run (one client, one RFC): the point is the store and the
# components, not the limiter.
#
# Usage: tests/bench/carga.sh
#   STORES="sqlite redis" ADDS=100 LOGINS=200 CONNECTIONS=4 READ_CONNECTIONS=16 DURATION=10s
#   PORT=3821 REDIS_PORT=6391 JOBS=2
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

STORES=${STORES:-sqlite redis}
ADDS=${ADDS:-100}
LOGINS=${LOGINS:-200}
CONNECTIONS=${CONNECTIONS:-4}
READ_CONNECTIONS=${READ_CONNECTIONS:-16}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-1s}
PORT=${PORT:-3821}
REDIS_PORT=${REDIS_PORT:-6391}
JOBS=${JOBS:-2}
PROFILE=host-bench
BENCH_TARGET="target/host-bench-build"
BIN="$BENCH_TARGET/$PROFILE"
LIMITS="actos=1000000/60,sesiones=1000000/60,nonces=1000000/60,nonces_cliente=1000000/60"

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
  cargo build -j "$JOBS" -p avisos-e2e --example bench-relaciones >&2
fi
DRIVER=target/debug/examples/bench-relaciones

work=$(mktemp -d)
host_pid=
redis_pid=
cleanup() {
  if [ -n "$host_pid" ]; then kill "$host_pid" 2>/dev/null || true; wait "$host_pid" 2>/dev/null || true; fi
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

start_host() { # $1 = store
  local store_args=()
  case "$1" in
    sqlite) store_args=(--kv sqlite --state-dir "$work/state-sqlite") ;;
    redis)
      command -v redis-server >/dev/null || { echo "redis-server missing: apt-get install -y redis-server" >&2; exit 1; }
      redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly yes \
        --appendfsync always --dir "$work" --daemonize no >"$work/redis.log" 2>&1 &
      redis_pid=$!
      for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
      printf '[key_value_store.default]\ntype = "redis"\nurl = "redis://127.0.0.1:%s/0"\n' "$REDIS_PORT" \
        >"$work/runtime-config.toml"
      store_args=(--runtime-config-file "$work/runtime-config.toml") ;;
  esac
  "$BIN/avisos-host" up --manifest spin.toml --listen "127.0.0.1:$PORT" "${store_args[@]}" \
    --cache-dir "$work/cache" --quiet \
    --variable limites="$LIMITS" \
    --variable clave_sesion=clave-de-sesion-solo-para-pruebas-0123456789 \
    --variable llave_sello="$(cat shared/acts/testdata/sello-pruebas.pem)" >"$work/host.log" 2>&1 &
  host_pid=$!
  for _ in $(seq 1 600); do
    if curl -sf "http://127.0.0.1:$PORT/api/v1/salud" >/dev/null 2>&1; then return; fi
    if ! kill -0 "$host_pid" 2>/dev/null; then cat "$work/host.log" >&2; exit 1; fi
    sleep 0.1
  done
  echo "the host did not answer" >&2; exit 1
}

stop_all() {
  kill "$host_pid" 2>/dev/null || true; wait "$host_pid" 2>/dev/null || true; host_pid=
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; redis_pid=; fi
}

for store in $STORES; do
  start_host "$store"
  URL="http://127.0.0.1:$PORT"
  echo
  echo "== $store: signed acts (bench-relaciones, $CONNECTIONS connections), $(nproc) CPUs"
  "$DRIVER" acts --url "$URL" --adds "$ADDS" --logins "$LOGINS" --connections "$CONNECTIONS" \
    --token-file "$work/token"
  TOKEN=$(cat "$work/token")
  cat >"$work/mix.json" <<JSON
[{"method": "GET", "url": "$URL/api/v1/salud", "weight": 2},
 {"method": "GET", "url": "$URL/api/v1/terminos/relaciones-de-confianza", "weight": 2},
 {"method": "POST", "url": "$URL/api/v1/nonces", "weight": 2,
  "headers": {"content-type": "application/json"},
  "body": "{\"rfc\":\"EDE200101AB0\",\"accion\":\"INICIO_SESION\"}"},
 {"method": "GET", "url": "$URL/api/v1/relaciones", "weight": 2,
  "headers": {"authorization": "Bearer $TOKEN"}},
 {"method": "GET", "url": "$URL/api/v1/sesiones/actual", "weight": 1,
  "headers": {"authorization": "Bearer $TOKEN"}},
 {"method": "GET", "url": "$URL/api/v1/desarrolladores?q=desarrollos", "weight": 1,
  "headers": {"authorization": "Bearer $TOKEN"}}]
JSON
  echo
  echo "== $store: mixed traffic (avisos-load, $READ_CONNECTIONS connections, $DURATION) while signed logins run"
  "$DRIVER" acts --url "$URL" --adds 1 --logins "$LOGINS" --connections 2 >"$work/acts2.log" 2>&1 &
  acts_pid=$!
  printf '%-34s %10s %9s %9s %9s %9s %7s\n' "traffic" "req/s" "p50 ms" "p90 ms" "p99 ms" "max ms" "errors"
  row=$("$BIN/avisos-load" --mix "$work/mix.json" --connections "$READ_CONNECTIONS" \
    --duration "$DURATION" --warmup "$WARMUP" --format row --label "mix ($store)")
  IFS=$'\t' read -r label rps p50 p90 p99 max errors <<<"$row"
  printf '%-34s %10s %9s %9s %9s %9s %7s\n' "$label" "$rps" "$p50" "$p90" "$p99" "$max" "$errors"
  wait "$acts_pid" || { cat "$work/acts2.log" >&2; exit 1; }
  grep -E "POST /api/v1/sesiones" "$work/acts2.log" | sed "s/^/concurrent logins ($store): /" || true
  stop_all
done
