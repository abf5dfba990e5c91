//! `avisos_kv::KeyValue` over Spin's key-value store.
//!
//! [`SpinStore`] is the store exactly as Spin offers it (the `fermyon:spin` interface for plain
//! operations, `wasi:keyvalue/atomics` for counters and compare-and-swap); [`SpinKv`] is what
//! components use: the same store behind [`avisos_kv::CheckedKv`], whose compare-and-swap reads
//! back its outcome because Spin's answers cannot be trusted (Redis answers `CasFailed` to every
//! swap; SQLite upserts on a swap of an absent key: see `avisos_kv::checked`).

use avisos_kv::checked::{RawStore, SwapAnswer};
use avisos_kv::{CheckedKv, KvError};
use spin_sdk::key_value::{Error as SpinError, Store};
use spin_sdk::wit::wasi::keyvalue::{atomics, batch, store as wasi_store};

/// One store label opened through both interfaces Spin offers (the fermyon interface has no
/// atomics).
pub struct SpinStore {
    store: Store,
    bucket: wasi_store::Bucket,
}

impl SpinStore {
    pub fn open(label: &str) -> Result<Self, KvError> {
        let store = Store::open(label).map_err(map_spin)?;
        let bucket = wasi_store::open(label).map_err(map_wasi)?;
        Ok(Self { store, bucket })
    }
}

fn map_spin(e: SpinError) -> KvError {
    match e {
        SpinError::AccessDenied => KvError::AccessDenied,
        // A full store (Redis `OOM`, SQLite disk full) is told apart by its message.
        other => KvError::from_store(other.to_string()),
    }
}

fn map_wasi(e: wasi_store::Error) -> KvError {
    match e {
        wasi_store::Error::AccessDenied => KvError::AccessDenied,
        wasi_store::Error::NoSuchStore => KvError::Unavailable("no such store".into()),
        wasi_store::Error::Other(msg) => KvError::from_store(msg),
    }
}

impl RawStore for SpinStore {
    type Cas = atomics::Cas;

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

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        // Never an empty batch (Redis refuses `MGET` without keys).
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // Spin answers the keys it found (name and value), in no promised order.
        let found: std::collections::HashMap<String, Vec<u8>> = batch::get_many(&self.bucket, keys)
            .map_err(map_wasi)?
            .into_iter()
            .filter_map(|(k, v)| Some((k, v?)))
            .collect();
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        atomics::increment(&self.bucket, key, delta).map_err(map_wasi)
    }

    fn cas_current(&self, key: &str) -> Result<(atomics::Cas, Option<Vec<u8>>), KvError> {
        let cas = atomics::Cas::new(&self.bucket, key).map_err(map_wasi)?;
        // `current()` takes the snapshot the swap compares against (Cas::new does not).
        let current = cas.current().map_err(map_wasi)?;
        Ok((cas, current))
    }

    fn cas_swap(&self, cas: atomics::Cas, value: &[u8]) -> SwapAnswer {
        match atomics::swap(cas, value) {
            Ok(()) => SwapAnswer::Done,
            // The fresh operation Spin hands back is dropped: CheckedKv reads the truth itself.
            Err(atomics::CasError::CasFailed(_)) => SwapAnswer::CasFailed,
            Err(atomics::CasError::StoreError(e)) => SwapAnswer::StoreError(map_wasi(e)),
        }
    }
}

/// The store components use: Spin's, with compare-and-swap outcomes that tell the truth.
pub type SpinKv = CheckedKv<SpinStore>;

/// Opens the `default` store, which must be listed in the component's `key_value_stores`.
pub fn open_default() -> Result<SpinKv, KvError> {
    open("default")
}

pub fn open(label: &str) -> Result<SpinKv, KvError> {
    Ok(CheckedKv::new(
        SpinStore::open(label)?,
        || crate::now().timestamp(),
        write_id,
    ))
}

/// A random write id (`wasi:random`); a failure of the source falls back to the clock, which
/// is still unique enough to tell two writers of one key apart.
fn write_id() -> u64 {
    let mut b = [0u8; 8];
    match getrandom::fill(&mut b) {
        Ok(()) => u64::from_le_bytes(b),
        Err(_) => crate::now().timestamp_nanos_opt().unwrap_or_default() as u64,
    }
}
