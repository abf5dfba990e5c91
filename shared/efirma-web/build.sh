#!/bin/sh
# Builds the browser signer and puts it where the page loads it: static/efirma/efirma_web.wasm.
# Called by `make build`, by spin.toml's static-files build command and by tests/browser/run.sh;
# the .wasm is a build product (ignored by git), never copied by hand.
set -eu
cd "$(dirname "$0")/../.."
if command -v rustup >/dev/null 2>&1; then
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
fi
${CARGO:-cargo} build --target wasm32-unknown-unknown --profile web -p efirma-web
mkdir -p static/efirma
cp target/wasm32-unknown-unknown/web/efirma_web.wasm static/efirma/efirma_web.wasm.tmp
mv static/efirma/efirma_web.wasm.tmp static/efirma/efirma_web.wasm
