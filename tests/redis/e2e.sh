#!/usr/bin/env bash
# The end-to-end suite again, on a real Redis server instead of the default store (issue 9):
# starts a private redis-server on loopback (port $AVISOS_REDIS_PORT, default 6390, no
# persistence), runs the end-to-end test executables with AVISOS_TEST_KV pointing at it (every test
# app then keeps its keys under a prefix of its own), and stops the server whatever happens.
# With AVISOS_TEST_KV already set, uses that server instead of starting one.
set -euo pipefail
cd "$(dirname "$0")/../.."
CARGO=${CARGO:-cargo}

if [[ -z "${AVISOS_TEST_KV:-}" ]]; then
    command -v redis-server >/dev/null || {
        echo "redis-server no está instalado: apt-get install -y redis-server" >&2
        exit 1
    }
    port=${AVISOS_REDIS_PORT:-6390}
    dir=$(mktemp -d)
    stop() {
        if [[ -f "$dir/redis.pid" ]]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
        rm -rf "$dir"
    }
    trap stop EXIT
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
        --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
    for _ in $(seq 100); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    redis-cli -p "$port" ping >/dev/null || { cat "$dir/redis.log" >&2; exit 1; }
    export AVISOS_TEST_KV="redis://127.0.0.1:$port/0"
fi

# The test executables `cargo test` (the whole workspace, as `make test` runs it) built: running
# them directly reuses that build. (`cargo test -p avisos-e2e` would resolve features for a
# smaller package set and could rebuild wasmtime.)
mapfile -t bins < <($CARGO test --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if (m.get("reason") == "compiler-artifact" and m.get("executable")
            and m["target"]["kind"] == ["test"] and "avisos-e2e@" in m["package_id"]):
        print(m["executable"])
')
[[ ${#bins[@]} -gt 0 ]] || { echo "no end-to-end test executables: run cargo test first" >&2; exit 1; }
echo "End-to-end suite on Redis ($AVISOS_TEST_KV): ${#bins[@]} test files"
cd tests/e2e
for bin in "${bins[@]}"; do
    echo "--- $(basename "$bin")"
    "$bin" "$@"
done
