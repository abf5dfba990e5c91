//! Fault injection for the unit tests of every crate: a store that fails in the middle of an act,
//! and the walk that checks an act is whole or absent whichever operation fails.
//!
//! [`FaultyKv`] wraps any [`KeyValue`]: [`Faults::fail_after`]`(n)` lets `n` operations through
//! and fails every later one; [`Faults::lose_answer_after`]`(n)` carries out the operation after
//! those `n` but reports it failed (a store or network gone between a commit and its reply), then
//! fails every later one. The same switch as the host's `avisos_host::kv::Faults`, one level up
//! (a compare-and-swap is one operation here, several on Spin).
//!
//! [`walk`] runs an act from the same starting state once for every operation it performs,
//! failing the store at that operation, and checks what readers observe: exactly the state before
//! the act or exactly the state after it; then a retry on that state must end exactly after.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use crate::{KeyValue, KvError, MemoryKv};

/// The switch a test holds. Cloning shares it.
#[derive(Debug, Clone)]
pub struct Faults {
    /// Operations still allowed; negative = no fault armed.
    budget: Arc<AtomicI64>,
    /// Operations attempted since the last `fail_after`/`heal`.
    seen: Arc<AtomicI64>,
    /// The first operation past the budget runs before it fails (its answer is lost).
    lose_answer: Arc<AtomicBool>,
    /// Only the first operation past the budget fails (a blip): later ones succeed.
    transient: Arc<AtomicBool>,
}

impl Default for Faults {
    fn default() -> Self {
        Self::new()
    }
}

/// Which failure a walk injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The n-th operation and every later one fail without effect.
    FailAfter,
    /// The n-th operation takes effect but answers an error; every later one fails.
    LoseAnswer,
    /// Only the n-th operation fails, without effect; later ones succeed (a blip).
    FailOne,
    /// Only the n-th operation answers an error, having taken effect; later ones succeed (a
    /// reply lost on the way back): what the act does next, rollbacks included, runs.
    LoseOneAnswer,
}

impl Fault {
    pub const ALL: [Fault; 4] = [
        Fault::FailAfter,
        Fault::LoseAnswer,
        Fault::FailOne,
        Fault::LoseOneAnswer,
    ];
}

impl Faults {
    pub fn new() -> Self {
        Self {
            budget: Arc::new(AtomicI64::new(-1)),
            seen: Arc::new(AtomicI64::new(0)),
            lose_answer: Arc::new(AtomicBool::new(false)),
            transient: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Lets `n` more operations succeed, then fails every one.
    pub fn fail_after(&self, n: usize) {
        self.lose_answer.store(false, Ordering::SeqCst);
        self.transient.store(false, Ordering::SeqCst);
        self.seen.store(0, Ordering::SeqCst);
        self.budget
            .store(i64::try_from(n).unwrap_or(i64::MAX), Ordering::SeqCst);
    }

    /// Lets `n` more operations succeed, carries out the next one but reports it failed, then
    /// fails every one.
    pub fn lose_answer_after(&self, n: usize) {
        self.fail_after(n);
        self.lose_answer.store(true, Ordering::SeqCst);
    }

    /// Arms `fault` after `n` operations.
    pub fn arm(&self, fault: Fault, n: usize) {
        match fault {
            Fault::FailAfter => self.fail_after(n),
            Fault::LoseAnswer => self.lose_answer_after(n),
            Fault::FailOne => {
                self.fail_after(n);
                self.transient.store(true, Ordering::SeqCst);
            }
            Fault::LoseOneAnswer => {
                self.lose_answer_after(n);
                self.transient.store(true, Ordering::SeqCst);
            }
        }
    }

    /// Stops failing (and starts counting again).
    pub fn heal(&self) {
        self.lose_answer.store(false, Ordering::SeqCst);
        self.transient.store(false, Ordering::SeqCst);
        self.seen.store(0, Ordering::SeqCst);
        self.budget.store(-1, Ordering::SeqCst);
    }

    /// Operations attempted since the last `fail_after`, `lose_answer_after` or `heal`.
    pub fn operations(&self) -> usize {
        usize::try_from(self.seen.load(Ordering::SeqCst)).unwrap_or(0)
    }

    fn run<T>(&self, op: impl FnOnce() -> Result<T, KvError>) -> Result<T, KvError> {
        self.seen.fetch_add(1, Ordering::SeqCst);
        let allowed = self
            .budget
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| {
                (b > 0).then(|| b - 1)
            });
        match allowed {
            Ok(_) => op(),
            Err(b) if b < 0 => op(),
            Err(_) => {
                let lose = self.lose_answer.swap(false, Ordering::SeqCst);
                if self.transient.swap(false, Ordering::SeqCst) {
                    // This one fails; every later one runs.
                    self.budget.store(-1, Ordering::SeqCst);
                }
                if lose {
                    op().and(Err(outage()))
                } else {
                    Err(outage())
                }
            }
        }
    }
}

fn outage() -> KvError {
    KvError::Unavailable("simulated store outage".into())
}

/// A store whose operations fail when its [`Faults`] say so.
pub struct FaultyKv<K> {
    inner: K,
    faults: Faults,
}

impl<K: KeyValue> FaultyKv<K> {
    pub fn new(inner: K, faults: Faults) -> Self {
        Self { inner, faults }
    }

    pub fn inner(&self) -> &K {
        &self.inner
    }
}

impl<K: KeyValue> KeyValue for FaultyKv<K> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.faults.run(|| self.inner.get(key))
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.faults.run(|| self.inner.set(key, value))
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.faults.run(|| self.inner.delete(key))
    }
    fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.faults.run(|| self.inner.exists(key))
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        self.faults.run(|| self.inner.increment(key, delta))
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, KvError> {
        self.faults
            .run(|| self.inner.compare_and_swap(key, expected, new))
    }
}

/// Everything a [`MemoryKv`] holds, to start several runs from the same state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    pub data: BTreeMap<String, Vec<u8>>,
    pub(crate) created: HashSet<String>,
}

impl Snapshot {
    /// A fresh store holding this state.
    pub fn restore(&self) -> MemoryKv {
        MemoryKv::from_snapshot(self)
    }
}

/// What a [`walk`] covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walked {
    /// Operations of the uninterrupted act: every one was made to fail once.
    pub points: usize,
    /// Interrupted attempts that left the state exactly as after the act (failed after its
    /// commit point); the rest left it exactly as before.
    pub after_commit: usize,
}

/// Walks `fault` over every operation of `act` started from `base`: each attempt on a fresh copy
/// of `base`, the store failing at operation n. After each attempt `observe` (what readers see,
/// through the crate's own read functions) must equal its value before the act or after the
/// uninterrupted act; then `retry` runs on that state without faults (a client trying again)
/// and `observe` must equal the after-value. `observe` must not depend on folios or ids that a
/// retry allocates anew. Panics with the failing step.
pub fn walk<P, A, R>(
    base: &Snapshot,
    fault: Fault,
    act: A,
    observe: impl Fn(&MemoryKv) -> P,
    retry: R,
) -> Walked
where
    P: PartialEq + Debug,
    A: Fn(&dyn KeyValue),
    R: Fn(&dyn KeyValue),
{
    let reference = base.restore();
    let before = observe(&reference);
    let faults = Faults::new();
    let counted = FaultyKv::new(&reference, faults.clone());
    act(&counted);
    let points = faults.operations();
    let after = observe(&reference);
    assert_ne!(before, after, "the act changed nothing a reader sees");
    assert!(points > 0, "the act touched no store");
    let mut after_commit = 0;
    for n in 0..points {
        let kv = base.restore();
        let faults = Faults::new();
        faults.arm(fault, n);
        act(&FaultyKv::new(&kv, faults.clone()));
        faults.heal();
        let seen = observe(&kv);
        if seen == after {
            after_commit += 1;
        } else {
            assert_eq!(
                seen, before,
                "{fault:?} at operation {n} of {points}: neither before nor after"
            );
        }
        retry(&kv);
        assert_eq!(
            observe(&kv),
            after,
            "{fault:?} at operation {n} of {points}: the retry did not end as the act"
        );
    }
    Walked {
        points,
        after_commit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_after_the_budget_until_healed() {
        let faults = Faults::new();
        let kv = FaultyKv::new(MemoryKv::new(), faults.clone());
        kv.set("a", b"1").unwrap();
        faults.fail_after(2);
        kv.get("a").unwrap();
        kv.set("b", b"2").unwrap();
        assert!(kv.get("a").is_err());
        assert!(kv.increment("n", 1).is_err());
        assert_eq!(faults.operations(), 4);
        faults.heal();
        assert_eq!(kv.get("b").unwrap().as_deref(), Some(&b"2"[..]));
        assert_eq!(kv.inner().get("n").unwrap(), None);
    }

    #[test]
    fn a_lost_answer_is_carried_out_then_reported_failed() {
        let faults = Faults::new();
        let kv = FaultyKv::new(MemoryKv::new(), faults.clone());
        faults.lose_answer_after(1);
        kv.set("a", b"1").unwrap();
        assert!(
            kv.compare_and_swap("b", None, b"2").is_err(),
            "reported failed"
        );
        assert!(kv.get("b").is_err(), "and the store stays down");
        faults.heal();
        assert_eq!(kv.get("b").unwrap().as_deref(), Some(&b"2"[..]), "but done");
    }

    #[test]
    fn a_blip_fails_one_operation_only() {
        let faults = Faults::new();
        let kv = FaultyKv::new(MemoryKv::new(), faults.clone());
        faults.arm(Fault::FailOne, 1);
        kv.set("a", b"1").unwrap();
        assert!(kv.set("b", b"2").is_err());
        kv.set("c", b"3").unwrap();
        assert_eq!(kv.get("b").unwrap(), None);
        faults.arm(Fault::LoseOneAnswer, 0);
        assert!(kv.set("d", b"4").is_err());
        assert_eq!(kv.get("d").unwrap().as_deref(), Some(&b"4"[..]));
    }

    #[test]
    fn snapshots_restore_values_and_create_once_history() {
        let kv = MemoryKv::new();
        assert!(kv.compare_and_swap("k", None, b"x").unwrap());
        kv.delete("k").unwrap();
        kv.set("v", b"1").unwrap();
        let copy = kv.snapshot().restore();
        assert_eq!(copy.get("v").unwrap().as_deref(), Some(&b"1"[..]));
        assert!(!copy.compare_and_swap("k", None, b"y").unwrap());
        copy.set("v", b"2").unwrap();
        assert_eq!(
            kv.get("v").unwrap().as_deref(),
            Some(&b"1"[..]),
            "independent"
        );
    }

    /// Two keys written one after the other with no commit point: the walk finds the state
    /// where only the first landed.
    #[test]
    #[should_panic(expected = "neither before nor after")]
    fn the_walk_catches_a_half_done_act() {
        let base = MemoryKv::new().snapshot();
        let act = |kv: &dyn KeyValue| {
            let _ = kv.set("a", b"1").and_then(|()| kv.set("b", b"1"));
        };
        let observe = |kv: &MemoryKv| (kv.get("a").unwrap(), kv.get("b").unwrap());
        walk(&base, Fault::FailAfter, act, observe, act);
    }

    /// The same act with a commit point readers respect (`b` counts only once `a` says so),
    /// and a retry that completes it: whole or absent at every step.
    #[test]
    fn the_walk_passes_an_act_with_a_commit_point() {
        let base = MemoryKv::new().snapshot();
        let act = |kv: &dyn KeyValue| {
            let _ = kv.set("b", b"1").and_then(|()| kv.set("a", b"1"));
        };
        let observe = |kv: &MemoryKv| {
            let committed = kv.get("a").unwrap().is_some();
            (committed, committed && kv.get("b").unwrap().is_some())
        };
        for fault in Fault::ALL {
            let w = walk(&base, fault, act, observe, act);
            assert_eq!(w.points, 2);
            let lost = matches!(fault, Fault::LoseAnswer | Fault::LoseOneAnswer);
            assert_eq!(w.after_commit, usize::from(lost));
        }
    }
}
