//! Key-value storage behind Spin's key-value interfaces.
//!
//! A *label* (`default`, or one a runtime config file defines) names a store; components list
//! the labels they may open in `key_value_stores`. Each label is served by a [`KvBackend`]: the
//! embedded SQLite file (Spin's `type = "spin"`), a Redis server (`type = "redis"`, with the
//! semantics of Spin's Redis store: see [`RedisKv`]) or process memory (tests).
//!
//! Backends are synchronous: the host calls them on tokio's blocking pool, so a backend may
//! block (SQLite waits on a lock held by another process) without stalling request handling.
//! A backend that talks to a server ([`RedisKv`]) also offers its common operations as futures
//! ([`KvBackend::nonblocking`]), which the host awaits as Spin awaits its Redis client: no
//! blocking thread per call.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

mod faults;
mod memory;
mod redis_kv;
mod sqlite;

pub use faults::{Faults, FaultyKv};
pub use memory::MemoryKv;
pub use redis_kv::RedisKv;
pub use sqlite::SqliteKv;

/// A backend failure, surfaced to components as the interfaces' `other(string)` error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KvError(pub String);

impl KvError {
    pub fn other(e: impl std::fmt::Display) -> Self {
        Self(e.to_string())
    }
}

pub type KvResult<T> = Result<T, KvError>;

/// A backend operation under way.
pub type KvFuture<T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = KvResult<T>> + Send + 'static>>;

/// The operations requests make most, as futures (same semantics as [`KvBackend`]'s).
pub trait AsyncKv: Send + Sync {
    fn open_store(&self, store: &str) -> KvFuture<()>;
    fn get(&self, store: &str, key: &str) -> KvFuture<Option<Vec<u8>>>;
    fn set(&self, store: &str, key: &str, value: Vec<u8>) -> KvFuture<()>;
    fn delete(&self, store: &str, key: &str) -> KvFuture<()>;
    fn exists(&self, store: &str, key: &str) -> KvFuture<bool>;
    fn get_many(&self, store: &str, keys: Vec<String>) -> KvFuture<Vec<(String, Vec<u8>)>>;
    fn increment(&self, store: &str, key: &str, delta: i64) -> KvFuture<i64>;
}

/// Storage for any number of named stores.
///
/// `store` is the store label; keys are unique per store. `increment` and
/// `compare_and_swap` must be atomic with respect to every other operation on the same data,
/// including operations from other processes sharing it.
pub trait KvBackend: Send + Sync + 'static {
    /// A short description for the start-up summary, e.g. `SQLite file .spin/x.db`.
    fn describe(&self) -> String;
    /// What Spin's store does when a component opens a label (`StoreManager::get` then
    /// `Store::after_open`): nothing for SQLite and memory; Redis connects on first use and
    /// pings, which waits while the server is away.
    fn open_store(&self, _store: &str) -> KvResult<()> {
        Ok(())
    }
    fn get(&self, store: &str, key: &str) -> KvResult<Option<Vec<u8>>>;
    fn set(&self, store: &str, key: &str, value: &[u8]) -> KvResult<()>;
    fn delete(&self, store: &str, key: &str) -> KvResult<()>;
    fn exists(&self, store: &str, key: &str) -> KvResult<bool>;
    /// All keys of the store, in ascending order.
    fn get_keys(&self, store: &str) -> KvResult<Vec<String>>;
    /// The keys that exist, with their values (missing keys are left out, as Spin does).
    fn get_many(&self, store: &str, keys: &[String]) -> KvResult<Vec<(String, Vec<u8>)>>;
    fn set_many(&self, store: &str, entries: &[(String, Vec<u8>)]) -> KvResult<()>;
    fn delete_many(&self, store: &str, keys: &[String]) -> KvResult<()>;
    /// Adds `delta` to the counter at `key` (absent = 0) and returns the new value. Counters
    /// are stored as Spin's backend of the same kind stores them: 8 little-endian bytes in
    /// SQLite and memory, decimal text in Redis (`INCRBY`). Components must not read them
    /// with `get`.
    fn increment(&self, store: &str, key: &str, delta: i64) -> KvResult<i64>;
    /// Spin's `Store::new_compare_and_swap`: a compare-and-swap on `key`, in Spin's steps
    /// ([`CasOp`]), with the answers Spin's store of the same kind gives.
    fn new_cas(&self, store: &str, key: &str) -> KvResult<Box<dyn CasOp>>;
    /// The same operations as futures, when the backend has them; `None` (the default): the
    /// host runs the synchronous ones on the blocking pool.
    fn nonblocking(&self) -> Option<&dyn AsyncKv> {
        None
    }
}

/// What a store answers to a swap (`spin_factor_key_value::SwapError`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwapError {
    /// Spin turns this into `cas-error::cas-failed` with a fresh operation on the key.
    CasFailed(String),
    /// `cas-error::store-error`.
    Other(KvError),
}

/// A compare-and-swap under way: Spin's `Cas` trait (`crates/factor-key-value/src/lib.rs`).
/// The guest calls `current` (optional) then `swap` once.
pub trait CasOp: Send {
    /// Reads the value the swap is compared against (Redis also `WATCH`es the key).
    fn current(&mut self) -> KvResult<Option<Vec<u8>>>;
    /// Writes `value` if the store's rule allows, and answers as Spin's store does (which is
    /// not always what it did: see [`RedisKv`] and [`SqliteKv`]).
    fn swap(&mut self, value: &[u8]) -> Result<(), SwapError>;
}

/// A whole compare-and-swap (`current`, compare with `expected`, `swap`) as a guest runs it,
/// returning the store's answer. For tests of the answers themselves.
pub fn compare_and_swap_answer(
    backend: &dyn KvBackend,
    store: &str,
    key: &str,
    expected: Option<&[u8]>,
    new: &[u8],
) -> KvResult<Result<(), SwapError>> {
    let mut cas = backend.new_cas(store, key)?;
    if cas.current()?.as_deref() != expected {
        return Ok(Err(SwapError::CasFailed("current value differs".into())));
    }
    Ok(cas.swap(new))
}

/// Decodes a stored counter.
fn decode_counter(key: &str, bytes: &[u8]) -> KvResult<i64> {
    let array: [u8; 8] = bytes.try_into().map_err(|_| {
        KvError(format!(
            "the value of key {key:?} is not a counter (expected 8 bytes, found {})",
            bytes.len()
        ))
    })?;
    Ok(i64::from_le_bytes(array))
}

fn add_delta(key: &str, current: i64, delta: i64) -> KvResult<i64> {
    current
        .checked_add(delta)
        .ok_or_else(|| KvError(format!("incrementing key {key:?} overflows")))
}

/// The key-value stores available to an application: label → backend.
#[derive(Clone, Default)]
pub struct KvStores {
    labels: BTreeMap<String, Arc<dyn KvBackend>>,
}

impl std::fmt::Debug for KvStores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.labels.iter().map(|(k, v)| (k, v.describe())))
            .finish()
    }
}

impl KvStores {
    pub fn new() -> Self {
        Self::default()
    }

    /// Defines (or redefines) a label.
    pub fn insert(&mut self, label: impl Into<String>, backend: Arc<dyn KvBackend>) {
        self.labels.insert(label.into(), backend);
    }

    pub fn get(&self, label: &str) -> Option<&Arc<dyn KvBackend>> {
        self.labels.get(label)
    }

    pub fn labels(&self) -> impl Iterator<Item = (&str, &Arc<dyn KvBackend>)> {
        self.labels.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// Why a component could not open a store (mirrors the WIT `error` variants).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenError {
    /// The component did not list the label in `key_value_stores`.
    AccessDenied,
    /// Listed, but no store has that label (Spin refuses such manifests at start-up).
    NoSuchStore,
}

/// What one component instance may open.
#[derive(Clone)]
pub struct KvAccess {
    stores: Arc<KvStores>,
    allowed: Arc<HashMap<String, ()>>,
}

impl KvAccess {
    pub fn new(stores: Arc<KvStores>, allowed: impl IntoIterator<Item = String>) -> Self {
        Self {
            stores,
            allowed: Arc::new(allowed.into_iter().map(|l| (l, ())).collect()),
        }
    }

    pub fn open(&self, label: &str) -> Result<Arc<dyn KvBackend>, OpenError> {
        if !self.allowed.contains_key(label) {
            return Err(OpenError::AccessDenied);
        }
        self.stores
            .get(label)
            .cloned()
            .ok_or(OpenError::NoSuchStore)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The behaviour every backend must share.
    pub(crate) fn backend_contract(kv: &dyn KvBackend) {
        let s = "default";
        assert_eq!(kv.get(s, "a").unwrap(), None);
        assert!(!kv.exists(s, "a").unwrap());
        kv.set(s, "a", b"1").unwrap();
        kv.set(s, "b", b"2").unwrap();
        kv.set("other", "a", b"x").unwrap();
        assert_eq!(kv.get(s, "a").unwrap().as_deref(), Some(&b"1"[..]));
        assert!(kv.exists(s, "a").unwrap());
        kv.set(s, "a", b"one").unwrap();
        assert_eq!(kv.get(s, "a").unwrap().as_deref(), Some(&b"one"[..]));
        assert_eq!(kv.get_keys(s).unwrap(), ["a", "b"]);
        assert_eq!(kv.get_keys("other").unwrap(), ["a"]);
        kv.delete(s, "a").unwrap();
        kv.delete(s, "never-there").unwrap();
        assert_eq!(kv.get_keys(s).unwrap(), ["b"]);
        assert_eq!(kv.get("other", "a").unwrap().as_deref(), Some(&b"x"[..]));

        kv.set_many(
            s,
            &[("c".into(), b"3".to_vec()), ("d".into(), b"4".to_vec())],
        )
        .unwrap();
        let mut many = kv
            .get_many(s, &["c".into(), "zz".into(), "d".into()])
            .unwrap();
        many.sort();
        assert_eq!(
            many,
            [
                ("c".to_string(), b"3".to_vec()),
                ("d".to_string(), b"4".to_vec())
            ]
        );
        kv.delete_many(s, &["b".into(), "c".into()]).unwrap();
        assert_eq!(kv.get_keys(s).unwrap(), ["d"]);

        assert_eq!(kv.increment(s, "n", 1).unwrap(), 1);
        assert_eq!(kv.increment(s, "n", 2).unwrap(), 3);
        assert_eq!(kv.increment(s, "n", -10).unwrap(), -7);
        assert_eq!(
            kv.get(s, "n").unwrap(),
            Some((-7i64).to_le_bytes().to_vec())
        );
        assert!(
            kv.increment(s, "d", 1)
                .unwrap_err()
                .0
                .contains("not a counter")
        );
        kv.set(s, "max", &i64::MAX.to_le_bytes()).unwrap();
        assert!(
            kv.increment(s, "max", 1)
                .unwrap_err()
                .0
                .contains("overflows")
        );

        // Compare-and-swap as Spin's SQLite store answers it (the memory store does the same).
        let cas = |key, expected, new| compare_and_swap_answer(kv, s, key, expected, new).unwrap();
        assert_eq!(cas("cas", None, b"v1"), Ok(()));
        assert!(matches!(
            cas("cas", Some(b"zz"), b"v2"),
            Err(SwapError::CasFailed(_))
        ));
        assert_eq!(cas("cas", Some(b"v1"), b"v2"), Ok(()));
        assert_eq!(kv.get(s, "cas").unwrap().as_deref(), Some(&b"v2"[..]));
        // A write between `current` and `swap` makes the swap fail, and is kept.
        let mut op = kv.new_cas(s, "cas").unwrap();
        assert_eq!(op.current().unwrap().as_deref(), Some(&b"v2"[..]));
        kv.set(s, "cas", b"intruder").unwrap();
        assert!(matches!(op.swap(b"v3"), Err(SwapError::CasFailed(_))));
        assert_eq!(kv.get(s, "cas").unwrap().as_deref(), Some(&b"intruder"[..]));
        // Nothing seen (absent, or `current` never called): an upsert that always succeeds.
        let mut first = kv.new_cas(s, "fresh").unwrap();
        let mut second = kv.new_cas(s, "fresh").unwrap();
        assert_eq!(first.current().unwrap(), None);
        assert_eq!(second.current().unwrap(), None);
        assert_eq!(first.swap(b"one"), Ok(()));
        assert_eq!(
            second.swap(b"two"),
            Ok(()),
            "both creators are told they won"
        );
        assert_eq!(kv.get(s, "fresh").unwrap().as_deref(), Some(&b"two"[..]));
        assert_eq!(kv.new_cas(s, "fresh").unwrap().swap(b"blind"), Ok(()));
        assert_eq!(kv.get(s, "fresh").unwrap().as_deref(), Some(&b"blind"[..]));
        kv.delete(s, "cas").unwrap();
        assert!(matches!(
            cas("cas", Some(b"intruder"), b"v4"),
            Err(SwapError::CasFailed(_))
        ));
    }

    #[test]
    fn memory_backend_contract() {
        backend_contract(&MemoryKv::new());
    }

    #[test]
    fn sqlite_backend_contract() {
        let dir = tempfile::tempdir().unwrap();
        backend_contract(&SqliteKv::open(&dir.path().join("kv.db")).unwrap());
    }

    /// Spin's Redis store: one keyspace for every label, counters as decimal text, CAS by
    /// WATCH/MULTI/EXEC (creation included), so a racer that writes in between wins.
    #[test]
    fn redis_backend_semantics() {
        let server = crate::testing::RedisServer::start();
        let kv = RedisKv::with_prefix(&server.url(0), "t1:").unwrap();
        let neighbour = RedisKv::with_prefix(&server.url(0), "t2:").unwrap();
        let s = "default";
        assert_eq!(kv.get(s, "a").unwrap(), None);
        kv.set(s, "a", b"1").unwrap();
        assert!(kv.exists(s, "a").unwrap());
        // Labels share the database, as in Spin; prefixes (tests only) do not.
        assert_eq!(kv.get("other", "a").unwrap().as_deref(), Some(&b"1"[..]));
        assert_eq!(neighbour.get(s, "a").unwrap(), None);
        kv.set_many(
            s,
            &[("b".into(), b"2".to_vec()), ("c*".into(), b"3".to_vec())],
        )
        .unwrap();
        neighbour.set(s, "zz", b"n").unwrap();
        assert_eq!(kv.get_keys(s).unwrap(), ["a", "b", "c*"]);
        let many = kv
            .get_many(s, &["a".into(), "nope".into(), "c*".into()])
            .unwrap();
        assert_eq!(
            many,
            [("a".into(), b"1".to_vec()), ("c*".into(), b"3".to_vec())]
        );
        kv.delete_many(s, &["a".into(), "b".into()]).unwrap();
        kv.delete(s, "never-there").unwrap();
        assert_eq!(kv.get_keys(s).unwrap(), ["c*"]);

        assert_eq!(kv.increment(s, "n", 5).unwrap(), 5);
        assert_eq!(kv.increment(s, "n", -7).unwrap(), -2);
        assert_eq!(kv.get(s, "n").unwrap().as_deref(), Some(&b"-2"[..]));
        kv.set(s, "txt", b"tres").unwrap();
        assert!(kv.increment(s, "txt", 1).is_err(), "not an integer");
        kv.set(s, "max", i64::MAX.to_string().as_bytes()).unwrap();
        assert!(kv.increment(s, "max", 1).is_err(), "overflow");

        // Spin 4.0.2's answers: every swap is `CasFailed` (Redis refuses `UNWATCH key`)...
        let cas = |key, expected, new| compare_and_swap_answer(&kv, s, key, expected, new).unwrap();
        let refused = |answer: Result<(), SwapError>| match answer {
            Err(SwapError::CasFailed(why)) => assert!(
                why.contains("wrong number of arguments"),
                "the UNWATCH refusal: {why}"
            ),
            other => panic!("expected CasFailed, got {other:?}"),
        };
        // ...when the SET was committed (creating, then replacing)...
        refused(cas("cas", None, b"v1"));
        assert_eq!(kv.get(s, "cas").unwrap().as_deref(), Some(&b"v1"[..]));
        refused(cas("cas", Some(b"v1"), b"v2"));
        assert_eq!(kv.get(s, "cas").unwrap().as_deref(), Some(&b"v2"[..]));
        // ...and when the EXEC was aborted by a write after the WATCH (another connection).
        let mut op = kv.new_cas(s, "cas").unwrap();
        assert_eq!(op.current().unwrap().as_deref(), Some(&b"v2"[..]));
        kv.set(s, "cas", b"intruder").unwrap();
        refused(op.swap(b"v3"));
        assert_eq!(kv.get(s, "cas").unwrap().as_deref(), Some(&b"intruder"[..]));
        // Creation is watched too (no upsert): a creator beaten after its WATCH writes nothing.
        let mut op = kv.new_cas(s, "fresh").unwrap();
        assert_eq!(op.current().unwrap(), None);
        kv.set(s, "fresh", b"theirs").unwrap();
        refused(op.swap(b"mine"));
        assert_eq!(kv.get(s, "fresh").unwrap().as_deref(), Some(&b"theirs"[..]));
        // A swap without `current` watches nothing: its SET lands, and is still "failed".
        refused(kv.new_cas(s, "fresh").unwrap().swap(b"blind"));
        assert_eq!(kv.get(s, "fresh").unwrap().as_deref(), Some(&b"blind"[..]));

        kv.clear().unwrap();
        assert!(kv.get_keys(s).unwrap().is_empty());
        assert_eq!(neighbour.get_keys(s).unwrap(), ["zz"]);
    }

    /// Many threads on separate connections: INCRBY gives distinct values.
    #[test]
    fn redis_increments_hold_across_connections() {
        let server = crate::testing::RedisServer::start();
        let url = server.url(1);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let url = url.clone();
                std::thread::spawn(move || {
                    let kv = RedisKv::open(&url).unwrap();
                    (0..25)
                        .map(|_| kv.increment("default", "folio", 1).unwrap())
                        .collect::<Vec<i64>>()
                })
            })
            .collect();
        let mut all: Vec<i64> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (1..=200).collect::<Vec<_>>());
    }

    #[test]
    fn access_is_limited_to_declared_labels() {
        let mut stores = KvStores::new();
        stores.insert("default", Arc::new(MemoryKv::new()));
        let access = KvAccess::new(
            Arc::new(stores),
            ["default".to_string(), "ghost".to_string()],
        );
        assert!(access.open("default").is_ok());
        assert_eq!(access.open("other").err(), Some(OpenError::AccessDenied));
        assert_eq!(access.open("ghost").err(), Some(OpenError::NoSuchStore));
    }
}
