#!/usr/bin/env bash
# Signed acts and session reads beside the platform's ceiling (issue 18), in one run: the
# smallest component (`hello`) first, then the app on avisos-host (optimised build) per store:
# the embedded SQLite default and, when `redis-server` is installed, Redis with
# `appendfsync always` (every write durable, as the issue's measurement on Spin).
#
# Per store:
#   - pre-signed, single-use acts over 4 connections (tests/e2e/examples/bench-relaciones.rs):
#     POST /api/v1/sesiones (login) and POST /api/v1/relaciones (add a relation);
#   - session-authenticated reads with avisos-load, 16 connections: GET /api/v1/sesiones/actual,
#     a relations page of 100, a directory search;
#   - a payroll system's consultation, page of 100 (audit record included), after a
#     publication of AVISOS avisos (tests/e2e/examples/bench-avisos.rs).
# Then the relations table of 10,000 rows in one request (the in-process host, optimised build,
# median of 3).
# Every row carries its ratio to hello's req/s of the same run.
#
# Usage: tests/bench/actos.sh
#   STORES="sqlite redis" ADDS=400 LOGINS=400 CONNECTIONS=4 READ_CONNECTIONS=16 DURATION=5s
#   AVISOS=2000 SIZES=10000 (empty: no table part) PORT=3821 JOBS=2 SKIP_BUILD=1
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

STORES=${STORES:-sqlite redis}
ADDS=${ADDS:-400}
LOGINS=${LOGINS:-400}
CONNECTIONS=${CONNECTIONS:-4}
READ_CONNECTIONS=${READ_CONNECTIONS:-16}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
AVISOS=${AVISOS:-2000}
SIZES=${SIZES-10000}
PORT=${PORT:-3821}
REDIS_PORT=${REDIS_PORT:-6411}
JOBS=${JOBS:-2}
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh

build_host
if [ -z "${SKIP_BUILD:-}" ]; then
  echo "Building the components and the benchmark drivers..." >&2
  make build >&2
  cargo build --target wasm32-wasip2 --release -j "$JOBS" -p hello >&2
fi
# The drivers (and the in-process host of the table part) in the same optimised build.
build_host -p avisos-e2e --example bench-relaciones --example bench-avisos
ACTS=$BIN/examples/bench-relaciones
AVISOS_DRIVER=$BIN/examples/bench-avisos

bench_work
redis_pid=
trap 'stop_host; [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null; rm -rf "$work"' EXIT

load() {
  "$BIN/avisos-load" --connections "$READ_CONNECTIONS" --duration "$DURATION" \
    --warmup "$WARMUP" --format row "$@"
}

# ratio_row LABEL ROW: a table row with its × hello.
ratio_row() {
  local label rps p50 p90 p99 max errors
  IFS=$'\t' read -r label rps p50 p90 p99 max errors <<<"$1"
  printf "%-48s %10s %9s %9s %7s %8s\n" "$label" "$rps" "$p50" "$p99" "$errors" \
    "$(awk -v a="$rps" -v b="$HELLO" 'BEGIN { printf "%.2f", a / b }')"
}
header() {
  printf "%-48s %10s %9s %9s %7s %8s\n" "$1" "req/s" "p50 ms" "p99 ms" "errors" "× hello"
}

echo
echo "== The ceiling: tests/components/hello on avisos-host, $READ_CONNECTIONS connections"
"$BIN/avisos-host" up --manifest tests/host/tests/manifests/hello.toml \
  --listen "127.0.0.1:$PORT" --state-dir "$work/hello" --cache-dir "$work/cache" --quiet \
  >"$work/hello.log" 2>&1 &
host_pid=$!
wait_listening hello "$PORT" "$host_pid" "$work/hello.log"
row=$(load --url "http://127.0.0.1:$PORT/" --label "hello")
HELLO=$(cut -f2 <<<"$row")
stop_host
header request
ratio_row "$row"

start_redis() {
  mkdir -p "$work/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$work/redis" --save "" \
    --appendonly yes --appendfsync always --daemonize no >"$work/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 100); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "redis-server did not start" >&2
  cat "$work/redis.log" >&2
  exit 1
}

for store in $STORES; do
  args=(--state-dir "$work/state-$store")
  case $store in
    sqlite) args+=(--kv sqlite) ;;
    redis)
      if ! command -v redis-server >/dev/null; then
        echo "note: redis-server is not installed; no Redis rows" >&2
        continue
      fi
      start_redis
      printf '[key_value_store.default]\ntype = "redis"\nurl = "redis://127.0.0.1:%s/0"\n' \
        "$REDIS_PORT" >"$work/redis.toml"
      args+=(--runtime-config-file "$work/redis.toml")
      ;;
    memory) args+=(--kv memory) ;;
    *) echo "unknown store $store" >&2; exit 2 ;;
  esac
  start_app "$PORT" "$work" "${args[@]}"
  URL="http://127.0.0.1:$PORT"
  echo
  echo "== $store: signed acts, $CONNECTIONS connections, each request pre-signed and unique"
  "$ACTS" acts --url "$URL" --adds "$ADDS" --logins "$LOGINS" --connections "$CONNECTIONS" \
    --token-file "$work/token" --reference "$HELLO"
  TOKEN=$(cat "$work/token")
  echo
  echo "== $store: reads, $READ_CONNECTIONS connections, $DURATION each"
  header request
  auth=(-H "authorization: Bearer $TOKEN")
  ratio_row "$(load --url "$URL/api/v1/sesiones/actual" "${auth[@]}" --label "GET sesiones/actual")"
  ratio_row "$(load --url "$URL/api/v1/relaciones?por_pagina=100" "${auth[@]}" \
    --label "GET relaciones, page of 100")"
  ratio_row "$(load --url "$URL/api/v1/desarrolladores?q=desarrollos" "${auth[@]}" \
    --label "GET desarrolladores?q=desarrollos")"
  ratio_row "$(load --url "$URL/api/v1/salud" --label "GET salud (one read)")"
  echo
  echo "== $store: a payroll system's consultation ($AVISOS avisos published)"
  "$AVISOS_DRIVER" setup --url "$URL" --out "$work/load-$store" --avisos "$AVISOS" --loads 0 \
    >"$work/avisos-setup.log" 2>&1 || { cat "$work/avisos-setup.log" >&2; exit 1; }
  DEV=$(cat "$work/load-$store/token-desarrollador")
  header request
  ratio_row "$(load --url "$URL/api/v1/avisos/consultas" --method POST \
    --body "$(cat "$work/load-$store/consulta-100")" -H "authorization: Bearer $DEV" \
    -H "content-type: application/json" --label "POST avisos/consultas, page of 100")"
  stop_host
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    redis_pid=
  fi
done

if [ -n "$SIZES" ]; then
  echo
  echo "== The relations table in one request (in-process host, optimised, in-memory store; median of 3)"
  "$ACTS" export --sizes "$SIZES"
fi
