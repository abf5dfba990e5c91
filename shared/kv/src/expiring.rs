//! Keys that expire, on stores without expiry.
//!
//! Spin's key-value API has no TTL, and listing keys costs as much as the whole store, so a key
//! that is only needed for a while (a nonce and its use counter, a session revocation, a
//! rate-limit window, a create-once claim, a throttle counter) is **registered** here when it is
//! written and deleted later by a **sweep** whose work per call is bounded. The store then holds
//! what is recorded plus what is still alive, never the history of logins, nonces or refusals.
//!
//! Layout (every key starts with [`PREFIX`], which no other key of the app uses):
//!
//! - `\0caduca:<minute>`: one counter per minute of expiry (`minute` = Unix seconds / 60). Its high
//!   bits count the registrations of that minute (each adds [`REGISTRATION`]); its low 32 bits
//!   count the slots sweepers have claimed. One `increment` therefore hands out a slot number and
//!   reads both counts at once, atomically, on every Spin store.
//! - `\0caduca:<minute>:<slot>`: the JSON list of key names registered in that slot.
//! - `\0caduca:frente`: the front, the oldest minute that may still have slots to sweep.
//!
//! **Register** ([`register`], 2 operations): `increment` the minute's counter by
//! [`REGISTRATION`] (the answer's high bits are this registration's slot), `set` the slot.
//!
//! **Sweep** ([`sweep`]): read the front; for a minute that ended at least [`GRACE_SECONDS`] ago,
//! read its counter (absent: nothing left there), claim up to the budget's slots with one
//! `increment` of the low bits (claims never overlap: each sweeper gets its own range), delete
//! each claimed slot's keys in order, then the slot. Once every slot of a minute is claimed the
//! counter is deleted and the front moves past it. The front is a plain value: a sweeper writes
//! it only after seeing every minute before it finished, so a slower sweeper that writes an
//! older front only makes the next one re-read a few finished minutes (absent counters). A
//! sweeper that read a counter before another deleted it, and then increments it, finds no
//! registrations in the answer and deletes it again: the last operation on a finished minute's
//! counter is always a delete.
//!
//! **Safety**: a key is deleted no earlier than [`GRACE_SECONDS`] after its expiry by the
//! sweeper's clock; the grace covers the clocks of instances differing by less than that and a
//! registration still writing its slot. Registrations land in a minute no earlier than the
//! registrant's own, so they never land behind the front. Keys of one registration are deleted
//! in the order given (a nonce's record before its use counter).
//!
//! **Cost**: [`expire`] (what callers use) is a registration plus a sweep of up to
//! [`SLOTS_PER_REGISTRATION`] slots, so the sweep removes expired entries several times faster
//! than they are registered and a backlog (after a burst, or an idle period) drains at that rate.
//! With nothing due the sweep is one `get` (the front). A due slot costs 1 `get` plus 1 `delete`
//! per key plus 1 `delete` of the slot; a due minute adds 1 `get`, 1 `increment` and, when done, 1
//! `delete` and 1 `set` of the front; an empty minute is 1 `get`, at most
//! [`MAX_MINUTES_PER_SWEEP`] per call. A store failure in the middle of a sweep may leave the
//! claimed slot's keys behind (bounded by failures, not by traffic); it never blocks the sweep.

use crate::{KeyValue, KvError};

/// The prefix of every key of this module.
pub const PREFIX: &str = "\u{0}caduca:";
/// Where the front lives.
pub const FRONT: &str = "\u{0}caduca:frente";
/// Expiries are grouped by minute.
pub const MINUTE_SECONDS: i64 = 60;
/// A key is deleted at least this long after its expiry (clock differences between instances,
/// registrations still under way).
pub const GRACE_SECONDS: i64 = 120;
/// What one registration adds to its minute's counter (the low 32 bits count claims).
pub const REGISTRATION: i64 = 1 << 32;
/// Slots a registration sweeps at most: the sweep outpaces registrations four to one.
pub const SLOTS_PER_REGISTRATION: i64 = 4;
/// Slots `GET /api/v1/salud` sweeps: the readiness probe is the sweep's clock when no traffic
/// registers anything (one probe every 5 s in `deploy/spinkube/avisos.yaml`: up to 384 slots
/// a minute per instance).
pub const SLOTS_PER_HEALTH_CHECK: i64 = 32;
/// Minutes a sweep looks at per call at most (empty minutes after an idle period).
pub const MAX_MINUTES_PER_SWEEP: i64 = 32;
/// A store's first sweep starts its front this many minutes back.
const START_BACK_MINUTES: i64 = 10;

fn minute_key(minute: i64) -> String {
    format!("{PREFIX}{minute}")
}

fn slot_key(minute: i64, slot: i64) -> String {
    format!("{PREFIX}{minute}:{slot}")
}

/// (registrations, claims) of a minute's counter.
fn split(counter: i64) -> (i64, i64) {
    (counter >> 32, counter & (REGISTRATION - 1))
}

/// Registers `keys` to be deleted once `expires_at` (Unix seconds) is [`GRACE_SECONDS`] past,
/// then sweeps (best effort) up to [`SLOTS_PER_REGISTRATION`] slots. Fails only when the
/// registration itself fails; write the keys after it, so that an unregistered key is never
/// left behind.
pub fn expire(kv: &dyn KeyValue, keys: &[&str], expires_at: i64, now: i64) -> Result<(), KvError> {
    register(kv, keys, expires_at, now)?;
    // An interrupted sweep leaves its work to the next one.
    let _ = sweep(kv, now, SLOTS_PER_REGISTRATION);
    Ok(())
}

/// Registers `keys` without sweeping (2 operations).
pub fn register(
    kv: &dyn KeyValue,
    keys: &[&str],
    expires_at: i64,
    now: i64,
) -> Result<(), KvError> {
    if keys.is_empty() {
        return Ok(());
    }
    // Never behind the registrant's own minute, so never behind a front.
    let minute = expires_at.max(now).div_euclid(MINUTE_SECONDS);
    let (slot, _) = split(kv.increment(&minute_key(minute), REGISTRATION)?);
    let names = serde_json::to_vec(keys).map_err(|e| KvError::Corrupt {
        key: slot_key(minute, slot),
        reason: e.to_string(),
    })?;
    kv.set(&slot_key(minute, slot), &names)
}

/// What one [`sweep`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Slots emptied.
    pub slots: u32,
    /// Registered keys deleted.
    pub keys: u32,
    /// Minutes finished or found empty.
    pub minutes: u32,
    /// The front afterwards (`None` when this call created it).
    pub front: Option<i64>,
}

/// Deletes the keys of up to `slots` due slots, looking at no more than
/// [`MAX_MINUTES_PER_SWEEP`] minutes.
pub fn sweep(kv: &dyn KeyValue, now: i64, slots: i64) -> Result<Swept, KvError> {
    let mut swept = Swept::default();
    let Some(front) = read_front(kv)? else {
        let start = now.div_euclid(MINUTE_SECONDS) - START_BACK_MINUTES;
        kv.set(FRONT, start.to_string().as_bytes())?;
        return Ok(swept);
    };
    // The newest minute whose keys are all at least GRACE_SECONDS past their expiry.
    let last = (now - GRACE_SECONDS).div_euclid(MINUTE_SECONDS) - 1;
    let mut minute = front;
    let mut budget = slots;
    let mut looked = 0;
    while minute <= last && budget > 0 && looked < MAX_MINUTES_PER_SWEEP {
        looked += 1;
        let key = minute_key(minute);
        let Some(seen) = read_counter(kv, &key)? else {
            minute += 1;
            swept.minutes += 1;
            continue;
        };
        let (registered, claimed) = split(seen);
        if claimed < registered {
            let take = budget.min(registered - claimed);
            budget -= take;
            // The answer is fresh: other sweepers may have claimed in between, or finished the
            // minute and deleted its counter (then `registered` is 0 and we delete our re-creation).
            let (registered, end) = split(kv.increment(&key, take)?);
            for slot in (end - take + 1)..=end.min(registered) {
                swept.keys += sweep_slot(kv, minute, slot)?;
                swept.slots += 1;
            }
            if end < registered {
                break;
            }
        }
        // Every slot is claimed (some perhaps still being emptied by others).
        kv.delete(&key)?;
        swept.minutes += 1;
        minute += 1;
    }
    if minute > front {
        kv.set(FRONT, minute.to_string().as_bytes())?;
    }
    swept.front = Some(minute);
    Ok(swept)
}

/// Deletes a claimed slot's keys, then the slot; returns how many keys it named.
fn sweep_slot(kv: &dyn KeyValue, minute: i64, slot: i64) -> Result<u32, KvError> {
    let key = slot_key(minute, slot);
    let Some(raw) = kv.get(&key)? else {
        // Its registration failed between the increment and the set.
        return Ok(0);
    };
    // A slot that does not parse names nothing we could delete safely.
    let names: Vec<String> = serde_json::from_slice(&raw).unwrap_or_default();
    for name in &names {
        kv.delete(name)?;
    }
    kv.delete(&key)?;
    Ok(u32::try_from(names.len()).unwrap_or(u32::MAX))
}

fn read_front(kv: &dyn KeyValue) -> Result<Option<i64>, KvError> {
    Ok(kv
        .get(FRONT)?
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| s.trim().parse().ok()))
}

/// Reads a counter written by `increment` without creating it (a zero `increment` would). Spin's
/// stores keep counters differently: SQLite (and the in-memory stores) as 8 little-endian
/// bytes, Redis as decimal text; both are read. No counter of the app comes near the values
/// whose little-endian bytes would all be ASCII digits (about 3.5 × 10¹⁸).
pub fn read_counter(kv: &dyn KeyValue, key: &str) -> Result<Option<i64>, KvError> {
    let Some(raw) = kv.get(key)? else {
        return Ok(None);
    };
    decode_counter(key, &raw).map(Some)
}

fn decode_counter(key: &str, raw: &[u8]) -> Result<i64, KvError> {
    let digits = raw.strip_prefix(b"-").unwrap_or(raw);
    if !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && let Some(n) = std::str::from_utf8(raw).ok().and_then(|s| s.parse().ok())
    {
        return Ok(n);
    }
    <[u8; 8]>::try_from(raw)
        .map(i64::from_le_bytes)
        .map_err(|_| KvError::Corrupt {
            key: key.to_string(),
            reason: "not a counter".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryKv;
    use crate::simulated::{SimulatedSpin, SpinStoreKind};
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicI64, Ordering};
    use std::sync::{Arc, Mutex, RwLock};

    const T0: i64 = 1_764_000_000;

    /// Every key a test store holds, sorted.
    fn all_keys(kv: &MemoryKv) -> Vec<String> {
        kv.snapshot().data.into_keys().collect()
    }

    /// Every key a test store holds that this module did not write.
    fn app_keys(kv: &MemoryKv) -> Vec<String> {
        let mut keys = all_keys(kv);
        keys.retain(|k| !k.starts_with(PREFIX));
        keys
    }

    /// Sweeps until a call finds nothing more to do.
    fn drain(kv: &dyn KeyValue, now: i64) {
        for _ in 0..100_000 {
            let s = sweep(kv, now, 64).unwrap();
            if s.slots == 0 && s.minutes == 0 {
                return;
            }
        }
        panic!("the sweep never settled");
    }

    #[test]
    fn a_key_is_deleted_after_its_expiry_and_grace_never_before() {
        let kv = MemoryKv::new();
        sweep(&kv, T0, 4).unwrap(); // the store's first sweep sets the front
        let expires = T0 + 300;
        expire(&kv, &["nonce:a", "nonce:uso:a"], expires, T0).unwrap();
        kv.set("nonce:a", b"{}").unwrap();
        kv.increment("nonce:uso:a", 1).unwrap();
        // Up to the end of its minute plus the grace, it stays, however often sweeps run.
        let minute_end = (expires.div_euclid(60) + 1) * 60;
        for now in (T0..minute_end + GRACE_SECONDS).step_by(7) {
            sweep(&kv, now, 4).unwrap();
            assert!(kv.exists("nonce:a").unwrap(), "deleted early at {now}");
            assert!(kv.exists("nonce:uso:a").unwrap(), "deleted early at {now}");
        }
        let s = sweep(&kv, minute_end + GRACE_SECONDS, 4).unwrap();
        assert_eq!((s.slots, s.keys), (1, 2));
        assert!(app_keys(&kv).is_empty(), "{:?}", app_keys(&kv));
        // Only the front is left of the bookkeeping.
        assert_eq!(all_keys(&kv), vec![FRONT.to_string()]);
    }

    #[test]
    fn a_registration_costs_two_operations_and_an_idle_sweep_one() {
        let kv = MemoryKv::new();
        let ops = crate::CountingKv::new(&kv);
        sweep(&ops, T0, 4).unwrap();
        ops.reset();
        register(&ops, &["k"], T0 + 60, T0).unwrap();
        assert_eq!(ops.trips(), 2);
        // Catch up once (the first front starts ten minutes back), then a sweep with nothing
        // due is a single get.
        drain(&ops, T0 + 30);
        ops.reset();
        sweep(&ops, T0 + 30, 4).unwrap();
        assert_eq!(ops.trips(), 1);
    }

    /// One slot of one key, due: front, counter, claim, slot, key, slot, counter, front.
    #[test]
    fn sweeping_a_due_slot_costs_a_known_number_of_operations() {
        let kv = MemoryKv::new();
        sweep(&kv, T0, 4).unwrap();
        drain(&kv, T0); // front at the newest due minute
        register(&kv, &["a"], T0 + 60, T0).unwrap();
        kv.set("a", b"1").unwrap();
        let ops = crate::CountingKv::new(&kv);
        let now = T0 + 60 + 60 + GRACE_SECONDS;
        let s = sweep(&ops, now, 4).unwrap();
        assert_eq!((s.slots, s.keys), (1, 1));
        assert!(!kv.exists("a").unwrap());
        // get front, get counter, increment, get slot, delete a, delete slot, delete counter,
        // set front, plus one get per empty minute on the way.
        let empty = s.minutes as usize - 1;
        assert_eq!(ops.trips(), 8 + empty);
    }

    #[test]
    fn counters_are_read_in_both_encodings_without_being_created() {
        let memory = MemoryKv::new();
        assert_eq!(read_counter(&memory, "c").unwrap(), None);
        assert!(memory.is_empty(), "reading created nothing");
        memory.increment("c", 5 * REGISTRATION + 3).unwrap();
        assert_eq!(
            read_counter(&memory, "c").unwrap(),
            Some(5 * REGISTRATION + 3)
        );
        let redis = crate::CheckedKv::new(SimulatedSpin::new(SpinStoreKind::Redis), || T0, || 1);
        redis.increment("c", -42).unwrap();
        assert_eq!(read_counter(&redis, "c").unwrap(), Some(-42));
        redis.increment("c", 42 + REGISTRATION).unwrap();
        assert_eq!(read_counter(&redis, "c").unwrap(), Some(REGISTRATION));
        redis.set("j", b"{\"x\":1}").unwrap();
        assert!(matches!(
            read_counter(&redis, "j"),
            Err(KvError::Corrupt { .. })
        ));
    }

    /// Spin's Redis store (counters as text, every swap answered CasFailed) behind CheckedKv,
    /// as components use it.
    #[test]
    fn works_on_the_stores_as_spin_answers() {
        for kind in [SpinStoreKind::Sqlite, SpinStoreKind::Redis] {
            let now = Arc::new(AtomicI64::new(T0));
            let clock = now.clone();
            let kv = crate::CheckedKv::new(
                SimulatedSpin::new(kind),
                move || clock.load(Ordering::SeqCst),
                || 7,
            );
            for i in 0..50 {
                let t = T0 + i * 10;
                now.store(t, Ordering::SeqCst);
                let k = format!("k{i}");
                expire(&kv, &[&k], t + 300, t).unwrap();
                kv.set(&k, b"v").unwrap();
            }
            let later = T0 + 50 * 10 + 300 + 60 + GRACE_SECONDS;
            drain(&kv, later);
            for i in 0..50 {
                assert!(!kv.exists(&format!("k{i}")).unwrap(), "{kind:?} k{i}");
            }
            assert_eq!(kv.raw().keys(), vec![FRONT.to_string()], "{kind:?}");
        }
    }

    /// After a burst, each registration sweeps several due slots: the backlog shrinks by at
    /// least three per registration until it is gone.
    #[test]
    fn registrations_drain_a_backlog_faster_than_they_add_to_it() {
        let kv = MemoryKv::new();
        sweep(&kv, T0, 4).unwrap();
        for i in 0..400 {
            let k = format!("burst{i}");
            register(&kv, &[&k], T0 + 300, T0).unwrap();
            kv.set(&k, b"v").unwrap();
        }
        let mut now = T0 + 300 + 60 + GRACE_SECONDS;
        let mut registrations = 0;
        while app_keys(&kv).iter().any(|k| k.starts_with("burst")) {
            let k = format!("later{registrations}");
            expire(&kv, &[&k], now + 300, now).unwrap();
            kv.set(&k, b"v").unwrap();
            registrations += 1;
            now += 1;
            assert!(registrations <= 110, "the backlog does not drain");
        }
        assert!(
            registrations >= 100,
            "{registrations}: four slots per registration at most"
        );
    }

    /// After an idle period the front catches up a bounded number of minutes per call.
    #[test]
    fn an_idle_period_is_crossed_in_bounded_steps() {
        let kv = MemoryKv::new();
        sweep(&kv, T0, 4).unwrap();
        expire(&kv, &["old"], T0 + 60, T0).unwrap();
        kv.set("old", b"v").unwrap();
        let a_day_later = T0 + 86_400;
        let ops = crate::CountingKv::new(&kv);
        let mut calls = 0;
        loop {
            ops.reset();
            let s = sweep(&ops, a_day_later, 4).unwrap();
            assert!(
                ops.trips() <= MAX_MINUTES_PER_SWEEP as usize + 8,
                "{}",
                ops.trips()
            );
            calls += 1;
            assert!(calls < 100, "the front never caught up");
            if s.minutes == 0 {
                break;
            }
        }
        assert!(!kv.exists("old").unwrap());
        // A day is 1,440 minutes, crossed MAX_MINUTES_PER_SWEEP at a time.
        assert!(calls >= 1440 / MAX_MINUTES_PER_SWEEP as usize, "{calls}");
    }

    /// Writers register while sweepers run on other threads, all on one moving clock: every
    /// key is deleted exactly once, never before it is due, and the bookkeeping is gone after.
    #[test]
    fn concurrent_registrations_and_sweeps_delete_every_key_exactly_once() {
        let kv = Arc::new(Watch::new());
        sweep(&*kv, T0, 4).unwrap();
        let per_writer = 400;
        let writers: Vec<_> = (0..4)
            .map(|t| {
                let kv = kv.clone();
                std::thread::spawn(move || {
                    for i in 0..per_writer {
                        // A registration completes before the clock moves on (the grace
                        // covers registrations that take less than it).
                        let _registering = kv.gate.read().unwrap();
                        let now = kv.clock.load(Ordering::SeqCst);
                        let k = format!("w{t}:{i}");
                        let expires = now + 30 + (i % 7) * 20;
                        kv.expect(&k, expires);
                        expire(&*kv, &[&k], expires, now).unwrap();
                        kv.set(&k, b"v").unwrap();
                    }
                })
            })
            .collect();
        let sweepers: Vec<_> = (0..4)
            .map(|_| {
                let kv = kv.clone();
                std::thread::spawn(move || {
                    for _ in 0..1_000 {
                        let now = kv.tick();
                        sweep(&*kv, now, 3).unwrap();
                    }
                })
            })
            .collect();
        for t in writers.into_iter().chain(sweepers) {
            t.join().unwrap();
        }
        let end = kv.tick() + 1_000;
        kv.clock.store(end, Ordering::SeqCst);
        drain(&*kv, end);
        let deletes = kv.deletes.lock().unwrap();
        for t in 0..4 {
            for i in 0..per_writer {
                let k = format!("w{t}:{i}");
                assert_eq!(deletes.get(&k), Some(&1), "{k}");
            }
        }
        assert_eq!(all_keys(&kv.inner), vec![FRONT.to_string()]);
    }

    /// A sweep interrupted by a store failure at any operation never blocks later sweeps: the
    /// minute is finished, and at most the slots the interrupted sweep had claimed are left.
    /// With 3 slots the interrupted sweep claims them all (a later one finds the minute fully
    /// claimed and must still remove its counter); with 6 it leaves two to the next one.
    #[test]
    fn a_failing_store_mid_sweep_leaves_at_most_its_claimed_slots_behind() {
        for registered in [3, 6] {
            let base = MemoryKv::new();
            sweep(&base, T0, 4).unwrap();
            drain(&base, T0);
            for i in 0..registered {
                let k = format!("k{i}");
                register(&base, &[&k], T0 + 60, T0).unwrap();
                base.set(&k, b"v").unwrap();
            }
            let snapshot = base.snapshot();
            let due = T0 + 60 + 60 + GRACE_SECONDS;
            let faults = crate::faults::Faults::new();
            let reference = snapshot.restore();
            sweep(
                &crate::faults::FaultyKv::new(&reference, faults.clone()),
                due,
                4,
            )
            .unwrap();
            let points = faults.operations();
            for fault in [
                crate::faults::Fault::FailAfter,
                crate::faults::Fault::LoseAnswer,
            ] {
                for n in 0..points {
                    let kv = snapshot.restore();
                    let faults = crate::faults::Faults::new();
                    faults.arm(fault, n);
                    let _ = sweep(&crate::faults::FaultyKv::new(&kv, faults.clone()), due, 4);
                    drain(&kv, due);
                    let left = app_keys(&kv);
                    assert!(left.len() <= 4, "{fault:?} at {n}: {left:?}");
                    let minute = (T0 + 60).div_euclid(60);
                    assert!(
                        !kv.exists(&minute_key(minute)).unwrap(),
                        "{registered} slots, {fault:?} at {n}: the minute's counter stayed"
                    );
                    assert!(read_front(&kv).unwrap().unwrap() > minute);
                }
            }
        }
    }

    /// A store that records every deletion of an app key and refuses one before it is due.
    struct Watch {
        inner: MemoryKv,
        due: Mutex<HashMap<String, i64>>,
        deletes: Mutex<HashMap<String, u32>>,
        /// One clock for every thread: each call to `tick` moves it a second.
        clock: AtomicI64,
        /// Held by registrations, taken by `tick`.
        gate: RwLock<()>,
    }

    impl Watch {
        fn new() -> Self {
            Self {
                inner: MemoryKv::new(),
                due: Mutex::default(),
                deletes: Mutex::default(),
                clock: AtomicI64::new(T0),
                gate: RwLock::new(()),
            }
        }
        fn tick(&self) -> i64 {
            let _moving = self.gate.write().unwrap();
            self.clock.fetch_add(1, Ordering::SeqCst) + 1
        }
        fn expect(&self, key: &str, expires: i64) {
            self.due.lock().unwrap().insert(key.to_string(), expires);
        }
    }

    impl KeyValue for Watch {
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
            self.inner.get(key)
        }
        fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
            self.inner.set(key, value)
        }
        fn delete(&self, key: &str) -> Result<(), KvError> {
            if !key.starts_with(PREFIX) {
                let due = self.due.lock().unwrap().get(key).copied();
                // No sweeper's clock is ahead of the shared one.
                let now = self.clock.load(Ordering::SeqCst);
                if let Some(expires) = due {
                    assert!(
                        now >= expires + GRACE_SECONDS,
                        "{key} deleted at {now}, due {}",
                        expires + GRACE_SECONDS
                    );
                }
                *self
                    .deletes
                    .lock()
                    .unwrap()
                    .entry(key.to_string())
                    .or_default() += 1;
            }
            self.inner.delete(key)
        }
        fn exists(&self, key: &str) -> Result<bool, KvError> {
            self.inner.exists(key)
        }
        fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
            self.inner.increment(key, delta)
        }
        fn compare_and_swap(
            &self,
            key: &str,
            expected: Option<&[u8]>,
            new: &[u8],
        ) -> Result<bool, KvError> {
            self.inner.compare_and_swap(key, expected, new)
        }
    }
}
