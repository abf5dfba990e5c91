//! Compiling components and creating one instance per request, as Spin does.
//!
//! Compilation is the slow part (0.5-2 s per component), so compiled components are cached
//! process-wide by the SHA-256 of the `.wasm` file and, optionally, on disk as serialized
//! machine code (`Component::serialize`) keyed by the same hash and the engine's
//! compatibility hash. Each request then gets a fresh `Store` with its own WASI context,
//! outgoing-HTTP rules, key-value access and variables.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::bindings::SpinImports;
use crate::clock::{TestClock, WasiTestClock};
use crate::kv::KvAccess;
use crate::outbound::{AllowedHosts, OutboundHooks};
use crate::variables::ComponentVariables;

/// Everything one component instance can reach; lives in the request's `Store`.
pub struct HostState {
    pub(crate) table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: OutboundHooks,
    pub(crate) kv: KvAccess,
    pub(crate) open_stores: u32,
    pub(crate) variables: Arc<ComponentVariables>,
    pub(crate) component: Arc<str>,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// The process-wide engine (compiled components belong to an engine).
pub(crate) fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.wasm_component_model(true);
        // `AVISOS_HOST_PERFMAP=1`: name the compiled guest functions for `perf` (/tmp/perf-PID.map),
        // to see where a request's time goes inside a component (BENCHMARKS.md, issue 18).
        if std::env::var_os("AVISOS_HOST_PERFMAP").is_some_and(|v| v == "1") {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        // Like Spin, prefer the pooling allocator (much cheaper per-request instantiation)
        // and fall back to on-demand allocation where its address-space reservation fails.
        let mut pooled = config.clone();
        pooled.allocation_strategy(InstanceAllocationStrategy::Pooling(spin_pooling()));
        Engine::new(&pooled)
            .or_else(|_| Engine::new(&config))
            // The default configuration is valid; failing here would be a wasmtime bug.
            .unwrap_or_else(|e| panic!("cannot create the wasmtime engine: {e}"))
    })
}

/// Spin 4's pooling configuration (`crates/core/src/lib.rs`, `Config::default` in
/// spinframework/spin, without its environment overrides): sized for 1,000 live instances, and
/// the first 2 MB of each linear memory and 512 KB of each table kept resident between
/// instances (reset in place instead of returned to the kernel). Without the last two, every
/// request's teardown returned its pages to the kernel and cost TLB shootdowns on every core
/// (`perf` on a session-only read, issue 18).
fn spin_pooling() -> PoolingAllocationConfig {
    const MB: usize = 1 << 20;
    const GB: usize = 1 << 30;
    const MAX_INSTANCES: u32 = 1_000;
    let mut pooling = PoolingAllocationConfig::default();
    pooling
        .total_component_instances(MAX_INSTANCES)
        .total_memories(MAX_INSTANCES)
        .total_tables(2 * MAX_INSTANCES)
        .total_stacks(MAX_INSTANCES)
        .total_core_instances(4 * MAX_INSTANCES)
        .table_elements(100_000)
        .max_component_instance_size(10 * MB)
        .max_core_instance_size(10 * MB)
        .max_core_instances_per_component(200)
        .max_tables_per_component(64)
        .max_memories_per_component(32)
        .max_tables_per_module(2)
        .max_memories_per_module(2)
        .max_memory_size(4 * GB)
        .linear_memory_keep_resident(2 * MB)
        .table_keep_resident(MB / 2);
    pooling
}

/// The linker every component is instantiated against: WASI 0.2, wasi:http and Spin's
/// interfaces.
fn linker() -> Result<&'static Linker<HostState>, String> {
    static LINKER: OnceLock<Result<Linker<HostState>, String>> = OnceLock::new();
    LINKER
        .get_or_init(|| {
            let mut linker = Linker::new(engine());
            wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| e.to_string())?;
            wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
                .map_err(|e| e.to_string())?;
            SpinImports::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)
                .map_err(|e| e.to_string())?;
            Ok(linker)
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Why a component could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum ComponentError {
    #[error("{path} not found")]
    Missing { path: PathBuf },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a usable WebAssembly component: {message}")]
    Compile { path: PathBuf, message: String },
    #[error("{message}")]
    Link { message: String },
}

type CacheEntry = Arc<Mutex<Option<Component>>>;

/// Loads a component, compiling it at most once per process (and once per machine when
/// `cache_dir` is given).
pub(crate) fn load_component(
    path: &Path,
    cache_dir: Option<&Path>,
) -> Result<Component, ComponentError> {
    let bytes = std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            ComponentError::Missing {
                path: path.to_owned(),
            }
        } else {
            ComponentError::Read {
                path: path.to_owned(),
                source,
            }
        }
    })?;
    let digest = hex(&Sha256::digest(&bytes));

    static CACHE: OnceLock<Mutex<HashMap<String, CacheEntry>>> = OnceLock::new();
    let entry = {
        let mut cache = CACHE
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        cache.entry(digest.clone()).or_default().clone()
    };
    // Holding the entry's lock while compiling makes concurrent loads of the same bytes wait
    // for one compilation instead of repeating it.
    let mut slot = entry.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(component) = slot.as_ref() {
        return Ok(component.clone());
    }
    let component = match cache_dir {
        Some(dir) => load_or_compile_cached(path, &bytes, &digest, dir)?,
        None => compile(path, &bytes)?,
    };
    *slot = Some(component.clone());
    Ok(component)
}

fn compile(path: &Path, bytes: &[u8]) -> Result<Component, ComponentError> {
    Component::new(engine(), bytes).map_err(|e| ComponentError::Compile {
        path: path.to_owned(),
        message: format!("{e:#}").replace('\n', " "),
    })
}

fn load_or_compile_cached(
    path: &Path,
    bytes: &[u8],
    digest: &str,
    dir: &Path,
) -> Result<Component, ComponentError> {
    let mut hasher = DefaultHasher::new();
    engine().precompile_compatibility_hash().hash(&mut hasher);
    let file = dir.join(format!("{digest}-{:016x}.cwasm", hasher.finish()));
    if file.is_file() {
        // SAFETY: the file was written by `Component::serialize` of this same engine
        // configuration (its name carries the engine's compatibility hash and the source's
        // digest), in a cache directory only this host writes. wasmtime still checks the
        // header and refuses incompatible artifacts; on any failure we recompile.
        if let Ok(component) = unsafe { Component::deserialize_file(engine(), &file) } {
            return Ok(component);
        }
    }
    let component = compile(path, bytes)?;
    // The cache is an optimisation: failing to write it is not an error.
    if let Ok(serialized) = component.serialize()
        && std::fs::create_dir_all(dir).is_ok()
    {
        let tmp = dir.join(format!(".{digest}.{}.tmp", std::process::id()));
        if std::fs::write(&tmp, serialized).is_ok() && std::fs::rename(&tmp, &file).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
    Ok(component)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is needed to instantiate one component for a request.
pub struct PreparedComponent {
    pub(crate) id: Arc<str>,
    pre: ProxyPre<HostState>,
    /// Staged `files`, mounted read-only at `/`.
    files_root: Option<PathBuf>,
    environment: Vec<(String, String)>,
    allowed_hosts: Arc<AllowedHosts>,
    kv: KvAccess,
    variables: Arc<ComponentVariables>,
}

/// Per-component settings taken from the manifest.
pub(crate) struct ComponentSettings {
    pub id: String,
    pub files_root: Option<PathBuf>,
    pub environment: Vec<(String, String)>,
    pub allowed_hosts: AllowedHosts,
    pub kv: KvAccess,
    pub variables: Arc<ComponentVariables>,
}

impl PreparedComponent {
    /// Links a compiled component against the host's interfaces.
    pub(crate) fn new(
        component: &Component,
        settings: ComponentSettings,
    ) -> Result<Self, ComponentError> {
        let linker = linker().map_err(|message| ComponentError::Link { message })?;
        let pre = linker
            .instantiate_pre(component)
            .and_then(ProxyPre::new)
            .map_err(|e| ComponentError::Link {
                message: format!(
                    "component {:?} cannot run on this host: {}",
                    settings.id,
                    format!("{e:#}").replace('\n', " ")
                ),
            })?;
        Ok(Self {
            id: settings.id.into(),
            pre,
            files_root: settings.files_root,
            environment: settings.environment,
            allowed_hosts: Arc::new(settings.allowed_hosts),
            kv: settings.kv,
            variables: settings.variables,
        })
    }

    pub(crate) fn pre(&self) -> &ProxyPre<HostState> {
        &self.pre
    }

    /// A fresh store for one request.
    pub(crate) fn new_store(
        &self,
        clock: Option<&TestClock>,
    ) -> wasmtime::Result<Store<HostState>> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.inherit_stdout()
            .inherit_stderr()
            .envs(&self.environment);
        if let Some(root) = &self.files_root {
            wasi.preopened_dir(root, "/", FsPerms::ReadOnly)?;
        }
        if let Some(clock) = clock {
            wasi.wall_clock(WasiTestClock(clock.clone()));
        }
        let state = HostState {
            table: ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            hooks: OutboundHooks::new(self.allowed_hosts.clone()),
            kv: self.kv.clone(),
            open_stores: 0,
            variables: self.variables.clone(),
            component: self.id.clone(),
        };
        Ok(Store::new(engine(), state))
    }
}
