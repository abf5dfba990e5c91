//! Indexes: one value holding comma-separated ids, oldest first, changed through
//! [`crate::swap::update`] so concurrent additions and removals never lose each other. Listings
//! are kept this way because the store has no "list keys" (see the crate's documentation).

use crate::{KeyValue, KvError, swap};

/// The ids under `key`, oldest first (an absent key is an empty index). The values written here
/// are always UTF-8: anything else is damage, [`KvError::Corrupt`].
pub fn read(kv: &dyn KeyValue, key: &str) -> Result<Vec<String>, KvError> {
    match kv.get(key)? {
        None => Ok(Vec::new()),
        Some(bytes) => Ok(parse(key, &bytes)?.map(str::to_owned).collect()),
    }
}

fn parse<'a>(key: &str, bytes: &'a [u8]) -> Result<impl Iterator<Item = &'a str>, KvError> {
    let text = std::str::from_utf8(bytes).map_err(|_| KvError::Corrupt {
        key: key.to_owned(),
        reason: "an index that is not UTF-8".to_owned(),
    })?;
    Ok(text.split(',').filter(|s| !s.is_empty()))
}

/// Appends each of `ids` not already present, in order (so a retried addition is harmless).
pub fn add(kv: &dyn KeyValue, key: &str, ids: &[&str]) -> Result<(), KvError> {
    swap::update(kv, key, |before| {
        let present: Vec<&str> = match before {
            None => Vec::new(),
            Some(bytes) => parse(key, bytes)?.collect(),
        };
        // A set, not a scan of `after` per id: a bulk import appends thousands at once.
        let mut seen: std::collections::HashSet<&str> = present.iter().copied().collect();
        let mut after = present.join(",");
        let mut changed = false;
        for id in ids {
            if !seen.insert(id) {
                continue;
            }
            if !after.is_empty() {
                after.push(',');
            }
            after.push_str(id);
            changed = true;
        }
        Ok(changed.then(|| after.into_bytes()))
    })
}

/// Removes `id` if present.
pub fn remove(kv: &dyn KeyValue, key: &str, id: &str) -> Result<(), KvError> {
    swap::update(kv, key, |before| {
        let Some(bytes) = before else {
            return Ok(None);
        };
        let ids: Vec<&str> = parse(key, bytes)?.collect();
        if !ids.contains(&id) {
            return Ok(None);
        }
        let kept: Vec<&str> = ids.into_iter().filter(|x| *x != id).collect();
        Ok(Some(kept.join(",").into_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryKv;

    #[test]
    fn add_remove_and_read_back_in_order() {
        let kv = MemoryKv::new();
        add(&kv, "i", &["a"]).unwrap();
        add(&kv, "i", &["a", "b", "b", "c"]).unwrap();
        assert_eq!(read(&kv, "i").unwrap(), ["a", "b", "c"]);
        remove(&kv, "i", "b").unwrap();
        assert_eq!(read(&kv, "i").unwrap(), ["a", "c"]);
        remove(&kv, "vacio", "x").unwrap();
        assert!(read(&kv, "vacio").unwrap().is_empty());
        assert_eq!(
            kv.get("vacio").unwrap(),
            None,
            "removing from nothing writes nothing"
        );
    }

    #[test]
    fn a_damaged_index_is_corrupt_and_left_as_it_is() {
        let kv = MemoryKv::new();
        kv.set("i", b"a,\xff").unwrap();
        for err in [
            read(&kv, "i").unwrap_err(),
            add(&kv, "i", &["b"]).unwrap_err(),
            remove(&kv, "i", "a").unwrap_err(),
        ] {
            assert!(matches!(err, KvError::Corrupt { .. }), "{err:?}");
        }
        assert_eq!(kv.get("i").unwrap().as_deref(), Some(&b"a,\xff"[..]));
    }

    #[test]
    fn concurrent_additions_lose_nothing() {
        let kv = std::sync::Arc::new(MemoryKv::new());
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let kv = kv.clone();
                std::thread::spawn(move || {
                    for i in 0..20 {
                        add(&*kv, "c", &[&format!("{t}-{i}")]).unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(read(&*kv, "c").unwrap().len(), 80);
    }
}
