//! Read-modify-write of one value by compare-and-swap, retried while other writers win: the one
//! mechanism behind every value that several requests change at once (the comma-separated
//! indexes of [`crate::index`], the developer directory's buckets and lists).

use crate::{KeyValue, KvError};

/// How many times a change is tried before the caller is told the value is busy
/// ([`KvError::Busy`]): far more writers than a value ever sees at once.
pub const ATTEMPTS: usize = 64;

/// Reads `key`, lets `change` compute the new value from what was read (`None`: absent) and swaps
/// it in only while the value is still what was read; retried from a fresh read when another
/// writer won. `change` answers `Ok(None)` when nothing is to be written, and may run several
/// times, so it must be a pure function of what it is given. An unchanged value is not written.
pub fn update<E: From<KvError>>(
    kv: &dyn KeyValue,
    key: &str,
    mut change: impl FnMut(Option<&[u8]>) -> Result<Option<Vec<u8>>, E>,
) -> Result<(), E> {
    for _ in 0..ATTEMPTS {
        let before = kv.get(key)?;
        let Some(after) = change(before.as_deref())? else {
            return Ok(());
        };
        if before.as_deref() == Some(after.as_slice()) {
            return Ok(());
        }
        if kv.compare_and_swap(key, before.as_deref(), &after)? {
            return Ok(());
        }
    }
    Err(KvError::Busy(key.to_owned()).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryKv;

    /// A store whose every swap loses, as if another writer always got there first.
    struct AlwaysLoses(MemoryKv);

    impl KeyValue for AlwaysLoses {
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
            self.0.get(key)
        }
        fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
            self.0.set(key, value)
        }
        fn delete(&self, key: &str) -> Result<(), KvError> {
            self.0.delete(key)
        }
        fn exists(&self, key: &str) -> Result<bool, KvError> {
            self.0.exists(key)
        }
        fn increment(&self, key: &str, delta: i64) -> Result<i64, KvError> {
            self.0.increment(key, delta)
        }
        fn compare_and_swap(
            &self,
            _key: &str,
            _current: Option<&[u8]>,
            _new: &[u8],
        ) -> Result<bool, KvError> {
            Ok(false)
        }
    }

    #[test]
    fn a_change_is_written_once_and_an_unchanged_value_not_at_all() {
        let kv = MemoryKv::new();
        update::<KvError>(&kv, "k", |b| {
            assert!(b.is_none());
            Ok(Some(b"1".to_vec()))
        })
        .unwrap();
        assert_eq!(kv.get("k").unwrap().as_deref(), Some(&b"1"[..]));
        update::<KvError>(&kv, "k", |_| Ok(None)).unwrap();
        update::<KvError>(&kv, "k", |b| Ok(b.map(<[u8]>::to_vec))).unwrap();
        assert_eq!(kv.get("k").unwrap().as_deref(), Some(&b"1"[..]));
    }

    #[test]
    fn a_value_that_keeps_changing_is_busy_and_the_changes_error_stands() {
        let kv = AlwaysLoses(MemoryKv::new());
        let mut runs = 0;
        let err = update::<KvError>(&kv, "k", |_| {
            runs += 1;
            Ok(Some(b"x".to_vec()))
        })
        .unwrap_err();
        assert_eq!(err, KvError::Busy("k".into()));
        assert_eq!(runs, ATTEMPTS);
        let corrupt = KvError::Corrupt {
            key: "k".into(),
            reason: "r".into(),
        };
        let err = update::<KvError>(&kv, "k", |_| Err(corrupt.clone())).unwrap_err();
        assert_eq!(err, corrupt);
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let kv = std::sync::Arc::new(MemoryKv::new());
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let kv = kv.clone();
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        update::<KvError>(&*kv, "n", |b| {
                            let n: u32 = b
                                .and_then(|b| std::str::from_utf8(b).ok()?.parse().ok())
                                .unwrap_or(0);
                            Ok(Some((n + 1).to_string().into_bytes()))
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(kv.get("n").unwrap().as_deref(), Some(&b"100"[..]));
    }
}
