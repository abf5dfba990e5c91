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
    /// A Redis server (`redis://host:port/db`), like Spin with `type = "redis"`; the app's
    /// keys live under a prefix of its own, so tests sharing a server do not see each other.
    Redis(String),
}

/// The environment variable that moves every [`TestKv::Memory`] test app to a Redis server
/// (`AVISOS_TEST_KV=redis://127.0.0.1:6390`): `make test` runs the end-to-end suite a second
/// time this way.
pub const TEST_KV_ENV: &str = "AVISOS_TEST_KV";

/// The store [`TestKv::Memory`] stands for in this run: Redis when [`TEST_KV_ENV`] names one.
fn effective_kv(kv: &TestKv) -> TestKv {
    match (kv, std::env::var(TEST_KV_ENV)) {
        (TestKv::Memory, Ok(url)) if url.starts_with("redis://") => TestKv::Redis(url),
        _ => kv.clone(),
    }
}

/// A key prefix no other test app in any process uses.
fn unique_prefix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "avisos-test:{}:{nanos}:{}:",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Opens the stores of a Redis-backed test app: `default` on its own key prefix.
fn redis_stores(
    url: &str,
    max_reconnect_delay: Option<Duration>,
) -> Result<Arc<crate::kv::KvStores>, StartupError> {
    let mut backend = crate::kv::RedisKv::with_prefix(url, &unique_prefix())
        .map_err(|e| StartupError::Invalid(format!("key-value store \"default\": {e}")))?;
    if let Some(delay) = max_reconnect_delay {
        backend = backend.with_max_reconnect_delay(delay);
    }
    let mut stores = crate::kv::KvStores::new();
    stores.insert("default", Arc::new(backend));
    Ok(Arc::new(stores))
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
    /// Fault injection on the default store (see [`crate::kv::Faults`]).
    pub faults: Option<crate::kv::Faults>,
    /// On Redis: the cap between reconnection attempts (Spin's is 60 s, see
    /// [`crate::kv::RedisKv::with_max_reconnect_delay`]), for outage tests that take seconds.
    pub redis_max_reconnect_delay: Option<Duration>,
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
            faults: None,
            redis_max_reconnect_delay: None,
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

    /// Wraps the default store so that `faults` can make it fail mid-request.
    pub fn faults(mut self, faults: &crate::kv::Faults) -> Self {
        self.faults = Some(faults.clone());
        self
    }

    /// On Redis, reconnects after an outage within `delay` (plus as much jitter) instead of
    /// Spin's 60 s; calls still wait while the server is away, as under Spin.
    pub fn redis_max_reconnect_delay(mut self, delay: Duration) -> Self {
        self.redis_max_reconnect_delay = Some(delay);
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
            // Redis stores are opened by the test app itself (see `redis_stores`).
            TestKv::Memory | TestKv::Redis(_) => o.kv = KvMode::Memory,
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
    /// The loopback address the connection comes from (`127.0.0.1` when `None`): another
    /// client, as the app sees it.
    pub from: Option<std::net::Ipv4Addr>,
}

impl TestRequest {
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
            from: None,
        }
    }

    /// Sends the request from `ip` (a loopback address such as `127.0.0.2`).
    pub fn from_address(mut self, ip: std::net::Ipv4Addr) -> Self {
        self.from = Some(ip);
        self
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

/// A request sent by [`TestApp::send_in_background`], its answer not yet seen.
pub struct InFlight {
    what: String,
    rx: std::sync::mpsc::Receiver<Result<TestResponse, String>>,
}

impl InFlight {
    /// The answer, if it comes within `timeout` (`None`: still waiting; ask again later).
    /// Panics if the exchange failed (connection refused or closed, or no answer within the
    /// client's own 60 s).
    pub fn wait(&self, timeout: Duration) -> Option<TestResponse> {
        match self.rx.recv_timeout(timeout) {
            Ok(Ok(r)) => Some(r),
            Ok(Err(e)) => panic!("{} failed: {e}", self.what),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                panic!("{}: the answer was already taken", self.what)
            }
        }
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
    pub fn try_start(mut options: TestOptions) -> Result<Self, StartupError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| StartupError::Invalid(format!("cannot start a tokio runtime: {e}")))?;
        options.kv = effective_kv(&options.kv);
        let mut stores = match (&options.kv, &options.runtime_config_file) {
            (TestKv::Redis(url), None) => {
                Some(redis_stores(url, options.redis_max_reconnect_delay)?)
            }
            _ => None,
        };
        if let Some(faults) = &options.faults {
            let inner = match stores {
                Some(s) => s,
                None => App::load(&options.app_options())?.stores(),
            };
            let mut wrapped = crate::kv::KvStores::new();
            for (label, backend) in inner.labels() {
                let faulty = crate::kv::FaultyKv::new(backend.clone(), faults.clone());
                wrapped.insert(label, Arc::new(faulty));
            }
            stores = Some(Arc::new(wrapped));
        }
        let app = Arc::new(App::load_with_stores(&options.app_options(), stores)?);
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

    /// Sends a request without waiting for its answer: [`InFlight::wait`] looks for it later.
    /// For a store that hangs (Spin's Redis client has no timeout): the test sees that no
    /// answer came within a bound, then that the answer comes once the store is back.
    pub fn send_in_background(&self, request: TestRequest) -> InFlight {
        let what = format!("{} {}", request.method, request.path);
        let (tx, rx) = std::sync::mpsc::channel();
        let addr = self.addr;
        self.runtime.spawn(async move {
            let _ = tx.send(send_request(addr, request).await);
        });
        InFlight { what, rx }
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

    /// Where this app's default store lives (after [`TEST_KV_ENV`] was applied).
    pub fn kv(&self) -> &TestKv {
        &self.options.kv
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

    /// A client for an app another process serves at `addr` (see [`HostProcess`]): every
    /// request helper works; [`TestApp::stop`] does nothing and [`TestApp::restart`] panics.
    pub fn remote(addr: SocketAddr) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start a tokio runtime: {e}"));
        Self {
            runtime,
            options: TestOptions::new(PathBuf::new()),
            addr,
            running: None,
        }
    }

    /// Stops and starts the app again on the same port with the same options and store
    /// (in-memory data is kept; a SQLite store is reopened from its file).
    pub fn restart(&mut self) {
        assert!(
            !self.options.manifest.as_os_str().is_empty(),
            "a remote app cannot be restarted from here"
        );
        let previous = self.running.as_ref().map(|r| r.app.stores());
        self.stop();
        let options = self.options.app_options();
        let stores = match self.options.kv {
            TestKv::Memory | TestKv::Redis(_) => previous,
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
    let stream = match request.from {
        None => tokio::net::TcpStream::connect(addr).await,
        Some(ip) => {
            let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
            socket
                .bind(std::net::SocketAddr::from((ip, 0)))
                .map_err(|e| format!("cannot bind {ip}: {e}"))?;
            socket.connect(addr).await
        }
    }
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

/// A private `redis-server` for one test, on a free loopback port, stopped when dropped.
///
/// Tests that stop the store mid-run or share it between two host processes start their own
/// server this way (the Debian package `redis-server`; `.ci/run` installs it). `durable()`
/// runs it as production should: append-only file with `appendfsync always`, so every
/// acknowledged write survives a crash of the server.
pub struct RedisServer {
    child: Option<std::process::Child>,
    port: u16,
    dir: tempfile::TempDir,
    durable: bool,
}

impl RedisServer {
    /// A server without persistence (`--save ""`, no AOF).
    pub fn start() -> Self {
        Self::launch(false)
    }

    /// A server with `appendonly yes`, `appendfsync always`.
    pub fn durable() -> Self {
        Self::launch(true)
    }

    fn launch(durable: bool) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("avisos-redis-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a directory for redis-server: {e}"));
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port for redis-server: {e}"));
        let mut server = Self {
            child: None,
            port,
            dir,
            durable,
        };
        server.resume();
        server
    }

    /// `redis://127.0.0.1:<port>/<db>`.
    pub fn url(&self, db: u8) -> String {
        format!("redis://127.0.0.1:{}/{db}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server at once (SIGKILL): clients see connection errors until [`resume`].
    ///
    /// [`resume`]: RedisServer::resume
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server as an orderly shutdown does (SIGTERM: Redis flushes its append-only
    /// file and exits), and waits until it has exited. [`resume`] starts it again.
    ///
    /// [`resume`]: RedisServer::resume
    pub fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
        }
    }

    /// Freezes (`true`, SIGSTOP) or thaws (`false`, SIGCONT) the server: a store that stops
    /// answering without closing its connections, as an overloaded or partitioned one does.
    pub fn freeze(&self, frozen: bool) {
        if let Some(child) = &self.child {
            let signal = if frozen { "-STOP" } else { "-CONT" };
            let _ = std::process::Command::new("kill")
                .arg(signal)
                .arg(child.id().to_string())
                .status();
        }
    }

    /// (Re)starts the server on the same port and data directory and waits until it answers.
    pub fn resume(&mut self) {
        if self.child.is_some() {
            return;
        }
        let mut cmd = std::process::Command::new("redis-server");
        cmd.arg("--port")
            .arg(self.port.to_string())
            .args(["--bind", "127.0.0.1", "--save", "", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--logfile", "redis.log"]);
        if self.durable {
            cmd.args(["--appendonly", "yes", "--appendfsync", "always"]);
        } else {
            cmd.args(["--appendonly", "no"]);
        }
        let child = cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start redis-server ({e}): install it (`apt-get install -y \
                     redis-server`; .ci/run does)"
                )
            });
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if self.ping() {
                return;
            }
            if std::time::Instant::now() > deadline {
                let log =
                    std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default();
                panic!("redis-server on port {} did not start:\n{log}", self.port);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn ping(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        let mut buf = [0u8; 16];
        s.write_all(b"PING\r\n").is_ok()
            && s.read(&mut buf)
                .map(|n| buf[..n].starts_with(b"+PONG"))
                .unwrap_or(false)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An `avisos-host up` process (the built binary, `target/debug/avisos-host`) on a free
/// loopback port, killed when dropped. Tests of several hosts sharing one store, and of a
/// host killed mid-run, use it; [`HostProcess::client`] talks to it like a [`TestApp`].
pub struct HostProcess {
    child: Option<std::process::Child>,
    args: Vec<String>,
    client: TestApp,
    log: tempfile::NamedTempFile,
}

impl HostProcess {
    /// The binary `cargo build -p avisos-host` (and `cargo test`) produces.
    pub fn binary() -> PathBuf {
        workspace_root().join("target/debug/avisos-host")
    }

    /// Starts `avisos-host up --manifest spin.toml --listen 127.0.0.1:<free> --quiet
    /// --cache-dir <shared test cache> <args>` and waits until it answers
    /// `GET /api/v1/salud`.
    pub fn start(args: &[String]) -> Self {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("no free port: {e}"));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log = tempfile::NamedTempFile::new()
            .unwrap_or_else(|e| panic!("cannot create a log file: {e}"));
        let mut this = Self {
            child: None,
            args: args.to_vec(),
            client: TestApp::remote(addr),
            log,
        };
        this.spawn();
        this
    }

    fn spawn(&mut self) {
        let binary = Self::binary();
        assert!(
            binary.is_file(),
            "{} is missing: run `cargo build -p avisos-host` first",
            binary.display()
        );
        let out = self
            .log
            .reopen()
            .unwrap_or_else(|e| panic!("cannot open the log file: {e}"));
        let err = out
            .try_clone()
            .unwrap_or_else(|e| panic!("cannot open the log file: {e}"));
        let child = std::process::Command::new(&binary)
            .current_dir(workspace_root())
            .arg("up")
            .arg("--manifest")
            .arg(workspace_root().join("spin.toml"))
            .arg("--listen")
            .arg(self.client.addr().to_string())
            .arg("--cache-dir")
            .arg(cache_dir())
            .arg("--quiet")
            .args(&self.args)
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        self.child = Some(child);
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(r) = self.client.try_send(TestRequest::get("/api/v1/salud"))
                && r.status == 200
            {
                return;
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || std::time::Instant::now() > deadline {
                let log = std::fs::read_to_string(self.log.path()).unwrap_or_default();
                panic!("avisos-host did not start ({exited:?}):\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A client for this host.
    pub fn client(&self) -> &TestApp {
        &self.client
    }

    /// Kills the process at once (SIGKILL): no shutdown, no flushing.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the process again with the same arguments and port.
    pub fn respawn(&mut self) {
        if self.child.is_none() {
            self.spawn();
        }
    }

    /// What the process printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
