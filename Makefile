# avisos: the two commands a newcomer needs are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Every Spin component of the app (functions/*). Keep in step with spin.toml (a test checks it).
COMPONENTS := $(notdir $(wildcard functions/*))
# Components only the host's tests and benchmarks use.
TEST_COMPONENTS := $(notdir $(wildcard tests/components/*))
WASM_TARGET := wasm32-wasip2
LISTEN ?= 127.0.0.1:3000
CARGO ?= cargo

.PHONY: help run build build-test-components host test test-rust test-api lint fmt bench clean

help:
	@echo "make run    build the components and serve the portal on http://$(LISTEN)"
	@echo "make test   run every test (lint, unit, end-to-end on the host, API schema checks)"
	@echo "make bench  platform benchmark (requests/s and latency of /api/v1/salud vs hello)"

## Toolchain: the wasm target is all that a fresh machine with rustup lacks.
.wasm-target:
	@rustup target list --installed 2>/dev/null | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)

build: .wasm-target
	$(CARGO) build --target $(WASM_TARGET) --release $(addprefix -p ,$(COMPONENTS))
	CARGO=$(CARGO) shared/efirma-web/build.sh

build-test-components: .wasm-target
	$(CARGO) build --target $(WASM_TARGET) --release $(addprefix -p ,$(TEST_COMPONENTS))

host:
	$(CARGO) build -p avisos-host

## Serve with real Spin when it is installed, with the in-repo host otherwise. Embedded SQLite store
## under .spin/ either way. The DEMO configuration, asked for explicitly (the app fails closed
## without it): demo CA and credentials under /demo/, generated secrets, the demo analyst.
run: build
	@if command -v spin >/dev/null 2>&1; then \
		echo "Usando Spin: SPIN_VARIABLE_MODO=demo spin up --listen $(LISTEN)"; \
		SPIN_VARIABLE_MODO=demo spin up --listen $(LISTEN); \
	else \
		$(CARGO) build -p avisos-host && \
		echo "Spin no está instalado: usando el host incluido (tests/host)." && \
		SPIN_VARIABLE_MODO=demo ./target/debug/avisos-host up --manifest spin.toml --listen $(LISTEN); \
	fi

## Everything: native unit tests of shared/, the host's tests, end-to-end tests of the real
## components over HTTP (on the default store, then again on a private Redis server), then
## schemathesis against the running app.
test: build build-test-components
	$(CARGO) test
	CARGO=$(CARGO) tests/redis/e2e.sh
	tests/api/schemathesis.sh
	AVISOS_SKIP_BUILD=1 CARGO=$(CARGO) tests/browser/run.sh

.web-target:
	@rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

lint: .web-target
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy --target $(WASM_TARGET) --release $(addprefix -p ,$(COMPONENTS) $(TEST_COMPONENTS)) -- -D warnings
	$(CARGO) clippy --target wasm32-unknown-unknown --profile web -p efirma-web -- -D warnings

fmt:
	$(CARGO) fmt --all

bench: build build-test-components
	tests/bench/platform.sh

clean:
	$(CARGO) clean
	rm -rf .spin
