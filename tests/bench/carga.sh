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
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh

build_host
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
  stop_host
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
  start_app "$PORT" "$work" "${store_args[@]}"
}

stop_all() {
  stop_host
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
  table_header 34 traffic
  table_row 34 "$("$BIN/avisos-load" --mix "$work/mix.json" --connections "$READ_CONNECTIONS" \
    --duration "$DURATION" --warmup "$WARMUP" --format row --label "mix ($store)")"
  wait "$acts_pid" || { cat "$work/acts2.log" >&2; exit 1; }
  grep -E "POST /api/v1/sesiones" "$work/acts2.log" | sed "s/^/concurrent logins ($store): /" || true
  stop_all
done
