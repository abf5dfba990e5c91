#!/usr/bin/env bash
# Platform benchmark: the app's `GET /api/v1/salud` against the trivial `hello` component
# (the host's ceiling), both served by avisos-host and loaded over loopback by avisos-load.
# Prints requests/s and latency for both, their ratio, and the size of every built component.
#
# Usage: tests/bench/platform.sh
#   DURATION=5s CONNECTIONS=16 WARMUP=1s JOBS=2 PORT_APP=3801 PORT_HELLO=3802 to tune.
#   Required app variables (if any) come from the environment: SPIN_VARIABLE_<NAME>=...
#
# The host is built with an optimised profile without LTO (`host-bench`, defined below on the
# command line): the first run compiles wasmtime, about 10-15 minutes on 2 cores.
# Load generator and host share the machine, so absolute numbers are pessimistic; the ratio
# is the figure to watch.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-16}
WARMUP=${WARMUP:-1s}
JOBS=${JOBS:-2}
PORT_APP=${PORT_APP:-3801}
PORT_HELLO=${PORT_HELLO:-3802}
WASM_DIR="target/wasm32-wasip2/release"
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh

build_host

# Every component crate in functions/ (the app manifest needs all of them) plus hello.
packages=(-p hello)
for manifest in functions/*/Cargo.toml; do
  [ -f "$manifest" ] || continue
  name=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$manifest" | head -n 1)
  [ -n "$name" ] && packages+=(-p "$name")
done
echo "Building components: ${packages[*]}" >&2
cargo build --target wasm32-wasip2 --release -j "$JOBS" "${packages[@]}" >&2

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME MANIFEST PORT: serve in the background and wait until it listens.
start() {
  local name=$1 manifest=$2 port=$3
  "$BIN/avisos-host" up --manifest "$manifest" --listen "127.0.0.1:$port" \
    --state-dir "$work/$name" --cache-dir "$work/cache" --quiet >"$work/$name.log" 2>&1 &
  pids+=("$!")
  wait_listening "$name" "$port" "${pids[-1]}" "$work/$name.log"
}

# measure LABEL URL: one tab-separated row (label, req/s, p50, p90, p99, max, errors).
measure() {
  "$BIN/avisos-load" --url "$2" --connections "$CONNECTIONS" --duration "$DURATION" \
    --warmup "$WARMUP" --format row --label "$1"
}

rows=()
if [ -f "$WASM_DIR/health.wasm" ]; then
  start app spin.toml "$PORT_APP"
  echo "Measuring GET /api/v1/salud for $DURATION..." >&2
  rows+=("$(measure "GET /api/v1/salud" "http://127.0.0.1:$PORT_APP/api/v1/salud")")
else
  echo "note: $WASM_DIR/health.wasm is missing; measuring hello only" >&2
fi
start hello tests/host/tests/manifests/hello.toml "$PORT_HELLO"
echo "Measuring hello for $DURATION..." >&2
rows+=("$(measure "hello (ceiling)" "http://127.0.0.1:$PORT_HELLO/")")

echo
echo "avisos-host, $CONNECTIONS connections, $DURATION per endpoint (after $WARMUP warm-up), $(nproc) CPUs"
table_header 20 endpoint
for row in "${rows[@]}"; do
  table_row 20 "$row"
done
if [ "${#rows[@]}" -eq 2 ]; then
  salud=$(cut -f2 <<<"${rows[0]}")
  hello=$(cut -f2 <<<"${rows[1]}")
  awk -v s="$salud" -v h="$hello" \
    'BEGIN { if (h > 0) printf "salud / hello throughput: %.2f\n", s / h }'
fi

echo
echo "Component sizes ($WASM_DIR)"
for wasm in "$WASM_DIR"/*.wasm; do
  [ -f "$wasm" ] || continue
  size=$(stat -c %s "$wasm")
  awk -v n="$(basename "$wasm")" -v b="$size" 'BEGIN { printf "  %-28s %9.1f KB\n", n, b / 1024 }'
done
