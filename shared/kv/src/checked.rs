//! [`KeyValue`] over a store whose compare-and-swap answers cannot be trusted: Spin's.
//!
//! Spin 4.0.2 hands a component a compare-and-swap in steps (`cas::new`, `current`, `swap`), and
//! its stores answer the last step differently from what they did:
//!
//! - **Redis** (`crates/key-value-redis/src/store.rs`, `CompareAndSwap::swap`): after
//!   `MULTI`/`SET`/`EXEC` it sends `UNWATCH <key>`, which Redis rejects (UNWATCH takes no
//!   argument), and returns that error as `CasFailed` before looking at the `EXEC` result. Every
//!   swap answers `CasFailed`, whether its `SET` was committed or aborted by the `WATCH`.
//! - **SQLite** (`crates/key-value-spin/src/store.rs`): a swap whose `current` found no value is
//!   an upsert that always succeeds, so "create if absent" cannot be done with a swap.
//!
//! [`CheckedKv`] therefore decides a swap's outcome by what the store holds afterwards, whatever
//! the swap answered: every value it swaps in carries a write id ([`crate::envelope`]) and the
//! swap succeeded exactly when the key then holds that write (or a value built on it by a later
//! swap). Creation (`expected = None`) is decided by an atomic counter instead of a swap.
//! [`RawStore`] is the store as Spin offers it; `avisos-spin` implements it over spin-sdk, and
//! [`crate::simulated::SimulatedSpin`] reproduces both stores' answers for native tests.

use crate::envelope::{self, WriteId};
use crate::{KeyValue, KvError};

/// Seconds of one create-once window (see [`CheckedKv`]'s `compare_and_swap` with `None`).
pub const CREATE_WINDOW_SECONDS: i64 = 60;

/// What a store said of a swap. Only a hint: [`CheckedKv`] reads back the truth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwapAnswer {
    Done,
    CasFailed,
    StoreError(KvError),
}

/// A store's operations as Spin offers them to a component.
pub trait RawStore {
    /// A compare-and-swap under way (Spin's `cas` resource).
    type Cas;
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError>;
    fn delete(&self, key: &str) -> Result<(), KvError>;
    fn exists(&self, key: &str) -> Result<bool, KvError>;
    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError>;
    /// `cas::new` then `current`: the value the swap will be compared against (Redis `WATCH`es
    /// the key here).
    fn cas_current(&self, key: &str) -> Result<(Self::Cas, Option<Vec<u8>>), KvError>;
    /// `swap`: what the store answered, true or not.
    fn cas_swap(&self, cas: Self::Cas, value: &[u8]) -> SwapAnswer;
    /// `wasi:keyvalue/batch` `get-many`: the values of `keys` in their order. Spin answers only
    /// the keys it found, each with its name, so implementations match them by key.
    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        keys.iter().map(|k| self.get(k)).collect()
    }
}

/// A [`KeyValue`] whose compare-and-swap tells the truth on any [`RawStore`].
pub struct CheckedKv<S> {
    raw: S,
    /// Unix seconds now (create-once windows).
    clock: Box<dyn Fn() -> i64 + Send + Sync>,
    /// A fresh write id per call.
    ids: Box<dyn Fn() -> WriteId + Send + Sync>,
}

impl<S: RawStore> CheckedKv<S> {
    pub fn new(
        raw: S,
        clock: impl Fn() -> i64 + Send + Sync + 'static,
        ids: impl Fn() -> WriteId + Send + Sync + 'static,
    ) -> Self {
        Self {
            raw,
            clock: Box::new(clock),
            ids: Box::new(ids),
        }
    }

    pub fn raw(&self) -> &S {
        &self.raw
    }

    /// Whether the key now holds the write `id` (or a swap built on it). When the read-back
    /// itself fails, a swap that answered done is taken at its word (the best evidence left:
    /// Spin's SQLite store only says done when its UPDATE changed the row); any other answer
    /// leaves the outcome unknown, reported as the swap's store error when it had one.
    fn settle(&self, key: &str, id: WriteId, answer: SwapAnswer) -> Result<bool, KvError> {
        match self.raw.get(key) {
            Ok(Some(now)) => Ok(envelope::decode(key, &now)?.descends_from(id)),
            Ok(None) => Ok(false),
            Err(read) => match answer {
                SwapAnswer::Done => Ok(true),
                SwapAnswer::StoreError(e) => Err(e),
                SwapAnswer::CasFailed => Err(read),
            },
        }
    }

    /// Create once. Spin's SQLite store upserts on a swap of an absent key, so creation is
    /// decided by an atomic counter: only its first increment wins. The counter is per time
    /// window, and a window is closed to creators while the previous one has a claim: a
    /// creation interrupted by a store failure (claim taken, value never written) blocks the
    /// key for at most two windows instead of forever, and a creator still running at a window
    /// boundary is never raced by the next window. A claim is consulted in its window and the
    /// next only, so it is registered to expire after them ([`crate::expiring`]).
    fn create(&self, key: &str, new: &[u8]) -> Result<bool, KvError> {
        if self.raw.exists(key)? {
            return Ok(false);
        }
        let now = (self.clock)();
        let window = now.div_euclid(CREATE_WINDOW_SECONDS);
        let claim = |w: i64| format!("\u{0}creado:{w}:{key}");
        if self.raw.exists(&claim(window - 1))? {
            return Ok(false);
        }
        if self.raw.increment(&claim(window), 1)? != 1 {
            return Ok(false);
        }
        let id = (self.ids)();
        let created = match self.raw.set(key, &envelope::encode(id, &[], new)) {
            Ok(()) => Ok(true),
            // The write may have landed before its answer was lost.
            Err(e) => self.settle(key, id, SwapAnswer::StoreError(e)),
        };
        // After the creation, so its sweep never delays it. Best effort: an unregistered
        // claim is one leftover key.
        let expires = (window + 2) * CREATE_WINDOW_SECONDS;
        let _ = crate::expiring::expire(self, &[&claim(window)], expires, now);
        created
    }
}

impl<S: RawStore> KeyValue for CheckedKv<S> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        match self.raw.get(key)? {
            None => Ok(None),
            Some(raw) if raw.starts_with(envelope::MAGIC) => {
                Ok(Some(envelope::payload(key, &raw)?.to_vec()))
            }
            Some(raw) => Ok(Some(raw)),
        }
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.raw.set(key, &envelope::plain(value))
    }

    fn get_many(&self, keys: &[String]) -> Result<Vec<Option<Vec<u8>>>, KvError> {
        let mut values = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(crate::BATCH) {
            for (key, raw) in chunk.iter().zip(self.raw.get_many(chunk)?) {
                values.push(match raw {
                    Some(raw) if raw.starts_with(envelope::MAGIC) => {
                        Some(envelope::payload(key, &raw)?.to_vec())
                    }
                    other => other,
                });
            }
        }
        Ok(values)
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.raw.delete(key)
    }

    fn exists(&self, key: &str) -> Result<bool, KvError> {
        self.raw.exists(key)
    }

    fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
        self.raw.increment(key, delta)
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, KvError> {
        let Some(expected) = expected else {
            return self.create(key, new);
        };
        let (cas, current) = self.raw.cas_current(key)?;
        let Some(current) = current else {
            return Ok(false);
        };
        let before = envelope::decode(key, &current)?;
        if before.payload != expected {
            return Ok(false);
        }
        let id = (self.ids)();
        let answer = self
            .raw
            .cas_swap(cas, &envelope::encode(id, &before.ids, new));
        self.settle(key, id, answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulated::{SimulatedSpin, SpinStoreKind};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn checked(raw: SimulatedSpin) -> CheckedKv<SimulatedSpin> {
        let next = Arc::new(AtomicU64::new(1));
        CheckedKv::new(
            raw,
            || 1_764_000_000,
            move || next.fetch_add(1, Ordering::Relaxed),
        )
    }

    fn both() -> [CheckedKv<SimulatedSpin>; 2] {
        [
            checked(SimulatedSpin::new(SpinStoreKind::Sqlite)),
            checked(SimulatedSpin::new(SpinStoreKind::Redis)),
        ]
    }

    #[test]
    fn a_committed_swap_is_reported_as_done_on_every_store() {
        for kv in both() {
            kv.set("k", b"v1").unwrap();
            assert!(kv.compare_and_swap("k", Some(b"v1"), b"v2").unwrap());
            assert_eq!(kv.get("k").unwrap().as_deref(), Some(&b"v2"[..]));
            assert!(kv.compare_and_swap("k", Some(b"v2"), b"v3").unwrap());
            assert_eq!(kv.get("k").unwrap().as_deref(), Some(&b"v3"[..]));
        }
    }

    #[test]
    fn a_stale_expectation_is_refused_without_writing() {
        for kv in both() {
            kv.set("k", b"v1").unwrap();
            assert!(!kv.compare_and_swap("k", Some(b"old"), b"v2").unwrap());
            assert_eq!(kv.get("k").unwrap().as_deref(), Some(&b"v1"[..]));
            assert!(!kv.compare_and_swap("absent", Some(b"x"), b"y").unwrap());
            assert_eq!(kv.get("absent").unwrap(), None);
        }
    }

    /// A write between `current` and `swap`: Redis aborts the EXEC, SQLite's UPDATE matches no
    /// row; both are reported as lost and the intruder's value stays.
    #[test]
    fn a_write_in_between_makes_the_swap_lose() {
        for kv in both() {
            kv.set("k", b"v1").unwrap();
            kv.raw()
                .before_next_swap(|store| store.set_plain("k", b"intruder"));
            assert!(!kv.compare_and_swap("k", Some(b"v1"), b"mine").unwrap());
            assert_eq!(kv.get("k").unwrap().as_deref(), Some(&b"intruder"[..]));
        }
    }

    /// Another writer swapping in the very bytes we meant to write is not our success.
    #[test]
    fn identical_bytes_from_another_writer_are_not_ours() {
        for kv in both() {
            kv.set("k", b"v1").unwrap();
            kv.raw()
                .before_next_swap(|store| store.set_plain("k", b"v2"));
            assert!(!kv.compare_and_swap("k", Some(b"v1"), b"v2").unwrap());
        }
    }

    /// Our swap committed, then another swap built on it before we read back: still ours.
    #[test]
    fn a_committed_swap_replaced_by_a_successor_is_still_done() {
        let next = Arc::new(AtomicU64::new(100));
        let raw = SimulatedSpin::new(SpinStoreKind::Redis);
        let kv = Arc::new(CheckedKv::new(
            raw,
            || 0,
            move || next.fetch_add(1, Ordering::Relaxed),
        ));
        kv.set("k", b"a").unwrap();
        let other = kv.clone();
        kv.raw().after_next_swap(move |_| {
            assert!(other.compare_and_swap("k", Some(b"a,b"), b"a,b,c").unwrap());
        });
        assert!(kv.compare_and_swap("k", Some(b"a"), b"a,b").unwrap());
        assert_eq!(kv.get("k").unwrap().as_deref(), Some(&b"a,b,c"[..]));
    }

    /// Our swap committed, then a plain `set` replaced it: the key no longer holds our write
    /// and nothing links it to ours, so the caller is told to try again.
    #[test]
    fn a_committed_swap_overwritten_by_a_plain_set_is_reported_lost() {
        for kv in both() {
            kv.set("k", b"a").unwrap();
            kv.raw().after_next_swap(|store| store.set_plain("k", b"z"));
            assert!(!kv.compare_and_swap("k", Some(b"a"), b"b").unwrap());
        }
    }

    #[test]
    fn a_lost_swap_answer_is_settled_by_reading_back() {
        let kv = checked(SimulatedSpin::new(SpinStoreKind::Sqlite));
        kv.set("k", b"a").unwrap();
        kv.raw().lose_next_swap_answer();
        assert!(kv.compare_and_swap("k", Some(b"a"), b"b").unwrap());
        // When the read-back fails too, the swap's own error is what the caller sees...
        kv.raw().lose_next_swap_answer();
        kv.raw().fail_reads_after_next_swap();
        assert_eq!(
            kv.compare_and_swap("k", Some(b"b"), b"c"),
            Err(KvError::Unavailable("answer lost".into()))
        );
        // ...and a swap that answered done is taken at its word.
        kv.set("k", b"d").unwrap();
        kv.raw().fail_reads_after_next_swap();
        assert_eq!(kv.compare_and_swap("k", Some(b"d"), b"e"), Ok(true));
        // On Redis (always CasFailed) an unreadable outcome is an error, never a guess.
        let redis = checked(SimulatedSpin::new(SpinStoreKind::Redis));
        redis.set("k", b"a").unwrap();
        redis.raw().fail_reads_after_next_swap();
        assert_eq!(
            redis.compare_and_swap("k", Some(b"a"), b"b"),
            Err(KvError::Unavailable("reads failing".into()))
        );
    }

    #[test]
    fn create_once_has_one_winner_on_every_store() {
        for kv in both() {
            assert!(kv.compare_and_swap("new", None, b"first").unwrap());
            assert!(!kv.compare_and_swap("new", None, b"second").unwrap());
            assert_eq!(kv.get("new").unwrap().as_deref(), Some(&b"first"[..]));
            // And a created value can then be swapped.
            assert!(
                kv.compare_and_swap("new", Some(b"first"), b"third")
                    .unwrap()
            );
        }
    }

    #[test]
    fn create_once_is_not_reopened_by_deletion_within_the_window() {
        for kv in both() {
            assert!(kv.compare_and_swap("k", None, b"x").unwrap());
            kv.delete("k").unwrap();
            assert!(!kv.compare_and_swap("k", None, b"y").unwrap());
        }
    }

    /// A create-once claim outlives the two windows that consult it only until a later sweep.
    #[test]
    fn create_once_claims_are_swept_after_their_windows() {
        for kind in [SpinStoreKind::Sqlite, SpinStoreKind::Redis] {
            let now = Arc::new(std::sync::atomic::AtomicI64::new(1_764_000_000));
            let clock = now.clone();
            let next = Arc::new(AtomicU64::new(1));
            let kv = CheckedKv::new(
                SimulatedSpin::new(kind),
                move || clock.load(Ordering::SeqCst),
                move || next.fetch_add(1, Ordering::Relaxed),
            );
            let claims = |kv: &CheckedKv<SimulatedSpin>| {
                kv.raw()
                    .keys()
                    .into_iter()
                    .filter(|k| k.starts_with("\u{0}creado:"))
                    .count()
            };
            for i in 0..20 {
                now.fetch_add(30, Ordering::SeqCst);
                assert!(kv.compare_and_swap(&format!("k{i}"), None, b"v").unwrap());
            }
            // Twenty creations over ten minutes: only the claims of the last few minutes remain.
            assert!(claims(&kv) <= 10, "{kind:?}: {} claims", claims(&kv));
            // An hour later, each creation sweeps up to four old claims: three creations
            // leave only their own.
            now.fetch_add(3_600, Ordering::SeqCst);
            for i in 0..3 {
                assert!(
                    kv.compare_and_swap(&format!("late{i}"), None, b"v")
                        .unwrap()
                );
            }
            assert_eq!(claims(&kv), 3, "{kind:?}: only the newest claims are left");
            // Deleting a created key still does not reopen it within its window.
            kv.delete("late0").unwrap();
            assert!(!kv.compare_and_swap("late0", None, b"again").unwrap());
        }
    }

    /// A batched read answers what one read per key would, in the keys' order, swapped
    /// (enveloped) values unwrapped, absent keys `None`, across several batches.
    #[test]
    fn get_many_answers_as_reads_one_by_one() {
        for kv in both() {
            let keys: Vec<String> = (0..crate::BATCH * 2 + 7).map(|i| format!("k{i}")).collect();
            for (i, k) in keys.iter().enumerate() {
                match i % 3 {
                    0 => kv.set(k, format!("v{i}").as_bytes()).unwrap(),
                    1 => assert!(
                        kv.compare_and_swap(k, None, format!("c{i}").as_bytes())
                            .unwrap()
                    ),
                    _ => {}
                }
            }
            let mut asked = keys.clone();
            asked.reverse();
            asked.push("k0".into());
            let one_by_one: Vec<Option<Vec<u8>>> =
                asked.iter().map(|k| kv.get(k).unwrap()).collect();
            assert_eq!(kv.get_many(&asked).unwrap(), one_by_one);
            assert_eq!(kv.get_many(&asked[..1]).unwrap(), one_by_one[..1]);
            assert!(kv.get_many(&[]).unwrap().is_empty());
            assert_eq!(one_by_one.last().unwrap().as_deref(), Some(&b"v0"[..]));
        }
    }

    #[test]
    fn plain_values_and_values_that_look_like_envelopes_round_trip() {
        for kv in both() {
            let mut tricky = envelope::MAGIC.to_vec();
            tricky.extend_from_slice(b"\x01abcdefgh");
            kv.set("t", &tricky).unwrap();
            assert_eq!(kv.get("t").unwrap(), Some(tricky.clone()));
            assert!(kv.compare_and_swap("t", Some(&tricky), b"plain").unwrap());
            assert_eq!(kv.get("t").unwrap().as_deref(), Some(&b"plain"[..]));
        }
    }

    /// Read-modify-write loops from many threads, written as the app's index updates are (an
    /// item already present is not appended again), lose no update on either store although
    /// the Redis store answers every swap `CasFailed`. (A swap whose value more than
    /// [`envelope::HISTORY`] later swaps replaced before its read-back is reported lost and
    /// retried: that is why every caller's change must be idempotent.)
    #[test]
    fn concurrent_appends_lose_nothing_and_repeat_nothing() {
        for kind in [SpinStoreKind::Sqlite, SpinStoreKind::Redis] {
            let next = Arc::new(AtomicU64::new(1));
            let kv = Arc::new(CheckedKv::new(
                SimulatedSpin::new(kind),
                || 0,
                move || next.fetch_add(1, Ordering::Relaxed),
            ));
            kv.set("list", b"").unwrap();
            let threads: Vec<_> = (0..6)
                .map(|t| {
                    let kv = kv.clone();
                    std::thread::spawn(move || {
                        for i in 0..40 {
                            loop {
                                let before = kv.get("list").unwrap().unwrap_or_default();
                                let item = format!("{t}.{i};");
                                if String::from_utf8_lossy(&before)
                                    .split_terminator(';')
                                    .any(|x| format!("{x};") == item)
                                {
                                    break;
                                }
                                let mut after = before.clone();
                                after.extend_from_slice(item.as_bytes());
                                if kv.compare_and_swap("list", Some(&before), &after).unwrap() {
                                    break;
                                }
                            }
                        }
                    })
                })
                .collect();
            for t in threads {
                t.join().unwrap();
            }
            let list = String::from_utf8(kv.get("list").unwrap().unwrap()).unwrap();
            let mut items: Vec<&str> = list.split_terminator(';').collect();
            assert_eq!(items.len(), 240, "{kind:?}");
            items.sort_unstable();
            items.dedup();
            assert_eq!(items.len(), 240, "{kind:?}: an item was written twice");
        }
    }
}
