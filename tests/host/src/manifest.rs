//! Reading a Spin manifest (`spin.toml`, `spin_manifest_version = 2`).
//!
//! Only the parts that affect how an HTTP application runs are kept; `build`, `watch`,
//! descriptions and other tooling sections are accepted and ignored, as `spin up` ignores them.
//! Features this host does not implement (remote sources, SQLite databases, component
//! dependencies, ...) are refused at load time with a message naming them, rather than
//! silently behaving differently from Spin.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::variables::{self, Template, VariableDecl};

/// A manifest problem, reported at start-up as one readable line.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read manifest {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid manifest {path}: {message}")]
    Toml { path: PathBuf, message: String },
    #[error("invalid manifest {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The parts of a Spin application that the host runs.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The manifest file itself.
    pub path: PathBuf,
    /// The directory containing the manifest: relative paths in it are relative to this.
    pub dir: PathBuf,
    pub name: String,
    pub version: Option<String>,
    /// Application variables (`[variables]`).
    pub variables: BTreeMap<String, VariableDecl>,
    /// Public HTTP routes in manifest order (private routes are not reachable over HTTP).
    pub routes: Vec<HttpRoute>,
    /// Components by ID.
    pub components: BTreeMap<String, ComponentDecl>,
}

/// One `[[trigger.http]]` entry with a public route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    pub route: String,
    pub component: String,
}

/// One `[component.<id>]` table.
#[derive(Debug, Clone)]
pub struct ComponentDecl {
    pub id: String,
    /// Absolute path of the component's `.wasm` file.
    pub source: PathBuf,
    pub files: Vec<FilesMount>,
    pub exclude_files: Vec<String>,
    pub allowed_outbound_hosts: Vec<String>,
    pub key_value_stores: Vec<String>,
    pub environment: BTreeMap<String, String>,
    /// Component variables: name → template over application variables.
    pub variables: BTreeMap<String, Template>,
}

/// One entry of a component's `files`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilesMount {
    /// A file path or glob pattern relative to the manifest, mounted at the same relative path.
    Pattern(String),
    /// A directory relative to the manifest, mounted at an absolute guest path.
    Placement { source: String, destination: String },
}

impl Manifest {
    /// Reads and validates a manifest file.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Parses manifest text; `path` locates relative paths and names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ManifestError> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| ManifestError::Toml {
            path: path.to_owned(),
            message: toml_error_line(&e, text),
        })?;
        let dir = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        raw.validate(path, dir)
            .map_err(|message| ManifestError::Invalid {
                path: path.to_owned(),
                message,
            })
    }
}

/// Formats a TOML error as one line: position and message, without the source excerpt.
fn toml_error_line(err: &toml::de::Error, text: &str) -> String {
    let message = err.message().trim().replace('\n', " ");
    match err.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

#[derive(Deserialize)]
struct RawManifest {
    spin_manifest_version: toml::Value,
    application: RawApplication,
    #[serde(default)]
    variables: BTreeMap<String, RawVariable>,
    #[serde(default)]
    trigger: BTreeMap<String, Vec<RawTrigger>>,
    #[serde(default)]
    component: BTreeMap<String, RawComponent>,
}

#[derive(Deserialize)]
struct RawApplication {
    name: String,
    version: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    #[serde(default)]
    required: bool,
    default: Option<String>,
    #[serde(default)]
    secret: bool,
    #[serde(default)]
    #[allow(dead_code)] // documentation only
    description: Option<String>,
}

#[derive(Deserialize)]
struct RawTrigger {
    route: Option<RawRoute>,
    component: Option<toml::Value>,
    executor: Option<toml::Value>,
    static_response: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRoute {
    Path(String),
    Private { private: bool },
}

#[derive(Deserialize)]
struct RawComponent {
    source: toml::Value,
    #[serde(default)]
    files: Vec<RawFilesMount>,
    #[serde(default)]
    exclude_files: Vec<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    allowed_http_hosts: Vec<String>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    sqlite_databases: Vec<String>,
    #[serde(default)]
    ai_models: Vec<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawFilesMount {
    Pattern(String),
    Placement { source: String, destination: String },
}

impl RawManifest {
    fn validate(self, path: &Path, dir: PathBuf) -> Result<Manifest, String> {
        match self.spin_manifest_version.as_integer() {
            Some(2) => {}
            _ => {
                return Err(format!(
                    "spin_manifest_version must be 2 (found {})",
                    self.spin_manifest_version
                ));
            }
        }

        let mut variables = BTreeMap::new();
        for (name, raw) in self.variables {
            variables::validate_name(&name).map_err(|r| format!("variable {name:?}: {r}"))?;
            match (raw.required, &raw.default) {
                (true, Some(_)) => {
                    return Err(format!(
                        "variable {name:?} cannot be both required and have a default"
                    ));
                }
                (false, None) => {
                    return Err(format!(
                        "variable {name:?} must either be required or have a default"
                    ));
                }
                _ => {}
            }
            let decl = VariableDecl {
                default: raw.default,
                required: raw.required,
                secret: raw.secret,
            };
            variables.insert(name, decl);
        }

        let mut components = BTreeMap::new();
        for (id, raw) in self.component {
            let decl = raw.validate(&id, &dir, &variables)?;
            components.insert(id, decl);
        }

        let mut routes = Vec::new();
        for (trigger_type, entries) in self.trigger {
            if trigger_type != "http" {
                return Err(format!(
                    "trigger type {trigger_type:?} is not supported by this host (only \"http\")"
                ));
            }
            for entry in entries {
                if let Some(route) = entry.into_route(&components)? {
                    routes.push(route);
                }
            }
        }

        Ok(Manifest {
            path: path.to_owned(),
            dir,
            name: self.application.name,
            version: self.application.version,
            variables,
            routes,
            components,
        })
    }
}

impl RawTrigger {
    fn into_route(
        self,
        components: &BTreeMap<String, ComponentDecl>,
    ) -> Result<Option<HttpRoute>, String> {
        if self.executor.is_some() {
            return Err("[[trigger.http]] `executor` (Wagi) is not supported by this host".into());
        }
        if self.static_response.is_some() {
            return Err("[[trigger.http]] `static_response` is not supported by this host".into());
        }
        let component = match self.component {
            Some(toml::Value::String(id)) => id,
            Some(toml::Value::Table(_)) => {
                return Err(
                    "inline component tables in [[trigger.http]] are not supported by this host; \
                     declare them as [component.<id>]"
                        .into(),
                );
            }
            Some(other) => {
                return Err(format!(
                    "[[trigger.http]] `component` must be a component ID, found {other}"
                ));
            }
            None => return Err("a [[trigger.http]] entry has no `component`".into()),
        };
        let route = match self.route {
            Some(RawRoute::Path(route)) => route,
            Some(RawRoute::Private { private: true }) => {
                // Private endpoints exist only for service chaining, which this host does not do.
                check_component(&component, "(private)", components)?;
                return Ok(None);
            }
            Some(RawRoute::Private { private: false }) => {
                return Err(format!(
                    "route must be a string pattern or '{{ private = true }}': component \
                     {component:?} has {{ private = false }}"
                ));
            }
            None => {
                return Err(format!(
                    "the trigger for component {component:?} has no `route`"
                ));
            }
        };
        check_component(&component, &route, components)?;
        Ok(Some(HttpRoute { route, component }))
    }
}

fn check_component(
    id: &str,
    route: &str,
    components: &BTreeMap<String, ComponentDecl>,
) -> Result<(), String> {
    if components.contains_key(id) {
        Ok(())
    } else {
        Err(format!(
            "route {route:?} names component {id:?}, which has no [component.{id}] table"
        ))
    }
}

impl RawComponent {
    fn validate(
        self,
        id: &str,
        dir: &Path,
        app_variables: &BTreeMap<String, VariableDecl>,
    ) -> Result<ComponentDecl, String> {
        let source = match &self.source {
            toml::Value::String(s) => dir.join(s),
            _ => {
                return Err(format!(
                    "component {id:?}: only local `source` paths are supported by this host \
                     (download remote components first)"
                ));
            }
        };
        let unsupported = [
            ("sqlite_databases", !self.sqlite_databases.is_empty()),
            ("ai_models", !self.ai_models.is_empty()),
            ("dependencies", !self.dependencies.is_empty()),
        ];
        if let Some((field, _)) = unsupported.iter().find(|(_, used)| *used) {
            return Err(format!(
                "component {id:?}: `{field}` is not supported by this host"
            ));
        }
        if !self.allowed_http_hosts.is_empty() {
            return Err(format!(
                "component {id:?}: `allowed_http_hosts` is deprecated; use `allowed_outbound_hosts`"
            ));
        }

        let files = self
            .files
            .into_iter()
            .map(|m| match m {
                RawFilesMount::Pattern(p) => Ok(FilesMount::Pattern(p)),
                RawFilesMount::Placement {
                    source,
                    destination,
                } => {
                    if destination.starts_with('/') {
                        Ok(FilesMount::Placement {
                            source,
                            destination,
                        })
                    } else {
                        Err(format!(
                            "component {id:?}: files destination {destination:?} must be an \
                             absolute path"
                        ))
                    }
                }
            })
            .collect::<Result<_, String>>()?;

        let mut variables = BTreeMap::new();
        for (name, template) in self.variables {
            variables::validate_name(&name)
                .map_err(|r| format!("component {id:?} variable {name:?}: {r}"))?;
            let template = Template::parse(&template)
                .map_err(|r| format!("component {id:?} variable {name:?}: {r}"))?;
            if let Some(unknown) = template
                .references()
                .find(|r| !app_variables.contains_key(*r))
            {
                return Err(format!(
                    "component {id:?} variable {name:?} refers to unknown application \
                     variable {unknown:?}"
                ));
            }
            variables.insert(name, template);
        }

        Ok(ComponentDecl {
            id: id.to_owned(),
            source,
            files,
            exclude_files: self.exclude_files,
            allowed_outbound_hosts: self.allowed_outbound_hosts,
            key_value_stores: self.key_value_stores,
            environment: self.environment,
            variables,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(Path::new("/app/spin.toml"), text)
    }

    const MINIMAL: &str = r#"
spin_manifest_version = 2
[application]
name = "demo"
version = "1.2.3"
[variables]
greeting = { default = "hola" }
token = { required = true, secret = true }
[[trigger.http]]
route = "/hello"
component = "hello"
[[trigger.http]]
route = { private = true }
component = "hello"
[component.hello]
source = "target/hello.wasm"
files = ["static/*.html", { source = "assets", destination = "/" }]
key_value_stores = ["default"]
allowed_outbound_hosts = ["https://example.com"]
environment = { MODE = "test" }
[component.hello.variables]
message = "{{ greeting }}, mundo"
[component.hello.build]
command = "cargo build"
watch = ["src/**/*.rs"]
"#;

    #[test]
    fn parses_the_parts_the_host_uses() {
        let m = parse(MINIMAL).unwrap();
        assert_eq!(m.name, "demo");
        assert_eq!(m.version.as_deref(), Some("1.2.3"));
        assert_eq!(m.dir, Path::new("/app"));
        assert_eq!(
            m.routes,
            vec![HttpRoute {
                route: "/hello".into(),
                component: "hello".into()
            }]
        );
        let c = &m.components["hello"];
        assert_eq!(c.source, Path::new("/app/target/hello.wasm"));
        assert_eq!(
            c.files,
            vec![
                FilesMount::Pattern("static/*.html".into()),
                FilesMount::Placement {
                    source: "assets".into(),
                    destination: "/".into()
                }
            ]
        );
        assert_eq!(c.key_value_stores, ["default"]);
        assert_eq!(c.environment["MODE"], "test");
        assert!(m.variables["token"].required && m.variables["token"].secret);
        assert_eq!(m.variables["greeting"].default.as_deref(), Some("hola"));
    }

    #[test]
    fn reads_the_real_app_manifest() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spin.toml");
        let m = Manifest::load(&path).unwrap();
        assert!(!m.routes.is_empty());
        for r in &m.routes {
            assert!(m.components.contains_key(&r.component));
        }
    }

    fn error_of(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn bad_toml_is_one_line_with_position() {
        let e = error_of("spin_manifest_version = 2\n[application\nname = 1\n");
        assert!(
            e.starts_with("invalid manifest /app/spin.toml: line 2, column"),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn wrong_manifest_version() {
        let e = error_of("spin_manifest_version = 1\n[application]\nname = \"x\"\n");
        assert!(e.contains("spin_manifest_version must be 2"), "{e}");
    }

    #[test]
    fn route_to_unknown_component() {
        let e = error_of(
            "spin_manifest_version = 2\n[application]\nname = \"x\"\n\
             [[trigger.http]]\nroute = \"/a\"\ncomponent = \"ghost\"\n",
        );
        assert!(
            e.contains("route \"/a\" names component \"ghost\", which has no [component.ghost]"),
            "{e}"
        );
    }

    #[test]
    fn variable_rules() {
        let base = "spin_manifest_version = 2\n[application]\nname = \"x\"\n[variables]\n";
        let e = error_of(&format!(
            "{base}a = {{ required = true, default = \"1\" }}\n"
        ));
        assert!(
            e.contains("cannot be both required and have a default"),
            "{e}"
        );
        let e = error_of(&format!("{base}a = {{ secret = true }}\n"));
        assert!(
            e.contains("must either be required or have a default"),
            "{e}"
        );
        let e = error_of(&format!("{base}Bad = {{ default = \"1\" }}\n"));
        assert!(e.contains("variable \"Bad\""), "{e}");
        let e = error_of(&format!(
            "{base}a = {{ default = \"1\", colour = \"red\" }}\n"
        ));
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn template_must_name_known_variables() {
        let e = error_of(
            "spin_manifest_version = 2\n[application]\nname = \"x\"\n\
             [component.c]\nsource = \"c.wasm\"\n[component.c.variables]\nv = \"{{ nope }}\"\n",
        );
        assert!(e.contains("unknown application variable \"nope\""), "{e}");
    }

    #[test]
    fn unsupported_features_are_named() {
        let e = error_of(
            "spin_manifest_version = 2\n[application]\nname = \"x\"\n\
             [component.c]\nsource = \"c.wasm\"\nsqlite_databases = [\"default\"]\n",
        );
        assert!(e.contains("`sqlite_databases` is not supported"), "{e}");
        let e = error_of(
            "spin_manifest_version = 2\n[application]\nname = \"x\"\n\
             [component.c]\nsource = { url = \"https://x/c.wasm\", digest = \"sha256:0\" }\n",
        );
        assert!(e.contains("only local `source` paths"), "{e}");
        let e = error_of(
            "spin_manifest_version = 2\n[application]\nname = \"x\"\n\
             [[trigger.redis]]\nchannel = \"c\"\ncomponent = \"c\"\n",
        );
        assert!(e.contains("trigger type \"redis\""), "{e}");
    }

    #[test]
    fn files_destination_must_be_absolute() {
        let e = error_of(
            "spin_manifest_version = 2\n[application]\nname = \"x\"\n\
             [component.c]\nsource = \"c.wasm\"\nfiles = [{ source = \"s\", destination = \"d\" }]\n",
        );
        assert!(e.contains("must be an absolute path"), "{e}");
    }
}
