#!/usr/bin/env bash
# A payroll vendor keeps 5,000 employers in sync (issue 19): the reference client
# `avisos-cliente` against the app on the in-process host (optimised build), store on Redis with
# `appendfsync always`. Seeds PATRONES employers × AVISOS avisos (not measured), then times the
# first full sync and a second sync after CAMBIOS % of the avisos changed
# (tests/e2e/examples/bench-sincronizar.rs). Prints a Markdown table.
#
# Usage: tests/bench/sincronizar.sh   PATRONES=5000 AVISOS=200 CAMBIOS=1 REDIS_PORT=6412 JOBS=2
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

PATRONES=${PATRONES:-5000}
AVISOS=${AVISOS:-200}
CAMBIOS=${CAMBIOS:-1}
REDIS_PORT=${REDIS_PORT:-6412}
JOBS=${JOBS:-2}
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh

command -v redis-server >/dev/null || { echo "redis-server no está instalado" >&2; exit 1; }
if [ -z "${SKIP_BUILD:-}" ]; then
  make build >&2
fi
build_host -p avisos-e2e --example bench-sincronizar

work=$(mktemp -d)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$work" --save "" \
  --appendonly yes --appendfsync always --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done

"$BIN/examples/bench-sincronizar" --redis "redis://127.0.0.1:$REDIS_PORT/0" \
  --patrones "$PATRONES" --avisos "$AVISOS" --cambios "$CAMBIOS"
echo "(store: Redis with appendfsync always; $(nproc) cores; $(date -u +%F))"
