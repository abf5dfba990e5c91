//! Index values: comma-separated ids, oldest first, updated with compare-and-swap (retried), so
//! concurrent appends never lose each other.

use avisos_http::ApiError;
use avisos_kv::KeyValue;

const CAS_ATTEMPTS: usize = 64;

pub fn read(kv: &dyn KeyValue, key: &str) -> Result<Vec<String>, ApiError> {
    Ok(match kv.get(key)? {
        None => Vec::new(),
        Some(bytes) => parse(&bytes),
    })
}

fn parse(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn update(kv: &dyn KeyValue, key: &str, change: impl Fn(&mut Vec<String>)) -> Result<(), ApiError> {
    for _ in 0..CAS_ATTEMPTS {
        let before = kv.get(key)?;
        let mut ids = before.as_deref().map(parse).unwrap_or_default();
        change(&mut ids);
        let after = ids.join(",").into_bytes();
        if before.as_deref() == Some(after.as_slice()) || (before.is_none() && after.is_empty()) {
            return Ok(());
        }
        if kv.compare_and_swap(key, before.as_deref(), &after)? {
            return Ok(());
        }
    }
    Err(ApiError::new(
        503,
        "INDICE_OCUPADO",
        "Hay muchas solicitudes a la vez. Intenta de nuevo en unos segundos.",
    ))
}

/// Appends `id` unless present.
pub fn add(kv: &dyn KeyValue, key: &str, id: &str) -> Result<(), ApiError> {
    update(kv, key, |ids| {
        if !ids.iter().any(|x| x == id) {
            ids.push(id.to_string());
        }
    })
}

pub fn remove(kv: &dyn KeyValue, key: &str, id: &str) -> Result<(), ApiError> {
    update(kv, key, |ids| ids.retain(|x| x != id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::MemoryKv;

    #[test]
    fn add_remove_and_concurrency() {
        let kv = std::sync::Arc::new(MemoryKv::new());
        add(&*kv, "i", "a").unwrap();
        add(&*kv, "i", "a").unwrap();
        add(&*kv, "i", "b").unwrap();
        assert_eq!(read(&*kv, "i").unwrap(), ["a", "b"]);
        remove(&*kv, "i", "a").unwrap();
        assert_eq!(read(&*kv, "i").unwrap(), ["b"]);
        remove(&*kv, "vacio", "x").unwrap();
        assert!(read(&*kv, "vacio").unwrap().is_empty());
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let kv = kv.clone();
                std::thread::spawn(move || {
                    for i in 0..20 {
                        add(&*kv, "c", &format!("{t}-{i}")).unwrap();
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
