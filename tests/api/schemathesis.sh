#!/usr/bin/env bash
# Property-based API testing: schemathesis (from PyPI) generates requests from openapi.yaml and
# checks the running app's answers: no 5xx, documented status codes, content types, headers and
# response schemas. The app runs on the in-repo host with an in-memory store on a loopback port.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=4.32.5
VENV=target/venv-schemathesis
PORT=${SCHEMATHESIS_PORT:-3917}
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-40}

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi

# `cargo test` (run first by `make test`) already built the host; building it alone would resolve
# features differently and recompile wasmtime.
[ -x target/debug/avisos-host ] || cargo build --quiet -p avisos-host
LOG=$(mktemp)
./target/debug/avisos-host up --manifest spin.toml --listen "127.0.0.1:$PORT" --kv memory \
  --variable modo=demo \
  --variable llave_sello="$(cat shared/acts/testdata/sello-pruebas.pem)" \
  --variable clave_sesion=clave-de-sesion-solo-para-pruebas-0123456789 --quiet \
  --variable clave_contrasena=clave-de-contrasenas-solo-para-pruebas-0123456789 \
  --variable limites=actos=100000/60,sesiones=100000/60,actos_cliente=100000/60,firmas_fallidas=100000/60,nonces=100000/60,nonces_cliente=100000/60,tablas=100000/60,consultas=100000/60,bitacora=100000/60,directorio=100000/60,evidencias=100000/60,descargas=100000/60,lecturas_cliente=100000/60 \
  >"$LOG" 2>&1 &
HOST_PID=$!
trap 'kill "$HOST_PID" 2>/dev/null || true; wait "$HOST_PID" 2>/dev/null || true; rm -f "$LOG"' EXIT
# The debug-built host compiles every component before it listens: on a loaded 2-core machine
# with a cold compilation cache that takes well over 20 s. Wait up to 5 minutes, and never start
# schemathesis against a host that is not answering.
up=""
for _ in $(seq 1 1500); do
  if curl -fsS "http://127.0.0.1:$PORT/api/v1/salud" >/dev/null 2>&1; then up=1; break; fi
  kill -0 "$HOST_PID" 2>/dev/null || { cat "$LOG"; echo "el host no arrancó" >&2; exit 1; }
  sleep 0.2
done
[ -n "$up" ] || { cat "$LOG"; echo "el host no respondió en 5 minutos" >&2; exit 1; }

"$VENV/bin/schemathesis" run openapi.yaml \
  --url "http://127.0.0.1:$PORT" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --max-examples "$MAX_EXAMPLES" \
  --seed 20261123 \
  --workers 2 \
  --request-timeout 30 \
  --suppress-health-check too_slow \
  --warnings off
