//! In-memory [`KeyValue`] for native tests of shared logic. Thread-safe, so concurrency rules
//! (single-use nonces, unique folios) can be exercised with real threads.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::{KeyValue, KvError};

#[derive(Debug, Default)]
pub struct MemoryKv {
    data: Mutex<HashMap<String, Vec<u8>>>,
    /// Keys ever created through `compare_and_swap(_, None, _)` (create-once semantics).
    created: Mutex<std::collections::HashSet<String>>,
    failing: Mutex<bool>,
}

impl MemoryKv {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every following operation fail as an unreachable store would (fault tests).
    pub fn set_failing(&self, failing: bool) {
        *self.failing.lock().unwrap_or_else(|p| p.into_inner()) = failing;
    }

    /// Everything stored, to start other runs from the same state ([`crate::faults::walk`]).
    pub fn snapshot(&self) -> crate::faults::Snapshot {
        crate::faults::Snapshot {
            data: self
                .data
                .lock()
                .map(|d| d.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            created: self.created.lock().map(|c| c.clone()).unwrap_or_default(),
        }
    }

    /// A store holding `snapshot`.
    pub fn from_snapshot(snapshot: &crate::faults::Snapshot) -> Self {
        Self {
            data: Mutex::new(snapshot.data.clone().into_iter().collect()),
            created: Mutex::new(snapshot.created.clone()),
            failing: Mutex::new(false),
        }
    }

    /// Number of keys stored (for tests asserting that nothing was written).
    pub fn len(&self) -> usize {
        self.data.lock().map(|d| d.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> Result<MutexGuard<'_, HashMap<String, Vec<u8>>>, KvError> {
        if *self.failing.lock().unwrap_or_else(|p| p.into_inner()) {
            return Err(KvError::Unavailable("simulated outage".into()));
        }
        self.data
            .lock()
            .map_err(|_| KvError::Unavailable("poisoned lock".into()))
    }
}

impl KeyValue for MemoryKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.lock()?.get(key).cloned())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.lock()?.insert(key.to_string(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.lock()?.remove(key);
        Ok(())
    }

    fn exists(&self, key: &str) -> Result<bool, KvError> {
        Ok(self.lock()?.contains_key(key))
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        let mut data = self.lock()?;
        let current = match data.get(key) {
            None => 0,
            Some(bytes) => decode_counter(key, bytes)?,
        };
        let next = current.checked_add(delta).ok_or_else(|| KvError::Corrupt {
            key: key.to_string(),
            reason: "counter overflow".into(),
        })?;
        data.insert(key.to_string(), next.to_le_bytes().to_vec());
        Ok(next)
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, KvError> {
        let mut data = self.lock()?;
        if data.get(key).map(Vec::as_slice) != expected {
            return Ok(false);
        }
        if expected.is_none() {
            let mut created = self
                .created
                .lock()
                .map_err(|_| KvError::Unavailable("poisoned lock".into()))?;
            if !created.insert(key.to_string()) {
                return Ok(false);
            }
        }
        data.insert(key.to_string(), new.to_vec());
        Ok(true)
    }
}

/// Counters are stored as 8 little-endian bytes (what Spin's SQLite store writes for `increment`).
pub(crate) fn decode_counter(key: &str, bytes: &[u8]) -> Result<i64, KvError> {
    <[u8; 8]>::try_from(bytes)
        .map(i64::from_le_bytes)
        .map_err(|_| KvError::Corrupt {
            key: key.to_string(),
            reason: "not a counter".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeyValueJson;
    use std::sync::Arc;

    #[test]
    fn set_get_delete_exists() {
        let kv = MemoryKv::new();
        assert_eq!(kv.get("a").unwrap(), None);
        kv.set("a", b"1").unwrap();
        assert!(kv.exists("a").unwrap());
        assert_eq!(kv.get("a").unwrap(), Some(b"1".to_vec()));
        kv.delete("a").unwrap();
        assert!(!kv.exists("a").unwrap());
    }

    #[test]
    fn increment_is_atomic_across_threads() {
        let kv = Arc::new(MemoryKv::new());
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let kv = kv.clone();
                std::thread::spawn(move || {
                    (0..100)
                        .map(|_| kv.increment("c", 1).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<i64> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (1..=800).collect::<Vec<_>>());
    }

    #[test]
    fn compare_and_swap_only_once_from_absent() {
        let kv = MemoryKv::new();
        assert!(kv.compare_and_swap("k", None, b"x").unwrap());
        assert!(!kv.compare_and_swap("k", None, b"y").unwrap());
        assert!(kv.compare_and_swap("k", Some(b"x"), b"z").unwrap());
        assert_eq!(kv.get("k").unwrap(), Some(b"z".to_vec()));
    }

    #[test]
    fn create_once_even_after_delete() {
        let kv = MemoryKv::new();
        assert!(kv.compare_and_swap("k", None, b"x").unwrap());
        kv.delete("k").unwrap();
        assert!(!kv.compare_and_swap("k", None, b"y").unwrap());
        assert_eq!(kv.get("k").unwrap(), None);
    }

    #[test]
    fn increment_refuses_non_counter_values() {
        let kv = MemoryKv::new();
        kv.set("c", b"abc").unwrap();
        assert!(matches!(kv.increment("c", 1), Err(KvError::Corrupt { .. })));
    }

    #[test]
    fn failing_store_reports_unavailable_and_keeps_data() {
        let kv = MemoryKv::new();
        kv.set_json("j", &vec![1, 2, 3]).unwrap();
        kv.set_failing(true);
        assert!(matches!(kv.get("j"), Err(KvError::Unavailable(_))));
        kv.set_failing(false);
        assert_eq!(kv.get_json::<Vec<i32>>("j").unwrap(), Some(vec![1, 2, 3]));
    }
}
