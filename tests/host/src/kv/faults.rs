//! Fault injection for tests: a backend wrapper whose operations start failing on demand, as
//! a store that goes away in the middle of a request would.
//!
//! [`Faults::fail_after`]`(n)` lets the next `n` operations through and fails every later one
//! until [`Faults::heal`]; tests walk `n` over every step of an act to check that a failure at
//! any point leaves the act either wholly recorded or not at all.
//! [`Faults::lose_answer_after`]`(n)` is the harder case: the operation after those `n` is
//! carried out, but its answer is lost (reported as a failure), as when the store or the network
//! goes away between a commit and its reply; every later one fails too.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use super::{CasOp, KvBackend, KvError, KvResult, SwapError};

/// The switch a test holds. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Operations still allowed; negative = no fault armed.
    budget: Arc<AtomicI64>,
    /// Operations seen since the last `fail_after`/`heal` (to size the walk).
    seen: Arc<AtomicI64>,
    /// The first operation past the budget runs before it fails (its answer is lost).
    lose_answer: Arc<AtomicBool>,
}

/// What happens to one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admission {
    Run,
    RunThenFail,
}

impl Faults {
    pub fn new() -> Self {
        let f = Self::default();
        f.heal();
        f
    }

    /// Lets `n` more operations succeed, then fails every one.
    pub fn fail_after(&self, n: u32) {
        self.lose_answer.store(false, Ordering::SeqCst);
        self.seen.store(0, Ordering::SeqCst);
        self.budget.store(i64::from(n), Ordering::SeqCst);
    }

    /// Lets `n` more operations succeed, carries out the next one but reports it failed, then
    /// fails every one.
    pub fn lose_answer_after(&self, n: u32) {
        self.fail_after(n);
        self.lose_answer.store(true, Ordering::SeqCst);
    }

    /// Stops failing.
    pub fn heal(&self) {
        self.lose_answer.store(false, Ordering::SeqCst);
        self.seen.store(0, Ordering::SeqCst);
        self.budget.store(-1, Ordering::SeqCst);
    }

    /// Operations attempted since the last `fail_after` or `heal`.
    pub fn operations(&self) -> i64 {
        self.seen.load(Ordering::SeqCst)
    }

    fn admit(&self) -> KvResult<Admission> {
        self.seen.fetch_add(1, Ordering::SeqCst);
        let allowed = self
            .budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| {
                (b > 0).then(|| b - 1)
            });
        match allowed {
            Ok(_) => Ok(Admission::Run),
            Err(b) if b < 0 => Ok(Admission::Run),
            Err(_) if self.lose_answer.swap(false, Ordering::SeqCst) => Ok(Admission::RunThenFail),
            Err(_) => Err(outage()),
        }
    }

    /// Runs `op` if admitted; a lost answer runs it and reports the outage.
    fn run<T>(&self, op: impl FnOnce() -> KvResult<T>) -> KvResult<T> {
        match self.admit()? {
            Admission::Run => op(),
            Admission::RunThenFail => op().and(Err(outage())),
        }
    }
}

fn outage() -> KvError {
    KvError("simulated store outage".into())
}

/// A compare-and-swap whose steps count as operations.
struct FaultyCas {
    inner: Box<dyn CasOp>,
    faults: Faults,
}

impl CasOp for FaultyCas {
    fn current(&mut self) -> KvResult<Option<Vec<u8>>> {
        self.faults.run(|| self.inner.current())
    }

    fn swap(&mut self, value: &[u8]) -> Result<(), SwapError> {
        // The store's own answer, unless the fault hides it.
        self.faults
            .run(|| Ok(self.inner.swap(value)))
            .map_err(SwapError::Other)?
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
    /// Not an operation of the walk: opening fails only when the store itself does.
    fn open_store(&self, s: &str) -> KvResult<()> {
        self.inner.open_store(s)
    }
    fn get(&self, s: &str, k: &str) -> KvResult<Option<Vec<u8>>> {
        self.faults.run(|| self.inner.get(s, k))
    }
    fn set(&self, s: &str, k: &str, v: &[u8]) -> KvResult<()> {
        self.faults.run(|| self.inner.set(s, k, v))
    }
    fn delete(&self, s: &str, k: &str) -> KvResult<()> {
        self.faults.run(|| self.inner.delete(s, k))
    }
    fn exists(&self, s: &str, k: &str) -> KvResult<bool> {
        self.faults.run(|| self.inner.exists(s, k))
    }
    fn get_keys(&self, s: &str) -> KvResult<Vec<String>> {
        self.faults.run(|| self.inner.get_keys(s))
    }
    fn get_many(&self, s: &str, keys: &[String]) -> KvResult<Vec<(String, Vec<u8>)>> {
        self.faults.run(|| self.inner.get_many(s, keys))
    }
    fn set_many(&self, s: &str, entries: &[(String, Vec<u8>)]) -> KvResult<()> {
        self.faults.run(|| self.inner.set_many(s, entries))
    }
    fn delete_many(&self, s: &str, keys: &[String]) -> KvResult<()> {
        self.faults.run(|| self.inner.delete_many(s, keys))
    }
    fn increment(&self, s: &str, k: &str, delta: i64) -> KvResult<i64> {
        self.faults.run(|| self.inner.increment(s, k, delta))
    }
    fn new_cas(&self, s: &str, k: &str) -> KvResult<Box<dyn CasOp>> {
        let inner = self.faults.run(|| self.inner.new_cas(s, k))?;
        Ok(Box::new(FaultyCas {
            inner,
            faults: self.faults.clone(),
        }))
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

    #[test]
    fn a_lost_answer_is_carried_out_then_reported_failed() {
        let faults = Faults::new();
        let kv = FaultyKv::new(Arc::new(MemoryKv::new()), faults.clone());
        faults.lose_answer_after(1);
        kv.set("s", "a", b"1").unwrap();
        assert!(kv.set("s", "b", b"2").is_err(), "reported failed");
        assert!(kv.get("s", "b").is_err(), "and the store stays down");
        faults.heal();
        assert_eq!(
            kv.get("s", "b").unwrap().as_deref(),
            Some(&b"2"[..]),
            "but done"
        );
    }
}
