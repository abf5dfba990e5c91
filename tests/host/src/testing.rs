//! Running an application from plain `#[test]` functions.
//!
//! ```no_run
//! use avisos_host::testing::{TestApp, TestOptions, TestRequest};
//!
//! let app = TestApp::start(TestOptions::app());
//! let res = app.get("/api/v1/salud");
//! assert_eq!(res.status, 200);
//! let res = app.send(TestRequest::post("/api/v1/x").header("accept", "application/json").body("{}"));
//! assert_eq!(res.json::<serde_json::Value>()["codigo"], "X");
//! ```
//!
//! [`TestApp`] serves on an ephemeral loopback port from a background tokio runtime and
//! offers a small blocking HTTP client. Its methods block, so call them from ordinary test
//! code, not from inside an async runtime. Compiled components are cached under
//! `target/avisos-host-cache`, so only the first test run after a build pays for compilation.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

use crate::app::{App, AppOptions, Environment, KvMode, StartupError};
use crate::clock::TestClock;

/// How long a test request may take before the test fails.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The repository root (the directory with the workspace `Cargo.toml` and `spin.toml`).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = here.join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Where `make build` puts the components: `target/wasm32-wasip2/release`.
pub fn wasm_dir() -> PathBuf {
    workspace_root().join("target/wasm32-wasip2/release")
}

/// Panics with instructions unless every named component (`health`, `probe`, ...) is built.
pub fn require_wasm(names: &[&str]) {
    let dir = wasm_dir();
    let missing: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !dir.join(format!("{}.wasm", n.replace('-', "_"))).is_file())
        .collect();
    if !missing.is_empty() {
        panic!(
            "missing compiled component(s) {} in {}: run `make build` first (or \
             `cargo build --target wasm32-wasip2 --release -p {}`)",
            missing.join(", "),
            dir.display(),
            missing.join(" -p ")
        );
    }
}

/// The shared compiled-component cache used by tests.
pub fn cache_dir() -> PathBuf {
    workspace_root().join("target/avisos-host-cache")
}

/// Where the test app keeps key-value data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TestKv {
    /// In memory; survives [`TestApp::restart`] but not the test.
    #[default]
    Memory,
    /// `<dir>/sqlite_key_value.db`, like `spin up` with `--state-dir <dir>`.
    Sqlite(PathBuf),
}

/// How to start a [`TestApp`].
#[derive(Debug, Clone)]
pub struct TestOptions {
    pub manifest: PathBuf,
    /// Variable values (win over the environment).
    pub variables: HashMap<String, String>,
    /// The environment Spin variables are read from; `None` = this process's environment.
    pub environment: Option<HashMap<String, String>>,
    pub kv: TestKv,
    pub clock: Option<TestClock>,
    pub runtime_config_file: Option<PathBuf>,
    /// Log each request on stderr (shown when a test fails).
    pub log_requests: bool,
}

impl TestOptions {
    /// A manifest path (relative paths are relative to the current directory, which for
    /// `cargo test` is the crate's directory).
    pub fn new(manifest: impl Into<PathBuf>) -> Self {
        Self {
            manifest: manifest.into(),
            variables: HashMap::new(),
            environment: None,
            kv: TestKv::Memory,
            clock: None,
            runtime_config_file: None,
            log_requests: true,
        }
    }

    /// The application's own `spin.toml`.
    pub fn app() -> Self {
        Self::new(workspace_root().join("spin.toml"))
    }

    /// Sets a variable value, as `spin up --variable name=value`.
    pub fn variable(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.variables.insert(name.into(), value.into());
        self
    }

    /// Reads Spin variables from this map instead of the process environment, and adds an
    /// entry (e.g. `env("SPIN_VARIABLE_APP_VERSION", "9")`).
    pub fn env(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.environment
            .get_or_insert_with(HashMap::new)
            .insert(name.into(), value.into());
        self
    }

    pub fn kv(mut self, kv: TestKv) -> Self {
        self.kv = kv;
        self
    }

    /// Installs a movable wall clock in every component instance.
    pub fn clock(mut self, clock: &TestClock) -> Self {
        self.clock = Some(clock.clone());
        self
    }

    pub fn runtime_config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.runtime_config_file = Some(path.into());
        self
    }

    pub fn quiet(mut self) -> Self {
        self.log_requests = false;
        self
    }

    fn app_options(&self) -> AppOptions {
        let mut o = AppOptions::new(self.manifest.clone());
        o.variables = self.variables.clone();
        o.environment = match &self.environment {
            Some(map) => Environment::Map(map.clone()),
            None => Environment::Process,
        };
        match &self.kv {
            TestKv::Memory => o.kv = KvMode::Memory,
            TestKv::Sqlite(dir) => {
                o.kv = KvMode::Sqlite;
                o.state_dir = Some(dir.clone());
            }
        }
        o.clock = self.clock.clone();
        o.runtime_config_file = self.runtime_config_file.clone();
        o.cache_dir = Some(cache_dir());
        o.log_requests = self.log_requests;
        o
    }
}

/// An HTTP request for [`TestApp::send`].
#[derive(Debug, Clone)]
pub struct TestRequest {
    pub method: Method,
    /// Path and query, e.g. `/api/v1/x?y=1`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl TestRequest {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    pub fn post(path: impl Into<String>) -> Self {
        Self::new(Method::POST, path)
    }

    pub fn put(path: impl Into<String>) -> Self {
        Self::new(Method::PUT, path)
    }

    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path)
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// A JSON body with `content-type: application/json`.
    pub fn json(self, value: &impl serde::Serialize) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_else(|e| panic!("cannot encode JSON: {e}"));
        self.header("content-type", "application/json").body(body)
    }
}

/// A complete HTTP response.
#[derive(Debug, Clone)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; panics with the body if it is not.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response ({}) is not the expected JSON: {e}\n{}",
                self.status,
                self.text()
            )
        })
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

struct Running {
    app: Arc<App>,
    shutdown: tokio::sync::oneshot::Sender<()>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// An application served on a loopback port for the duration of a test.
pub struct TestApp {
    runtime: tokio::runtime::Runtime,
    options: TestOptions,
    addr: SocketAddr,
    running: Option<Running>,
}

impl TestApp {
    /// Starts the app; panics with the start-up error (e.g. "run `make build` first").
    pub fn start(options: TestOptions) -> Self {
        Self::try_start(options).unwrap_or_else(|e| panic!("the app did not start: {e}"))
    }

    /// Starts the app, returning start-up errors (for tests of those errors).
    pub fn try_start(options: TestOptions) -> Result<Self, StartupError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| StartupError::Invalid(format!("cannot start a tokio runtime: {e}")))?;
        let app = Arc::new(App::load(&options.app_options())?);
        let listener = crate::server::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartupError::Listen {
                addr: SocketAddr::from(([127, 0, 0, 1], 0)),
                source,
            })?;
        let mut this = Self {
            runtime,
            options,
            addr,
            running: None,
        };
        this.serve(app, listener);
        Ok(this)
    }

    fn serve(&mut self, app: Arc<App>, listener: std::net::TcpListener) {
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let done = self
            .runtime
            .spawn(crate::server::serve(app.clone(), listener, async {
                let _ = stop.await;
            }));
        self.running = Some(Running {
            app,
            shutdown,
            done,
        });
    }

    /// The server's address (`127.0.0.1:<port>`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// An absolute URL for a path, e.g. `url("/api/v1/salud")`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends a request and waits for the whole response; panics if there is none.
    pub fn send(&self, request: TestRequest) -> TestResponse {
        let what = format!("{} {}", request.method, request.path);
        self.try_send(request)
            .unwrap_or_else(|e| panic!("{what} failed: {e}"))
    }

    /// Sends a request; `Err` if the connection or the exchange fails.
    pub fn try_send(&self, request: TestRequest) -> Result<TestResponse, String> {
        self.runtime.block_on(send_request(self.addr, request))
    }

    /// Sends all requests at once (one connection each) and returns the responses in order.
    pub fn send_all(&self, requests: impl IntoIterator<Item = TestRequest>) -> Vec<TestResponse> {
        let addr = self.addr;
        let handles: Vec<_> = requests
            .into_iter()
            .map(|r| {
                let what = format!("{} {}", r.method, r.path);
                (what, self.runtime.spawn(send_request(addr, r)))
            })
            .collect();
        self.runtime.block_on(async {
            let mut out = Vec::new();
            for (what, h) in handles {
                match h.await {
                    Ok(Ok(r)) => out.push(r),
                    Ok(Err(e)) => panic!("{what} failed: {e}"),
                    Err(e) => panic!("{what} failed: {e}"),
                }
            }
            out
        })
    }

    pub fn get(&self, path: &str) -> TestResponse {
        self.send(TestRequest::get(path))
    }

    pub fn post(&self, path: &str, body: impl Into<Vec<u8>>) -> TestResponse {
        self.send(TestRequest::post(path).body(body))
    }

    pub fn put(&self, path: &str, body: impl Into<Vec<u8>>) -> TestResponse {
        self.send(TestRequest::put(path).body(body))
    }

    pub fn delete(&self, path: &str) -> TestResponse {
        self.send(TestRequest::delete(path))
    }

    /// The loaded application (route listing, stores, notes).
    pub fn app(&self) -> Option<&App> {
        self.running.as_ref().map(|r| &*r.app)
    }

    /// Stops serving after in-flight requests finish. Idempotent.
    pub fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.shutdown.send(());
            let result = self.runtime.block_on(running.done);
            if let Ok(Err(e)) = result {
                eprintln!("test server stopped with an error: {e}");
            }
        }
    }

    /// Stops and starts the app again on the same port with the same options and store
    /// (in-memory data is kept; a SQLite store is reopened from its file).
    pub fn restart(&mut self) {
        let previous = self.running.as_ref().map(|r| r.app.stores());
        self.stop();
        let options = self.options.app_options();
        let stores = match self.options.kv {
            TestKv::Memory => previous,
            TestKv::Sqlite(_) => None,
        };
        let app = App::load_with_stores(&options, stores)
            .unwrap_or_else(|e| panic!("the app did not restart: {e}"));
        let listener = crate::server::bind(self.addr)
            .unwrap_or_else(|e| panic!("the app did not restart: {e}"));
        self.serve(Arc::new(app), listener);
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn send_request(addr: SocketAddr, request: TestRequest) -> Result<TestResponse, String> {
    tokio::time::timeout(REQUEST_TIMEOUT, exchange(addr, request))
        .await
        .map_err(|_| format!("no response within {REQUEST_TIMEOUT:?}"))?
}

async fn exchange(addr: SocketAddr, request: TestRequest) -> Result<TestResponse, String> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let mut builder = Request::builder().method(request.method).uri(&request.path);
    if !request
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("host"))
    {
        builder = builder.header(http::header::HOST, addr.to_string());
    }
    for (k, v) in &request.headers {
        builder = builder.header(k, v);
    }
    let req = builder
        .body(Full::new(Bytes::from(request.body)))
        .map_err(|e| format!("bad request: {e}"))?;
    let response = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| format!("reading the body: {e}"))?
        .to_bytes();
    Ok(TestResponse {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: body.to_vec(),
    })
}
