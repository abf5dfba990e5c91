//! An in-process store for tests: fast, isolated, gone when the host stops.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use super::{KvBackend, KvError, KvResult, add_delta, decode_counter};

type Data = HashMap<String, BTreeMap<String, Vec<u8>>>;

/// Store label → sorted keys → value, behind one lock (so every operation is atomic).
#[derive(Default)]
pub struct MemoryKv {
    data: Mutex<Data>,
}

impl MemoryKv {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> KvResult<MutexGuard<'_, Data>> {
        // A panic while holding the lock leaves the map consistent (no partial writes).
        self.data
            .lock()
            .or_else(|poisoned| Ok::<_, KvError>(poisoned.into_inner()))
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

    fn compare_and_swap(
        &self,
        store: &str,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> KvResult<bool> {
        let mut data = self.lock()?;
        let s = data.entry(store.to_owned()).or_default();
        if s.get(key).map(Vec::as_slice) != expected {
            return Ok(false);
        }
        s.insert(key.to_owned(), new.to_vec());
        Ok(true)
    }
}
