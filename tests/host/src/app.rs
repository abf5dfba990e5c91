//! Loading an application: manifest, variables, stores, files and compiled components.
//!
//! Everything that can be wrong with an application is checked here, before the host
//! listens, and reported as one [`StartupError`] whose message is a single readable line.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::clock::TestClock;
use crate::instance::{ComponentError, ComponentSettings, PreparedComponent, load_component};
use crate::kv::{KvAccess, KvBackend, KvStores, MemoryKv, RedisKv, SqliteKv};
use crate::manifest::{Manifest, ManifestError};
use crate::outbound::AllowedHosts;
use crate::routes::Router;
use crate::runtime_config::{KvStoreConfig, RuntimeConfig, RuntimeConfigError};
use crate::variables::{ResolvedVariables, Template, VariableError};

/// The default SQLite file name inside the state directory (as `spin up`).
pub const DEFAULT_KV_FILE: &str = "sqlite_key_value.db";

/// Where the default key-value store keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KvMode {
    /// `<state dir>/sqlite_key_value.db`, as `spin up`.
    #[default]
    Sqlite,
    /// In memory: lost when the host stops (tests).
    Memory,
}

/// Where Spin variables read the environment from.
#[derive(Debug, Clone, Default)]
pub enum Environment {
    /// The host process's environment (`SPIN_VARIABLE_<NAME>`), as `spin up`.
    #[default]
    Process,
    /// A given set of environment variables instead (tests that must not touch the process).
    Map(HashMap<String, String>),
}

impl Environment {
    fn lookup(&self, name: &str) -> Option<String> {
        match self {
            Self::Process => std::env::var(name).ok(),
            Self::Map(map) => map.get(name).cloned(),
        }
    }
}

/// How to load an application.
#[derive(Debug, Clone)]
pub struct AppOptions {
    pub manifest: PathBuf,
    /// State directory; default `.spin` next to the manifest.
    pub state_dir: Option<PathBuf>,
    pub kv: KvMode,
    pub runtime_config_file: Option<PathBuf>,
    /// Variable values that win over the environment (`--variable NAME=VALUE`).
    pub variables: HashMap<String, String>,
    pub environment: Environment,
    /// A movable wall clock for every component instance (tests only).
    pub clock: Option<TestClock>,
    /// Directory for compiled-component artifacts; `None` compiles in memory only.
    pub cache_dir: Option<PathBuf>,
    /// Log each request on stderr.
    pub log_requests: bool,
}

impl AppOptions {
    pub fn new(manifest: impl Into<PathBuf>) -> Self {
        Self {
            manifest: manifest.into(),
            state_dir: None,
            kv: KvMode::default(),
            runtime_config_file: None,
            variables: HashMap::new(),
            environment: Environment::default(),
            clock: None,
            cache_dir: None,
            log_requests: true,
        }
    }

    /// The state directory in effect.
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir.clone().unwrap_or_else(|| {
            self.manifest
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .join(".spin")
        })
    }
}

/// A start-up failure; its `Display` is one line.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    RuntimeConfig(#[from] RuntimeConfigError),
    #[error(transparent)]
    Variables(#[from] VariableError),
    #[error("compiled components are missing: {list}; run `make build` first")]
    MissingWasm { list: String },
    #[error("component {component:?}: {source}")]
    Component {
        component: String,
        source: ComponentError,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(
        "{addr} is already in use; stop the other server or choose another address with --listen"
    )]
    PortInUse { addr: SocketAddr },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A loaded application, ready to serve.
pub struct App {
    pub(crate) name: String,
    pub(crate) router: Router,
    pub(crate) components: HashMap<String, Arc<PreparedComponent>>,
    pub(crate) kv: Arc<KvStores>,
    pub(crate) clock: Option<TestClock>,
    pub(crate) log_requests: bool,
    /// Notes for the start-up output (storage locations, duplicate routes, ...).
    pub(crate) notes: Vec<String>,
    /// Staged `files`; deleted when the app is dropped.
    _files: Option<tempfile::TempDir>,
}

impl App {
    /// Loads and checks everything; nothing is served yet.
    pub fn load(options: &AppOptions) -> Result<Self, StartupError> {
        Self::load_with_stores(options, None)
    }

    /// As [`App::load`], but reusing already-open key-value stores (a test restart with
    /// in-memory stores keeps their data).
    pub fn load_with_stores(
        options: &AppOptions,
        stores: Option<Arc<KvStores>>,
    ) -> Result<Self, StartupError> {
        let manifest = Manifest::load(&options.manifest)?;
        let runtime_config = match &options.runtime_config_file {
            Some(path) => RuntimeConfig::load(path)?,
            None => RuntimeConfig::default(),
        };
        let mut notes = Vec::new();

        let router = build_router(&manifest, &mut notes)?;
        // Components without a route are never instantiated (as with `spin up`).
        let routed: BTreeSet<&str> = router.routes().map(|(_, c)| c).collect();

        let variables = ResolvedVariables::resolve(
            &manifest.variables,
            manifest
                .components
                .iter()
                .map(|(id, c)| (id.as_str(), &c.variables)),
            &options.variables,
            |name| options.environment.lookup(name),
        )?;

        let stores = match stores {
            Some(stores) => stores,
            None => Arc::new(open_stores(
                &manifest,
                &routed,
                options,
                &runtime_config,
                &mut notes,
            )?),
        };
        check_routed(&manifest, &routed, &stores)?;
        let files = files_dir(&manifest, &routed)?;

        let mut components = HashMap::new();
        for id in &routed {
            let prepared = prepare_component(
                &manifest,
                id,
                files.as_ref(),
                &variables,
                &stores,
                options,
                &mut notes,
            )?;
            components.insert(id.to_string(), Arc::new(prepared));
        }

        Ok(Self {
            name: manifest.name,
            router,
            components,
            kv: stores,
            clock: options.clock.clone(),
            log_requests: options.log_requests,
            notes,
            _files: files,
        })
    }

    /// The application's name (`[application] name`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key-value stores in use (shared with a restarted app in tests).
    pub fn stores(&self) -> Arc<KvStores> {
        self.kv.clone()
    }

    /// Start-up notes: where data is stored, ignored duplicate routes, empty file patterns.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The route listing `spin up` prints, for a server at `base_url`.
    pub fn route_listing(&self, base_url: &str) -> String {
        let mut out = String::from("Available Routes:\n");
        for (route, component) in self.router.routes() {
            let shown = match route.strip_suffix("/...") {
                Some(prefix) => format!("{base_url}{prefix} (wildcard)"),
                None => format!("{base_url}{route}"),
            };
            out.push_str(&format!("  {component}: {shown}\n"));
        }
        out
    }
}

/// Opens the stores the routed components declare: `default` per `options.kv`, others (and
/// an overridden `default`) from the runtime config.
fn open_stores(
    manifest: &Manifest,
    routed: &BTreeSet<&str>,
    options: &AppOptions,
    runtime_config: &RuntimeConfig,
    notes: &mut Vec<String>,
) -> Result<KvStores, StartupError> {
    let used: BTreeSet<&str> = routed
        .iter()
        .flat_map(|id| manifest.components[*id].key_value_stores.iter())
        .map(String::as_str)
        .collect();
    let mut stores = KvStores::new();
    for label in used {
        let config = match runtime_config.key_value_stores.get(label) {
            Some(c) => c.clone(),
            None if label == "default" => match options.kv {
                KvMode::Sqlite => {
                    KvStoreConfig::SqliteFile(options.state_dir().join(DEFAULT_KV_FILE))
                }
                KvMode::Memory => KvStoreConfig::Memory,
            },
            None => continue, // reported as undefined by the caller
        };
        let backend: Arc<dyn KvBackend> =
            match &config {
                KvStoreConfig::Memory => Arc::new(MemoryKv::new()),
                KvStoreConfig::SqliteFile(path) => Arc::new(SqliteKv::open(path).map_err(|e| {
                    StartupError::Invalid(format!("key-value store {label:?}: {e}"))
                })?),
                KvStoreConfig::Redis { url } => Arc::new(RedisKv::open(url).map_err(|e| {
                    StartupError::Invalid(format!("key-value store {label:?}: {e}"))
                })?),
            };
        notes.push(match label {
            "default" => format!("Storing default key-value data to {}.", backend.describe()),
            _ => format!("Key-value store {label:?}: {}.", backend.describe()),
        });
        stores.insert(label, backend);
    }
    Ok(stores)
}

/// Every routed component's stores exist and its Wasm file is there (as `spin up` checks
/// before serving).
fn check_routed(
    manifest: &Manifest,
    routed: &BTreeSet<&str>,
    stores: &KvStores,
) -> Result<(), StartupError> {
    for id in routed {
        let c = &manifest.components[*id];
        if let Some(label) = c.key_value_stores.iter().find(|l| stores.get(l).is_none()) {
            return Err(StartupError::Invalid(format!(
                "component {id:?} uses key-value store {label:?}, which is not defined \
                 (only \"default\" exists unless a runtime config file defines more)"
            )));
        }
    }
    let missing: Vec<String> = routed
        .iter()
        .map(|id| &manifest.components[*id])
        .filter(|c| !c.source.is_file())
        .map(|c| format!("{} ({})", c.id, c.source.display()))
        .collect();
    if !missing.is_empty() {
        return Err(StartupError::MissingWasm {
            list: missing.join(", "),
        });
    }
    Ok(())
}

/// A temporary directory for the components' `files`, when any routed component has some.
fn files_dir(
    manifest: &Manifest,
    routed: &BTreeSet<&str>,
) -> Result<Option<tempfile::TempDir>, StartupError> {
    if routed
        .iter()
        .all(|id| manifest.components[*id].files.is_empty())
    {
        return Ok(None);
    }
    let dir = tempfile::Builder::new()
        .prefix("avisos-host-files-")
        .tempdir()
        .map_err(|e| StartupError::Invalid(format!("cannot create a directory for files: {e}")))?;
    Ok(Some(dir))
}

/// The router of the manifest's routes; a duplicate route is noted (Spin warns and ignores it).
fn build_router(manifest: &Manifest, notes: &mut Vec<String>) -> Result<Router, StartupError> {
    let router = Router::build(
        manifest
            .routes
            .iter()
            .map(|r| (r.route.as_str(), r.component.as_str())),
    )
    .map_err(StartupError::Invalid)?;
    for d in router.duplicates() {
        notes.push(format!(
            "warning: route {} of component {:?} is a duplicate and is never used \
             (component {:?} wins)",
            d.route, d.replaced, d.effective
        ));
    }
    Ok(router)
}

/// Component `id` compiled and prepared: its files staged under `files`, its outbound hosts
/// rendered, its stores and variables bound.
fn prepare_component(
    manifest: &Manifest,
    id: &str,
    files: Option<&tempfile::TempDir>,
    variables: &ResolvedVariables,
    stores: &Arc<KvStores>,
    options: &AppOptions,
    notes: &mut Vec<String>,
) -> Result<PreparedComponent, StartupError> {
    let decl = &manifest.components[id];
    let component_error = |source| StartupError::Component {
        component: decl.id.clone(),
        source,
    };

    let files_root = match files {
        Some(tmp) if !decl.files.is_empty() => {
            let root = tmp.path().join(&decl.id);
            std::fs::create_dir_all(&root).map_err(|e| {
                StartupError::Invalid(format!("cannot create {}: {e}", root.display()))
            })?;
            let warnings =
                crate::files::stage(&manifest.dir, decl, &root).map_err(StartupError::Invalid)?;
            notes.extend(warnings.into_iter().map(|w| format!("warning: {w}")));
            Some(root)
        }
        _ => None,
    };

    let hosts = decl
        .allowed_outbound_hosts
        .iter()
        .map(|entry| {
            Template::parse(entry)
                .ok()
                .and_then(|t| variables.render(&t))
                .ok_or_else(|| {
                    StartupError::Invalid(format!(
                        "component {id:?}: allowed_outbound_hosts entry {entry:?} \
                             refers to an unknown variable"
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let allowed_hosts = AllowedHosts::parse(&hosts)
        .map_err(|e| StartupError::Invalid(format!("component {id:?}: {e}")))?;

    let compiled =
        load_component(&decl.source, options.cache_dir.as_deref()).map_err(component_error)?;
    PreparedComponent::new(
        &compiled,
        ComponentSettings {
            id: decl.id.clone(),
            files_root,
            environment: decl
                .environment
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            allowed_hosts,
            kv: KvAccess::new(stores.clone(), decl.key_value_stores.iter().cloned()),
            variables: variables.component(id),
        },
    )
    .map_err(component_error)
}
