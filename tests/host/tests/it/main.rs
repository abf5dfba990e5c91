//! Host tests over real HTTP with real compiled components (`probe`, `hello`).
//!
//! Needs `cargo build --target wasm32-wasip2 --release -p hello -p probe` (part of
//! `make build`). One test binary, so wasmtime is linked once.

mod cli;

mod files;
mod headers;
mod kv;
mod outbound;
mod serving;
mod variables;

use std::path::PathBuf;

use avisos_host::testing::{TestApp, TestOptions, require_wasm};

/// A manifest under `tests/manifests/`.
pub fn manifest(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/manifests")
        .join(name)
}

/// Options for `probe.toml` with its required variable set.
pub fn probe_options() -> TestOptions {
    require_wasm(&["probe", "hello"]);
    TestOptions::new(manifest("probe.toml")).variable("token", "t0k3n")
}

pub fn probe_app() -> TestApp {
    TestApp::start(probe_options())
}
