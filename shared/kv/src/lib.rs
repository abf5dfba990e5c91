//! Storage contract for avisos.
//!
//! Logic in `shared/` never talks to Spin directly: it receives a [`KeyValue`] so every rule can be
//! tested natively with [`MemoryKv`], while components pass the Spin-backed implementation from
//! `avisos-spin`. The trait deliberately has no "list all keys" operation: the design requires every
//! request to touch O(1) keys, so listings are kept as explicit per-owner index values.

pub mod checked;
pub mod counting;
pub mod envelope;
pub mod expiring;
pub mod faults;
pub mod index;
mod memory;
pub mod simulated;
pub mod swap;

pub use checked::CheckedKv;
pub use counting::CountingKv;
pub use memory::MemoryKv;

use serde::{Serialize, de::DeserializeOwned};

/// Why a storage operation failed. At the edge every variant is a 503 except
/// [`KvError::Corrupt`], which is an internal invariant violation (500).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum KvError {
    #[error("key-value store unavailable: {0}")]
    Unavailable(String),
    /// The store refuses writes because it is full: Redis over its `maxmemory` with the
    /// `noeviction` policy (it never drops a key to make room), SQLite out of disk. Reads and
    /// deletions still work; the write was not done.
    #[error("key-value store full: {0}")]
    Full(String),
    #[error("access to the key-value store was denied")]
    AccessDenied,
    #[error("stored value under {key} is not valid: {reason}")]
    Corrupt { key: String, reason: String },
    /// A value changed by compare-and-swap ([`swap::update`]) kept being changed by others for
    /// every attempt: nothing was written; the request may be tried again.
    #[error("{0} is being changed by too many requests at once")]
    Busy(String),
}

impl KvError {
    /// The stable code of the error contract (`{ "codigo", "mensaje" }`).
    pub fn codigo(&self) -> &'static str {
        match self {
            KvError::Unavailable(_) | KvError::AccessDenied => "ALMACEN_NO_DISPONIBLE",
            KvError::Full(_) => "ALMACEN_LLENO",
            KvError::Busy(_) => "ALMACEN_OCUPADO",
            KvError::Corrupt { .. } => "ERROR_INTERNO",
        }
    }

    /// The message for people, in Spanish: never the store's own text (it is for logs).
    pub fn mensaje(&self) -> String {
        match self {
            KvError::Unavailable(_) | KvError::AccessDenied => "El almacenamiento no está disponible en este momento y no se pudo confirmar tu solicitud. Intenta de nuevo en unos minutos: un trámite nunca queda a medias ni se registra dos veces, y si ya había quedado registrado la respuesta te lo dirá.",
            KvError::Full(_) => "El almacenamiento del servicio está lleno y no admite nuevos registros: tu solicitud no se registró, y nada de lo ya registrado se perdió. Intenta de nuevo más tarde.",
            KvError::Busy(_) => "Hay muchas solicitudes a la vez sobre los mismos registros: tu solicitud no tuvo efecto. Intenta de nuevo en unos segundos.",
            KvError::Corrupt { .. } => "Ocurrió un error interno. Intenta de nuevo; si persiste, comunícate con soporte.",
        }
        .to_owned()
    }

    /// A store's own error message, as Spin hands it to a component: [`KvError::Full`] when the
    /// store says it is out of memory or disk, [`KvError::Unavailable`] otherwise. Redis answers
    /// `OOM command not allowed when used memory > 'maxmemory'` (Spin passes redis-rs's text of
    /// it on); SQLite `database or disk is full`.
    pub fn from_store(message: impl Into<String>) -> KvError {
        let message = message.into();
        let full = (message.contains("OOM") && message.contains("maxmemory"))
            || message.contains("database or disk is full");
        if full {
            KvError::Full(message)
        } else {
            KvError::Unavailable(message)
        }
    }
}

/// A key-value store with the two atomic primitives the app needs (counters and compare-and-swap).
pub trait KeyValue {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError>;
    fn delete(&self, key: &str) -> Result<(), KvError>;
    fn exists(&self, key: &str) -> Result<bool, KvError>;
    /// Atomically adds `delta` to the counter at `key` (missing counts as 0) and returns the new value.
    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError>;
    /// Atomically replaces the value at `key` with `new` only if it still equals `expected`.
    /// Returns whether the swap happened.
    ///
    /// `expected = None` means **create once**: of the callers racing to create an absent key,
    /// exactly one succeeds. Spin's SQLite store turns a swap on an absent key into an upsert
    /// (two racers would both win), so implementations back creation with an atomic counter
    /// instead. `MemoryKv` never lets a key name be created twice; [`CheckedKv`] (the store
    /// components use) lets it be created again about two minutes after it was deleted or after
    /// a creation that a store failure interrupted (so such a failure cannot block the key
    /// forever). Callers that need to re-create a unique key must put a generation in its name.
    ///
    /// The answer is the truth whatever the store said: `true` exactly when the key now holds
    /// this write (see [`checked`]).
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, KvError>;

    /// The values of `keys`, in their order (`None`: absent). Stores that can read many keys
    /// in one round trip do (Spin's `wasi:keyvalue/batch`: one `SELECT … IN` on SQLite, `MGET`
    /// on Redis); the default reads them one by one. Not atomic: each value is as of some
    /// moment during the call, as with separate reads.
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        keys.iter().map(|k| self.get(k)).collect()
    }
}

/// How many keys one batched read asks for at most (bounds the size of one store message).
pub const BATCH: usize = 500;

/// JSON convenience over any [`KeyValue`].
pub trait KeyValueJson: KeyValue {
    fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, KvError> {
        match self.get(key)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| KvError::Corrupt {
                    key: key.to_string(),
                    reason: e.to_string(),
                }),
        }
    }

    fn set_json<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<(), KvError> {
        let bytes = serde_json::to_vec(value).map_err(|e| KvError::Corrupt {
            key: key.to_string(),
            reason: e.to_string(),
        })?;
        self.set(key, &bytes)
    }
}

impl<K: KeyValue + ?Sized> KeyValueJson for K {}

impl<K: KeyValue + ?Sized> KeyValue for &K {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        (**self).get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        (**self).set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        (**self).delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool, KvError> {
        (**self).exists(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        (**self).increment(key, delta)
    }
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        (**self).get_many(keys)
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, KvError> {
        (**self).compare_and_swap(key, expected, new)
    }
}

#[cfg(test)]
mod tests {
    use super::KvError;

    #[test]
    fn a_full_store_is_told_apart_from_an_unreachable_one() {
        // What Spin 4.0.2 hands a component (redis-rs's text of the server's error), with
        // redis 0.32 and 1.x.
        for full in [
            "OOM: command not allowed when used memory > 'maxmemory'.",
            "\"OOM\": command not allowed when used memory > 'maxmemory'.",
            "database or disk is full",
        ] {
            assert_eq!(KvError::from_store(full), KvError::Full(full.into()));
        }
        for other in ["Connection refused (os error 111)", "timed out", "OOM"] {
            assert_eq!(
                KvError::from_store(other),
                KvError::Unavailable(other.into())
            );
        }
    }
}
