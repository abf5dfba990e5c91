//! The embedded SQLite store, in the file and table layout `spin up` uses
//! (`.spin/sqlite_key_value.db`, table `spin_key_value`), so either runtime can open the
//! other's data.
//!
//! Writes that read first (`increment`) run in `BEGIN IMMEDIATE` transactions, so they stay
//! atomic when several host processes share the file; a busy timeout makes a writer wait for
//! another's lock instead of failing.
//!
//! Compare-and-swap is Spin's (`crates/key-value-spin/src/store.rs`, `CompareAndSwap`, v4.0.2):
//! `current` reads the value; `swap` after a value was seen is `UPDATE … WHERE value = seen`
//! (no row changed: `CasFailed`), and after **no** value was seen (absent key, or `current`
//! never called) an upsert that always succeeds, so two racers creating one key both win.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{CasOp, KvBackend, KvError, KvResult, SwapError, add_delta, decode_counter};

/// How long a write waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const UPSERT: &str = "INSERT INTO spin_key_value (store, key, value) VALUES (?1, ?2, ?3) \
                      ON CONFLICT(store, key) DO UPDATE SET value = excluded.value";

pub struct SqliteKv {
    path: PathBuf,
    conn: Arc<Mutex<Connection>>,
}

impl SqliteKv {
    /// Opens (creating if needed) the database file and its parent directory.
    pub fn open(path: &Path) -> KvResult<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| KvError(format!("cannot create directory {}: {e}", dir.display())))?;
        }
        let conn = Connection::open(path)
            .map_err(|e| KvError(format!("cannot open {}: {e}", path.display())))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(KvError::other)?;
        conn.execute(
            "CREATE TABLE IF NOT EXISTS spin_key_value (
                store TEXT NOT NULL,
                key   TEXT NOT NULL,
                value BLOB NOT NULL,
                PRIMARY KEY (store, key)
            )",
            [],
        )
        .map_err(|e| KvError(format!("cannot initialise {}: {e}", path.display())))?;
        Ok(Self {
            path: path.to_owned(),
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        lock(&self.conn)
    }
}

fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // rusqlite leaves the connection usable after a panic elsewhere; open transactions roll
    // back when dropped.
    conn.lock().unwrap_or_else(|p| p.into_inner())
}

/// Spin's SQLite `CompareAndSwap`: the value `current` saw, `None` until it is called.
struct SqliteCas {
    conn: Arc<Mutex<Connection>>,
    store: String,
    key: String,
    seen: Option<Vec<u8>>,
}

impl CasOp for SqliteCas {
    fn current(&mut self) -> KvResult<Option<Vec<u8>>> {
        let value = lock(&self.conn)
            .prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")
            .and_then(|mut s| {
                s.query_row(params![self.store, self.key], |r| r.get(0))
                    .optional()
            })
            .map_err(err)?;
        self.seen.clone_from(&value);
        Ok(value)
    }

    fn swap(&mut self, value: &[u8]) -> Result<(), SwapError> {
        let conn = lock(&self.conn);
        let changed = match &self.seen {
            Some(old) => conn
                .prepare_cached(
                    "UPDATE spin_key_value SET value = ?4 \
                     WHERE store = ?1 AND key = ?2 AND value = ?3",
                )
                .and_then(|mut s| s.execute(params![self.store, self.key, old, value])),
            // Spin's upsert: whatever is there now (another racer's value) is overwritten.
            None => conn
                .prepare_cached(UPSERT)
                .and_then(|mut s| s.execute(params![self.store, self.key, value])),
        }
        .map_err(|e| SwapError::Other(err(e)))?;
        if changed == 1 {
            Ok(())
        } else {
            Err(SwapError::CasFailed("failed to update 1 row".into()))
        }
    }
}

fn err(e: rusqlite::Error) -> KvError {
    KvError::other(e)
}

impl KvBackend for SqliteKv {
    fn describe(&self) -> String {
        format!("SQLite file {}", self.path.display())
    }

    fn get(&self, store: &str, key: &str) -> KvResult<Option<Vec<u8>>> {
        self.conn()
            .prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")
            .and_then(|mut s| s.query_row(params![store, key], |r| r.get(0)).optional())
            .map_err(err)
    }

    fn set(&self, store: &str, key: &str, value: &[u8]) -> KvResult<()> {
        self.conn()
            .prepare_cached(UPSERT)
            .and_then(|mut s| s.execute(params![store, key, value]))
            .map(drop)
            .map_err(err)
    }

    fn delete(&self, store: &str, key: &str) -> KvResult<()> {
        self.conn()
            .prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")
            .and_then(|mut s| s.execute(params![store, key]))
            .map(drop)
            .map_err(err)
    }

    fn exists(&self, store: &str, key: &str) -> KvResult<bool> {
        self.conn()
            .prepare_cached("SELECT 1 FROM spin_key_value WHERE store = ?1 AND key = ?2")
            .and_then(|mut s| s.exists(params![store, key]))
            .map_err(err)
    }

    fn get_keys(&self, store: &str) -> KvResult<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT key FROM spin_key_value WHERE store = ?1 ORDER BY key")
            .map_err(err)?;
        let keys = stmt
            .query_map(params![store], |r| r.get(0))
            .and_then(|rows| rows.collect::<Result<Vec<String>, _>>())
            .map_err(err)?;
        Ok(keys)
    }

    fn get_many(&self, store: &str, keys: &[String]) -> KvResult<Vec<(String, Vec<u8>)>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")
            .map_err(err)?;
        let mut found = Vec::new();
        for key in keys {
            let value: Option<Vec<u8>> = stmt
                .query_row(params![store, key], |r| r.get(0))
                .optional()
                .map_err(err)?;
            if let Some(v) = value {
                found.push((key.clone(), v));
            }
        }
        Ok(found)
    }

    fn set_many(&self, store: &str, entries: &[(String, Vec<u8>)]) -> KvResult<()> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        {
            let mut stmt = tx.prepare_cached(UPSERT).map_err(err)?;
            for (k, v) in entries {
                stmt.execute(params![store, k, v]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    fn delete_many(&self, store: &str, keys: &[String]) -> KvResult<()> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        {
            let mut stmt = tx
                .prepare_cached("DELETE FROM spin_key_value WHERE store = ?1 AND key = ?2")
                .map_err(err)?;
            for k in keys {
                stmt.execute(params![store, k]).map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    fn increment(&self, store: &str, key: &str, delta: i64) -> KvResult<i64> {
        let mut conn = self.conn();
        // IMMEDIATE takes the write lock before reading, so no other process can interleave.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let current: Option<Vec<u8>> = tx
            .prepare_cached("SELECT value FROM spin_key_value WHERE store = ?1 AND key = ?2")
            .and_then(|mut s| s.query_row(params![store, key], |r| r.get(0)).optional())
            .map_err(err)?;
        let current = match current {
            Some(bytes) => decode_counter(key, &bytes)?,
            None => 0,
        };
        let new = add_delta(key, current, delta)?;
        tx.prepare_cached(UPSERT)
            .and_then(|mut s| s.execute(params![store, key, &new.to_le_bytes()[..]]))
            .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(new)
    }

    fn new_cas(&self, store: &str, key: &str) -> KvResult<Box<dyn CasOp>> {
        Ok(Box::new(SqliteCas {
            conn: self.conn.clone(),
            store: store.to_owned(),
            key: key.to_owned(),
            seen: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Arc;

    #[test]
    fn data_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/kv.db");
        SqliteKv::open(&path)
            .unwrap()
            .set("default", "k", b"v")
            .unwrap();
        let again = SqliteKv::open(&path).unwrap();
        assert_eq!(
            again.get("default", "k").unwrap().as_deref(),
            Some(&b"v"[..])
        );
    }

    /// Two connections stand for two host processes sharing the file.
    #[test]
    fn increments_are_atomic_across_connections() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.db");
        let a = Arc::new(SqliteKv::open(&path).unwrap());
        let b = Arc::new(SqliteKv::open(&path).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let kv = if i % 2 == 0 { a.clone() } else { b.clone() };
                std::thread::spawn(move || {
                    (0..25)
                        .map(|_| kv.increment("default", "folio", 1).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let all: Vec<i64> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        let distinct: HashSet<_> = all.iter().copied().collect();
        assert_eq!(distinct.len(), 200, "every increment saw a distinct value");
        assert_eq!(*all.iter().max().unwrap(), 200);
        assert_eq!(a.increment("default", "folio", 0).unwrap(), 200);
    }

    /// Spin's answers, one test per answer: two connections stand for two host processes.
    #[test]
    fn a_swap_of_an_absent_key_is_an_upsert_that_both_racers_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.db");
        let (a, b) = (
            SqliteKv::open(&path).unwrap(),
            SqliteKv::open(&path).unwrap(),
        );
        let mut first = a.new_cas("default", "nonce").unwrap();
        let mut second = b.new_cas("default", "nonce").unwrap();
        assert_eq!(first.current().unwrap(), None);
        assert_eq!(second.current().unwrap(), None);
        assert_eq!(first.swap(b"a"), Ok(()));
        assert_eq!(second.swap(b"b"), Ok(()), "Spin upserts: no CasFailed");
        assert_eq!(
            a.get("default", "nonce").unwrap().as_deref(),
            Some(&b"b"[..])
        );
    }

    #[test]
    fn a_swap_without_current_overwrites_whatever_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let kv = SqliteKv::open(&dir.path().join("kv.db")).unwrap();
        kv.set("default", "k", b"old").unwrap();
        assert_eq!(kv.new_cas("default", "k").unwrap().swap(b"new"), Ok(()));
        assert_eq!(
            kv.get("default", "k").unwrap().as_deref(),
            Some(&b"new"[..])
        );
    }

    #[test]
    fn a_swap_after_the_seen_value_changed_is_cas_failed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.db");
        let (a, b) = (
            SqliteKv::open(&path).unwrap(),
            SqliteKv::open(&path).unwrap(),
        );
        a.set("default", "k", b"v1").unwrap();
        let mut cas = a.new_cas("default", "k").unwrap();
        assert_eq!(cas.current().unwrap().as_deref(), Some(&b"v1"[..]));
        b.set("default", "k", b"intruder").unwrap();
        assert!(matches!(cas.swap(b"mine"), Err(SwapError::CasFailed(_))));
        assert_eq!(
            a.get("default", "k").unwrap().as_deref(),
            Some(&b"intruder"[..])
        );
        // Deleted in between: no row to update either.
        let mut cas = a.new_cas("default", "k").unwrap();
        cas.current().unwrap();
        b.delete("default", "k").unwrap();
        assert!(matches!(cas.swap(b"mine"), Err(SwapError::CasFailed(_))));
        assert_eq!(a.get("default", "k").unwrap(), None);
    }

    #[test]
    fn a_swap_of_the_seen_value_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let kv = SqliteKv::open(&dir.path().join("kv.db")).unwrap();
        kv.set("default", "k", b"v1").unwrap();
        let mut cas = kv.new_cas("default", "k").unwrap();
        cas.current().unwrap();
        assert_eq!(cas.swap(b"v2"), Ok(()));
        assert_eq!(kv.get("default", "k").unwrap().as_deref(), Some(&b"v2"[..]));
    }
}
