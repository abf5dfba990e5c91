#!/usr/bin/env bash
# Browser tests of the portal (issue 7): builds what the page needs (components, the in-browser
# e.firma signer, the host), starts the app on the in-repo host with a fresh SQLite store, runs the
# node:test suites in headless Chromium (Debian's /usr/bin/chromium via playwright-core), and
# stops the host. `AVISOS_SKIP_BUILD=1` skips `make build` (make test has just built).
# Screenshots go to target/browser-capturas/; `AVISOS_CAPTURAS=1` refreshes the README's in docs/capturas/.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)
CARGO=${CARGO:-cargo}

if [ "${AVISOS_SKIP_BUILD:-}" != 1 ]; then
  make -C "$ROOT" build
fi
"$ROOT/shared/efirma-web/build.sh"
(cd "$ROOT" && $CARGO build -q -p avisos-host -p avisos-browser-support)

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "Falta Chromium: apt-get install chromium (.ci/run lo instala)." >&2
  exit 1
fi
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund

PORT=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
STATE=$(mktemp -d)
# Fixed test secrets, so no run pays for generating a seal key.
SPIN_VARIABLE_MODO=demo \
SPIN_VARIABLE_LLAVE_SELLO=$(cat "$ROOT/shared/acts/testdata/sello-pruebas.pem") \
SPIN_VARIABLE_CLAVE_SESION=clave-de-sesion-solo-para-pruebas-del-navegador-0123456789 \
SPIN_VARIABLE_LIMITES=actos=100000/60,sesiones=100000/60,actos_cliente=100000/60,firmas_fallidas=100000/60,nonces=100000/60,nonces_cliente=100000/60,tablas=100000/60,consultas=100000/60,bitacora=100000/60,directorio=100000/60,evidencias=100000/60,descargas=100000/60,lecturas_cliente=100000/60 \
  "$ROOT/target/debug/avisos-host" up --manifest "$ROOT/spin.toml" --listen "127.0.0.1:$PORT" \
  --state-dir "$STATE" --quiet &
HOST_PID=$!
cleanup() {
  kill "$HOST_PID" 2>/dev/null || true
  wait "$HOST_PID" 2>/dev/null || true
  rm -rf "$STATE"
}
trap cleanup EXIT

for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$PORT/api/v1/salud" >/dev/null && break
  kill -0 "$HOST_PID" 2>/dev/null || { echo "el host terminó antes de responder" >&2; exit 1; }
  sleep 0.2
done

AVISOS_URL="http://127.0.0.1:$PORT" AVISOS_DB="$STATE/sqlite_key_value.db" node --test --test-concurrency=1 tests/
