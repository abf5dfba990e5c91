//! A [`RawStore`] in memory that answers as Spin 4.0.2's stores do, defects included, for
//! native tests of [`crate::CheckedKv`] and of logic that must survive them.
//!
//! - [`SpinStoreKind::Sqlite`] (`crates/key-value-spin/src/store.rs`): `current` reads the value;
//!   `swap` after a value was seen is `UPDATE … WHERE value = seen` (no row: `CasFailed`), after
//!   no value was seen an upsert that always answers done. Counters are 8 little-endian bytes.
//! - [`SpinStoreKind::Redis`] (`crates/key-value-redis/src/store.rs`): `current` is `WATCH` +
//!   `GET`; `swap` commits only if nothing wrote the key since the `WATCH`, and **always**
//!   answers `CasFailed` (Spin's `UNWATCH <key>` is refused by Redis). Counters are decimal text.
//!
//! Hooks let a test act between the steps of a swap (another writer, a lost answer).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::KvError;
use crate::checked::{RawStore, SwapAnswer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpinStoreKind {
    Sqlite,
    Redis,
}

type Hook = Box<dyn FnOnce(&SimulatedSpin) + Send>;

#[derive(Default)]
struct State {
    values: HashMap<String, Vec<u8>>,
    /// Bumped by every write or deletion of a key (what Redis's WATCH observes).
    versions: HashMap<String, u64>,
}

#[derive(Default)]
struct Hooks {
    before_swap: Option<Hook>,
    after_swap: Option<Hook>,
    lose_answer: bool,
    fail_reads_after_swap: bool,
    fail_reads: bool,
}

pub struct SimulatedSpin {
    kind: SpinStoreKind,
    state: Mutex<State>,
    hooks: Mutex<Hooks>,
}

/// An open compare-and-swap: the value `current` saw and, for Redis, the watched version.
pub struct SimulatedCas {
    key: String,
    seen: Option<Vec<u8>>,
    version: u64,
}

impl SimulatedSpin {
    pub fn new(kind: SpinStoreKind) -> Self {
        Self {
            kind,
            state: Mutex::default(),
            hooks: Mutex::default(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn hooks(&self) -> MutexGuard<'_, Hooks> {
        self.hooks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` between the next swap's `current` and its `swap` (another writer).
    pub fn before_next_swap(&self, f: impl FnOnce(&SimulatedSpin) + Send + 'static) {
        self.hooks().before_swap = Some(Box::new(f));
    }

    /// Runs `f` after the next swap, before its caller reads anything back.
    pub fn after_next_swap(&self, f: impl FnOnce(&SimulatedSpin) + Send + 'static) {
        self.hooks().after_swap = Some(Box::new(f));
    }

    /// The next swap does what it does, then answers a store error ("answer lost").
    pub fn lose_next_swap_answer(&self) {
        self.hooks().lose_answer = true;
    }

    /// After the next swap, every read fails until a write succeeds.
    pub fn fail_reads_after_next_swap(&self) {
        self.hooks().fail_reads_after_swap = true;
    }

    /// Writes a value as another component's plain `set` would (no envelope).
    pub fn set_plain(&self, key: &str, value: &[u8]) {
        let mut s = self.state();
        s.values.insert(key.to_owned(), value.to_vec());
        *s.versions.entry(key.to_owned()).or_default() += 1;
    }

    /// The stored bytes, envelope included.
    pub fn raw_value(&self, key: &str) -> Option<Vec<u8>> {
        self.state().values.get(key).cloned()
    }

    /// Every stored key, sorted (what a test may count; components never list keys).
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.state().values.keys().cloned().collect();
        keys.sort();
        keys
    }

    fn write(state: &mut State, key: &str, value: &[u8]) {
        state.values.insert(key.to_owned(), value.to_vec());
        *state.versions.entry(key.to_owned()).or_default() += 1;
    }

    fn reads_failing(&self) -> Result<(), KvError> {
        if self.hooks().fail_reads {
            return Err(KvError::Unavailable("reads failing".into()));
        }
        Ok(())
    }
}

impl RawStore for SimulatedSpin {
    type Cas = SimulatedCas;

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.reads_failing()?;
        Ok(self.state().values.get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.hooks().fail_reads = false;
        Self::write(&mut self.state(), key, value);
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        let mut s = self.state();
        s.values.remove(key);
        *s.versions.entry(key.to_owned()).or_default() += 1;
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.reads_failing()?;
        Ok(self.state().values.contains_key(key))
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        let mut s = self.state();
        let corrupt = || KvError::Corrupt {
            key: key.to_owned(),
            reason: "not a counter".into(),
        };
        let current = match (s.values.get(key), self.kind) {
            (None, _) => 0,
            (Some(b), SpinStoreKind::Sqlite) => crate::memory::decode_counter(key, b)?,
            (Some(b), SpinStoreKind::Redis) => std::str::from_utf8(b)
                .ok()
                .and_then(|t| t.parse().ok())
                .ok_or_else(corrupt)?,
        };
        let next = current.checked_add(delta).ok_or_else(corrupt)?;
        let stored = match self.kind {
            SpinStoreKind::Sqlite => next.to_le_bytes().to_vec(),
            SpinStoreKind::Redis => next.to_string().into_bytes(),
        };
        Self::write(&mut s, key, &stored);
        Ok(next)
    }

    fn cas_current(&self, key: &str) -> Result<(SimulatedCas, Option<Vec<u8>>), KvError> {
        self.reads_failing()?;
        let s = self.state();
        let seen = s.values.get(key).cloned();
        let version = s.versions.get(key).copied().unwrap_or(0);
        let cas = SimulatedCas {
            key: key.to_owned(),
            seen: seen.clone(),
            version,
        };
        Ok((cas, seen))
    }

    fn cas_swap(&self, cas: SimulatedCas, value: &[u8]) -> SwapAnswer {
        let before = self.hooks().before_swap.take();
        if let Some(f) = before {
            f(self);
        }
        let answer = {
            let mut s = self.state();
            match self.kind {
                SpinStoreKind::Sqlite => match &cas.seen {
                    None => {
                        Self::write(&mut s, &cas.key, value);
                        SwapAnswer::Done
                    }
                    Some(seen) if s.values.get(&cas.key) == Some(seen) => {
                        Self::write(&mut s, &cas.key, value);
                        SwapAnswer::Done
                    }
                    Some(_) => SwapAnswer::CasFailed,
                },
                SpinStoreKind::Redis => {
                    if s.versions.get(&cas.key).copied().unwrap_or(0) == cas.version {
                        Self::write(&mut s, &cas.key, value);
                    }
                    SwapAnswer::CasFailed
                }
            }
        };
        let after = self.hooks().after_swap.take();
        if let Some(f) = after {
            f(self);
        }
        let mut hooks = self.hooks();
        if std::mem::take(&mut hooks.fail_reads_after_swap) {
            hooks.fail_reads = true;
        }
        if std::mem::take(&mut hooks.lose_answer) {
            return SwapAnswer::StoreError(KvError::Unavailable("answer lost".into()));
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answers themselves, before any checking: what Spin tells a component.
    #[test]
    fn redis_answers_cas_failed_whether_or_not_the_set_committed() {
        let kv = SimulatedSpin::new(SpinStoreKind::Redis);
        kv.set("k", b"v1").unwrap();
        let (cas, seen) = kv.cas_current("k").unwrap();
        assert_eq!(seen.as_deref(), Some(&b"v1"[..]));
        assert_eq!(kv.cas_swap(cas, b"v2"), SwapAnswer::CasFailed);
        assert_eq!(kv.raw_value("k").as_deref(), Some(&b"v2"[..]), "committed");

        let (cas, _) = kv.cas_current("k").unwrap();
        kv.set_plain("k", b"intruder");
        assert_eq!(kv.cas_swap(cas, b"v3"), SwapAnswer::CasFailed);
        assert_eq!(
            kv.raw_value("k").as_deref(),
            Some(&b"intruder"[..]),
            "aborted"
        );
    }

    #[test]
    fn sqlite_upserts_when_no_value_was_seen() {
        let kv = SimulatedSpin::new(SpinStoreKind::Sqlite);
        let (cas, seen) = kv.cas_current("k").unwrap();
        assert_eq!(seen, None);
        kv.set_plain("k", b"intruder");
        assert_eq!(kv.cas_swap(cas, b"mine"), SwapAnswer::Done);
        assert_eq!(kv.raw_value("k").as_deref(), Some(&b"mine"[..]));

        let (cas, _) = kv.cas_current("k").unwrap();
        kv.set_plain("k", b"other");
        assert_eq!(kv.cas_swap(cas, b"late"), SwapAnswer::CasFailed);
    }

    #[test]
    fn counters_are_stored_as_each_store_stores_them() {
        let sqlite = SimulatedSpin::new(SpinStoreKind::Sqlite);
        sqlite.increment("n", 5).unwrap();
        assert_eq!(sqlite.raw_value("n"), Some(5i64.to_le_bytes().to_vec()));
        let redis = SimulatedSpin::new(SpinStoreKind::Redis);
        assert_eq!(redis.increment("n", 5).unwrap(), 5);
        assert_eq!(redis.increment("n", -7).unwrap(), -2);
        assert_eq!(redis.raw_value("n").as_deref(), Some(&b"-2"[..]));
    }
}
