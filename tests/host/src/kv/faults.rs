//! Fault injection for tests: a backend wrapper whose operations start failing on demand, as
//! a store that goes away in the middle of a request would.
//!
//! [`Faults::fail_after`]`(n)` lets the next `n` operations through and fails every later one
//! until [`Faults::heal`]; tests walk `n` over every step of an act to check that a failure at
//! any point leaves the act either wholly recorded or not at all.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use super::{KvBackend, KvError, KvResult};

/// The switch a test holds. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Operations still allowed; negative = no fault armed.
    budget: Arc<AtomicI64>,
    /// Operations seen since the last `fail_after`/`heal` (to size the walk).
    seen: Arc<AtomicI64>,
}

impl Faults {
    pub fn new() -> Self {
        let f = Self::default();
        f.heal();
        f
    }

    /// Lets `n` more operations succeed, then fails every one.
    pub fn fail_after(&self, n: u32) {
        self.seen.store(0, Ordering::SeqCst);
        self.budget.store(i64::from(n), Ordering::SeqCst);
    }

    /// Stops failing.
    pub fn heal(&self) {
        self.seen.store(0, Ordering::SeqCst);
        self.budget.store(-1, Ordering::SeqCst);
    }

    /// Operations attempted since the last `fail_after` or `heal`.
    pub fn operations(&self) -> i64 {
        self.seen.load(Ordering::SeqCst)
    }

    fn admit(&self) -> KvResult<()> {
        self.seen.fetch_add(1, Ordering::SeqCst);
        let allowed = self
            .budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| {
                (b > 0).then(|| b - 1)
            });
        match allowed {
            Ok(_) => Ok(()),
            Err(b) if b < 0 => Ok(()),
            Err(_) => Err(KvError("simulated store outage".into())),
        }
    }
}

/// A backend whose operations fail when its [`Faults`] say so.
pub struct FaultyKv {
    inner: Arc<dyn KvBackend>,
    faults: Faults,
}

impl FaultyKv {
    pub fn new(inner: Arc<dyn KvBackend>, faults: Faults) -> Self {
        Self { inner, faults }
    }
}

impl KvBackend for FaultyKv {
    fn describe(&self) -> String {
        format!("{} (with fault injection)", self.inner.describe())
    }
    fn get(&self, s: &str, k: &str) -> KvResult<Option<Vec<u8>>> {
        self.faults.admit()?;
        self.inner.get(s, k)
    }
    fn set(&self, s: &str, k: &str, v: &[u8]) -> KvResult<()> {
        self.faults.admit()?;
        self.inner.set(s, k, v)
    }
    fn delete(&self, s: &str, k: &str) -> KvResult<()> {
        self.faults.admit()?;
        self.inner.delete(s, k)
    }
    fn exists(&self, s: &str, k: &str) -> KvResult<bool> {
        self.faults.admit()?;
        self.inner.exists(s, k)
    }
    fn get_keys(&self, s: &str) -> KvResult<Vec<String>> {
        self.faults.admit()?;
        self.inner.get_keys(s)
    }
    fn get_many(&self, s: &str, keys: &[String]) -> KvResult<Vec<(String, Vec<u8>)>> {
        self.faults.admit()?;
        self.inner.get_many(s, keys)
    }
    fn set_many(&self, s: &str, entries: &[(String, Vec<u8>)]) -> KvResult<()> {
        self.faults.admit()?;
        self.inner.set_many(s, entries)
    }
    fn delete_many(&self, s: &str, keys: &[String]) -> KvResult<()> {
        self.faults.admit()?;
        self.inner.delete_many(s, keys)
    }
    fn increment(&self, s: &str, k: &str, delta: i64) -> KvResult<i64> {
        self.faults.admit()?;
        self.inner.increment(s, k, delta)
    }
    fn compare_and_swap(
        &self,
        s: &str,
        k: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> KvResult<bool> {
        self.faults.admit()?;
        self.inner.compare_and_swap(s, k, expected, new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::MemoryKv;

    #[test]
    fn fails_after_the_budget_until_healed() {
        let faults = Faults::new();
        let kv = FaultyKv::new(Arc::new(MemoryKv::new()), faults.clone());
        kv.set("s", "a", b"1").unwrap();
        faults.fail_after(2);
        kv.get("s", "a").unwrap();
        kv.set("s", "b", b"2").unwrap();
        assert!(kv.get("s", "a").is_err());
        assert!(kv.increment("s", "n", 1).is_err());
        assert_eq!(faults.operations(), 4);
        faults.heal();
        assert_eq!(kv.get("s", "b").unwrap().as_deref(), Some(&b"2"[..]));
    }
}
