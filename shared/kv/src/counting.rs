//! A [`KeyValue`] that counts its round trips to the store (a batched read is one): for tests
//! and benchmarks that state what a request costs in store operations.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{KeyValue, KvError};

/// Counts every operation passed to the wrapped store.
pub struct CountingKv<K> {
    inner: K,
    trips: AtomicUsize,
}

impl<K: KeyValue> CountingKv<K> {
    pub fn new(inner: K) -> CountingKv<K> {
        CountingKv {
            inner,
            trips: AtomicUsize::new(0),
        }
    }

    /// Round trips so far.
    pub fn trips(&self) -> usize {
        self.trips.load(Ordering::SeqCst)
    }

    /// Starts counting again from zero.
    pub fn reset(&self) {
        self.trips.store(0, Ordering::SeqCst);
    }

    pub fn inner(&self) -> &K {
        &self.inner
    }

    fn trip(&self) {
        self.trips.fetch_add(1, Ordering::SeqCst);
    }
}

impl<K: KeyValue> KeyValue for CountingKv<K> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.trip();
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.trip();
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.trip();
        self.inner.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.trip();
        self.inner.exists(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        self.trip();
        self.inner.increment(key, delta)
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, KvError> {
        self.trip();
        self.inner.compare_and_swap(key, expected, new)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        self.trips
            .fetch_add(keys.len().div_ceil(crate::BATCH), Ordering::SeqCst);
        self.inner.get_many(keys)
    }
}
