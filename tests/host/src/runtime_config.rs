//! Spin runtime configuration files (`spin up --runtime-config-file F`).
//!
//! Only key-value stores are configurable here: `[key_value_store.<label>]` with
//! `type = "spin"` (SQLite; `path` relative to this file's directory, no `path` = in memory) or
//! `type = "redis"` (`url = "redis://host:port/db"`, as Spin reads it). Other store types
//! (cloud stores) and other sections are refused by name, so a configuration meant for real
//! Spin never runs here with a different meaning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RuntimeConfigError {
    #[error("cannot read runtime config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid runtime config {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The settings this host understands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// Store label → where its data lives.
    pub key_value_stores: BTreeMap<String, KvStoreConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KvStoreConfig {
    /// Spin's built-in SQLite store at this (absolute) path.
    SqliteFile(PathBuf),
    /// Spin's built-in store with no `path`: a temporary in-memory store.
    Memory,
    /// Spin's Redis store: `type = "redis"`, `url = "redis://..."`.
    Redis { url: String },
}

impl RuntimeConfig {
    pub fn load(path: &Path) -> Result<Self, RuntimeConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| RuntimeConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base).map_err(|message| RuntimeConfigError::Invalid {
            path: path.to_owned(),
            message,
        })
    }

    /// Parses the file's text; relative paths resolve against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Self, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        let mut config = Self::default();
        for (section, value) in table {
            if section != "key_value_store" {
                return Err(format!(
                    "`{section}` is not supported by this host (only [key_value_store.<label>])"
                ));
            }
            let stores = value
                .as_table()
                .ok_or("`key_value_store` must be a table of labels")?;
            for (label, store) in stores {
                let store = store
                    .as_table()
                    .ok_or_else(|| format!("key_value_store.{label} must be a table"))?;
                config
                    .key_value_stores
                    .insert(label.clone(), parse_store(label, store, base)?);
            }
        }
        Ok(config)
    }
}

fn parse_store(label: &str, store: &toml::Table, base: &Path) -> Result<KvStoreConfig, String> {
    let kind = store
        .get("type")
        .and_then(toml::Value::as_str)
        .ok_or_else(|| format!("key_value_store.{label} needs a `type`"))?;
    match kind {
        "spin" => {
            if let Some(extra) = store.keys().find(|k| *k != "type" && *k != "path") {
                return Err(format!(
                    "key_value_store.{label}: unknown field `{extra}` for type \"spin\""
                ));
            }
            match store.get("path") {
                None => Ok(KvStoreConfig::Memory),
                Some(toml::Value::String(p)) => Ok(KvStoreConfig::SqliteFile(base.join(p))),
                Some(_) => Err(format!("key_value_store.{label}.path must be a string")),
            }
        }
        "redis" => {
            if let Some(extra) = store.keys().find(|k| *k != "type" && *k != "url") {
                return Err(format!(
                    "key_value_store.{label}: unknown field `{extra}` for type \"redis\""
                ));
            }
            match store.get("url") {
                Some(toml::Value::String(url)) => Ok(KvStoreConfig::Redis { url: url.clone() }),
                Some(_) => Err(format!("key_value_store.{label}.url must be a string")),
                None => Err(format!(
                    "key_value_store.{label}: type \"redis\" needs a `url` (redis://host:port)"
                )),
            }
        }
        "azure_cosmos" | "aws_dynamo" => Err(format!(
            "key_value_store.{label}: type {kind:?} is not supported by this host \
             (only \"spin\" and \"redis\"); run the app with Spin to use it"
        )),
        other => Err(format!(
            "key_value_store.{label}: unknown key-value store type {other:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spin_stores() {
        let c = RuntimeConfig::parse(
            "[key_value_store.default]\ntype = \"spin\"\npath = \"data/kv.db\"\n\
             [key_value_store.cache]\ntype = \"spin\"\n",
            Path::new("/etc/app"),
        )
        .unwrap();
        assert_eq!(
            c.key_value_stores["default"],
            KvStoreConfig::SqliteFile("/etc/app/data/kv.db".into())
        );
        assert_eq!(c.key_value_stores["cache"], KvStoreConfig::Memory);
    }

    #[test]
    fn redis_stores_as_spin_reads_them() {
        let c = RuntimeConfig::parse(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:6390/2\"\n",
            Path::new("."),
        )
        .unwrap();
        assert_eq!(
            c.key_value_stores["default"],
            KvStoreConfig::Redis {
                url: "redis://127.0.0.1:6390/2".into()
            }
        );
        let e = RuntimeConfig::parse(
            "[key_value_store.default]\ntype = \"redis\"\n",
            Path::new("."),
        )
        .unwrap_err();
        assert!(e.contains("needs a `url`"), "{e}");
        let e = RuntimeConfig::parse(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://x\"\nprefix = \"p\"\n",
            Path::new("."),
        )
        .unwrap_err();
        assert!(e.contains("unknown field `prefix`"), "{e}");
    }

    #[test]
    fn unsupported_things_are_named() {
        let e = RuntimeConfig::parse(
            "[key_value_store.default]\ntype = \"aws_dynamo\"\ntable = \"x\"\n",
            Path::new("."),
        )
        .unwrap_err();
        assert!(e.contains("type \"aws_dynamo\" is not supported"), "{e}");
        let e = RuntimeConfig::parse("[[variable_provider]]\ntype = \"vault\"\n", Path::new("."))
            .unwrap_err();
        assert!(e.contains("`variable_provider` is not supported"), "{e}");
        let e = RuntimeConfig::parse(
            "[key_value_store.default]\ntype = \"spin\"\npth = \"x\"\n",
            Path::new("."),
        )
        .unwrap_err();
        assert!(e.contains("unknown field `pth`"), "{e}");
    }
}
