//! The optional cache of certificates that already verified: it skips repeated parsing and
//! chain work, never a check that depends on the request (anchors, time, revocations).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::{RevocationList, check_end_entity, is_valid_at};
use crate::certificate::Certificate;
use crate::trust::TrustAnchors;

/// A certificate that verified, with the CAs it chained through.
#[derive(Debug)]
pub(super) struct CachedChain {
    pub(super) certificate: Arc<Certificate>,
    pub(super) issuer: Arc<Certificate>,
    pub(super) path: Vec<Arc<Certificate>>,
}

impl CachedChain {
    pub(super) fn new(
        certificate: Arc<Certificate>,
        path: &[Arc<Certificate>],
    ) -> Option<CachedChain> {
        Some(CachedChain {
            certificate,
            issuer: path.first()?.clone(),
            path: path.to_vec(),
        })
    }

    /// The checks that depend on the request rather than on signatures.
    pub(super) fn still_valid(
        &self,
        anchors: &TrustAnchors,
        now: DateTime<Utc>,
        revocations: &RevocationList,
    ) -> bool {
        check_end_entity(&self.certificate, now, revocations).is_ok()
            && self.path.iter().all(|ca| {
                anchors.contains(&ca.fingerprint_sha256())
                    && is_valid_at(ca, now)
                    && !revocations.contains(ca.certificate_number())
            })
    }
}

/// A bounded cache of certificates that verified, keyed by the SHA-256 of the certificate bytes
/// as presented. Owned by the caller (one per process or per worker) and safe to share between
/// threads. It stores the parsed certificate (with its prepared RSA key) and its chain, so a
/// repeated signer costs one SHA-256 of the certificate and one RSA-2048 verification.
#[derive(Debug)]
pub struct ChainCache {
    capacity: usize,
    inner: Mutex<CacheInner>,
}

#[derive(Debug, Default)]
struct CacheInner {
    entries: HashMap<[u8; 32], Arc<CachedChain>>,
    order: VecDeque<[u8; 32]>,
}

impl Default for ChainCache {
    fn default() -> Self {
        ChainCache::new(4096)
    }
}

impl ChainCache {
    /// A cache holding at most `capacity` certificates (oldest evicted first).
    pub fn new(capacity: usize) -> ChainCache {
        ChainCache {
            capacity: capacity.max(1),
            inner: Mutex::new(CacheInner::default()),
        }
    }

    /// How many certificates are cached.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every entry (e.g. after changing trust configuration; not required for
    /// correctness, since anchors are re-checked on every hit).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.entries.clear();
        inner.order.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        // A panic while holding the lock cannot leave the map inconsistent (single inserts).
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn get(&self, key: &[u8; 32]) -> Option<Arc<CachedChain>> {
        self.lock().entries.get(key).cloned()
    }

    pub(super) fn insert(&self, key: [u8; 32], entry: Option<CachedChain>) {
        let Some(entry) = entry else { return };
        let mut inner = self.lock();
        if inner.entries.insert(key, Arc::new(entry)).is_none() {
            inner.order.push_back(key);
        }
        while inner.entries.len() > self.capacity {
            match inner.order.pop_front() {
                Some(oldest) => {
                    inner.entries.remove(&oldest);
                }
                None => break,
            }
        }
    }
}
