//! An in-process store for tests: fast, isolated, gone when the host stops. Spin has no such
//! store; this one answers as Spin's SQLite store does (`crates/key-value-spin/src/store.rs`),
//! compare-and-swap included: a swap after `current` found no value is an upsert that always
//! succeeds, and a swap without `current` compares against nothing (also an upsert).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{CasOp, KvBackend, KvError, KvResult, SwapError, add_delta, decode_counter};

type Data = HashMap<String, BTreeMap<String, Vec<u8>>>;

/// Store label → sorted keys → value, behind one lock (so every operation is atomic).
#[derive(Default)]
pub struct MemoryKv {
    data: Arc<Mutex<Data>>,
}

impl MemoryKv {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> KvResult<MutexGuard<'_, Data>> {
        lock(&self.data)
    }
}

fn lock(data: &Mutex<Data>) -> KvResult<MutexGuard<'_, Data>> {
    // A panic while holding the lock leaves the map consistent (no partial writes).
    data.lock()
        .or_else(|poisoned| Ok::<_, KvError>(poisoned.into_inner()))
}

/// Spin's SQLite `CompareAndSwap`: the value `current` saw, `None` until it is called.
struct MemoryCas {
    data: Arc<Mutex<Data>>,
    store: String,
    key: String,
    seen: Option<Vec<u8>>,
}

impl CasOp for MemoryCas {
    fn current(&mut self) -> KvResult<Option<Vec<u8>>> {
        let value = lock(&self.data)?
            .get(&self.store)
            .and_then(|s| s.get(&self.key))
            .cloned();
        self.seen.clone_from(&value);
        Ok(value)
    }

    fn swap(&mut self, value: &[u8]) -> Result<(), SwapError> {
        let mut data = lock(&self.data).map_err(SwapError::Other)?;
        let s = data.entry(self.store.clone()).or_default();
        match &self.seen {
            Some(old) if s.get(&self.key) != Some(old) => {
                Err(SwapError::CasFailed("failed to update 1 row".into()))
            }
            // A seen value still there, or none seen: SQLite's UPDATE, or its upsert.
            _ => {
                s.insert(self.key.clone(), value.to_vec());
                Ok(())
            }
        }
    }
}

impl KvBackend for MemoryKv {
    fn describe(&self) -> String {
        "in memory (lost when the host stops)".into()
    }

    fn get(&self, store: &str, key: &str) -> KvResult<Option<Vec<u8>>> {
        Ok(self.lock()?.get(store).and_then(|s| s.get(key)).cloned())
    }

    fn set(&self, store: &str, key: &str, value: &[u8]) -> KvResult<()> {
        self.lock()?
            .entry(store.to_owned())
            .or_default()
            .insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    fn delete(&self, store: &str, key: &str) -> KvResult<()> {
        if let Some(s) = self.lock()?.get_mut(store) {
            s.remove(key);
        }
        Ok(())
    }

    fn exists(&self, store: &str, key: &str) -> KvResult<bool> {
        Ok(self.lock()?.get(store).is_some_and(|s| s.contains_key(key)))
    }

    fn get_keys(&self, store: &str) -> KvResult<Vec<String>> {
        Ok(self
            .lock()?
            .get(store)
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default())
    }

    fn get_many(&self, store: &str, keys: &[String]) -> KvResult<Vec<(String, Vec<u8>)>> {
        let data = self.lock()?;
        let Some(s) = data.get(store) else {
            return Ok(Vec::new());
        };
        Ok(keys
            .iter()
            .filter_map(|k| s.get(k).map(|v| (k.clone(), v.clone())))
            .collect())
    }

    fn set_many(&self, store: &str, entries: &[(String, Vec<u8>)]) -> KvResult<()> {
        let mut data = self.lock()?;
        let s = data.entry(store.to_owned()).or_default();
        for (k, v) in entries {
            s.insert(k.clone(), v.clone());
        }
        Ok(())
    }

    fn delete_many(&self, store: &str, keys: &[String]) -> KvResult<()> {
        if let Some(s) = self.lock()?.get_mut(store) {
            for k in keys {
                s.remove(k);
            }
        }
        Ok(())
    }

    fn increment(&self, store: &str, key: &str, delta: i64) -> KvResult<i64> {
        let mut data = self.lock()?;
        let s = data.entry(store.to_owned()).or_default();
        let current = match s.get(key) {
            Some(bytes) => decode_counter(key, bytes)?,
            None => 0,
        };
        let new = add_delta(key, current, delta)?;
        s.insert(key.to_owned(), new.to_le_bytes().to_vec());
        Ok(new)
    }

    fn new_cas(&self, store: &str, key: &str) -> KvResult<Box<dyn CasOp>> {
        Ok(Box::new(MemoryCas {
            data: self.data.clone(),
            store: store.to_owned(),
            key: key.to_owned(),
            seen: None,
        }))
    }
}
