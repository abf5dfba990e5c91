//! A small Spin-compatible host for machines without the Spin CLI.
//!
//! It runs an application's real compiled components (`wasm32-wasip2`, spin-sdk 5.2) the way
//! `spin up` does: HTTP trigger routes from `spin.toml`, one instance per request, Spin's
//! key-value and variables interfaces, `files` mounts and `allowed_outbound_hosts`. It
//! implements only what Spin does (plus a test clock and the [`testing`] API), so nothing in
//! the application depends on it. See `tests/host/README.md`.

pub mod app;
mod bindings;
pub mod clock;
mod files;
mod instance;
pub mod kv;
pub mod manifest;
pub mod outbound;
pub mod routes;
pub mod runtime_config;
pub mod server;
mod spin_host;
pub mod testing;
pub mod variables;

pub use app::{App, AppOptions, Environment, KvMode, StartupError};
pub use clock::TestClock;
pub use instance::ComponentError;
pub use testing::{
    HostProcess, RedisServer, TestApp, TestKv, TestOptions, TestRequest, TestResponse,
};
