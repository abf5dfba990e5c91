//! `avisos_kv::KeyValue` over Spin's key-value store.

use avisos_kv::{KeyValue, KvError};
use spin_sdk::key_value::{Error as SpinError, Store};
use spin_sdk::wit::wasi::keyvalue::{atomics, store as wasi_store};

/// Seconds of one create-once window (see `compare_and_swap` with `expected = None`).
const CREATE_WINDOW_SECONDS: i64 = 60;

/// One store label opened through both interfaces Spin offers: the `fermyon:spin` one for plain
/// operations and `wasi:keyvalue` for the atomic ones (the fermyon interface has no atomics).
pub struct SpinKv {
    store: Store,
    bucket: wasi_store::Bucket,
}

impl SpinKv {
    /// Opens the `default` store, which must be listed in the component's `key_value_stores`.
    pub fn open_default() -> Result<Self, KvError> {
        Self::open("default")
    }

    pub fn open(label: &str) -> Result<Self, KvError> {
        let store = Store::open(label).map_err(map_spin)?;
        let bucket = wasi_store::open(label).map_err(map_wasi)?;
        Ok(Self { store, bucket })
    }
}

fn map_spin(e: SpinError) -> KvError {
    match e {
        SpinError::AccessDenied => KvError::AccessDenied,
        other => KvError::Unavailable(other.to_string()),
    }
}

fn map_wasi(e: wasi_store::Error) -> KvError {
    match e {
        wasi_store::Error::AccessDenied => KvError::AccessDenied,
        wasi_store::Error::NoSuchStore => KvError::Unavailable("no such store".into()),
        wasi_store::Error::Other(msg) => KvError::Unavailable(msg),
    }
}

impl KeyValue for SpinKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.store.get(key).map_err(map_spin)
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.store.set(key, value).map_err(map_spin)
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.store.delete(key).map_err(map_spin)
    }

    fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.store.exists(key).map_err(map_spin)
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        atomics::increment(&self.bucket, key, delta).map_err(map_wasi)
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, KvError> {
        let Some(expected) = expected else {
            // Create once. Spin's SQLite store upserts on a swap of an absent key, so creation
            // is decided by an atomic counter: only its first increment wins. The counter is
            // per time window, and a window is closed to creators while the previous one has
            // a claim: a creation interrupted by a store failure (claim taken, value never
            // written) blocks the key for at most two windows instead of forever, and a
            // creator still running at a window boundary is never raced by the next window.
            if self.store.exists(key).map_err(map_spin)? {
                return Ok(false);
            }
            let window = crate::now().timestamp().div_euclid(CREATE_WINDOW_SECONDS);
            let claim = |w: i64| format!("\u{0}creado:{w}:{key}");
            if self.store.exists(&claim(window - 1)).map_err(map_spin)? {
                return Ok(false);
            }
            if atomics::increment(&self.bucket, &claim(window), 1).map_err(map_wasi)? != 1 {
                return Ok(false);
            }
            self.store.set(key, new).map_err(map_spin)?;
            return Ok(true);
        };
        let cas = atomics::Cas::new(&self.bucket, key).map_err(map_wasi)?;
        // `current()` takes the snapshot the swap compares against (Cas::new does not).
        if cas.current().map_err(map_wasi)?.as_deref() != Some(expected) {
            return Ok(false);
        }
        match atomics::swap(cas, new) {
            // Spin's Redis store reports a swap whose EXEC was aborted by a concurrent write
            // (WATCH) as done (it parses the nil reply as success): confirm by reading back.
            // A writer that replaced our value in between makes this report a lost race, which
            // callers retry. If the read itself fails, the swap's own answer stands.
            Ok(()) => Ok(self
                .store
                .get(key)
                .map_or(true, |now| now.as_deref() == Some(new))),
            Err(atomics::CasError::CasFailed(_)) => Ok(false),
            Err(atomics::CasError::StoreError(e)) => Err(map_wasi(e)),
        }
    }
}
