//! A Redis server as the key-value store, with the semantics of Spin's Redis store
//! (`spin-key-value-redis`, runtime config `type = "redis"`, `url = "redis://..."`):
//!
//! - one Redis database for every label configured with the same URL: Spin ignores the label,
//!   so keys are the component's keys, unprefixed (the host's tests add a private prefix per
//!   test app, see [`RedisKv::with_prefix`]; components never see it);
//! - `get`/`set`/`delete`/`exists` are `GET`/`SET`/`DEL`/`EXISTS`; `get-keys` lists the whole
//!   database (Spin sends `KEYS *`; here `SCAN`, limited to the prefix when there is one);
//! - `increment` is `INCRBY`, so counters are stored as **decimal text** (`"42"`), not as the
//!   8 little-endian bytes of the SQLite store, and incrementing a non-numeric value fails;
//! - compare-and-swap is Spin 4.0.2's (`CompareAndSwap` in `crates/key-value-redis/src/store.rs`),
//!   defect included: each operation opens its own connection; `current` sends `WATCH key` and
//!   `GET key`; `swap` sends `MULTI`/`SET`/`EXEC` (an `EXEC` aborted because the watched key
//!   changed is parsed as success, like any non-error reply), then `UNWATCH key`, which Redis
//!   refuses (`ERR wrong number of arguments`: UNWATCH takes none), and that refusal is the
//!   answer. So **every swap answers `CasFailed`, whether its `SET` was committed or not**. A
//!   swap without `current` watches nothing: its `SET` always lands. Creating an absent key is
//!   watched like any other (not an upsert, unlike SQLite's).
//!
//! The client is synchronous: the host calls backends on tokio's blocking pool. Connections
//! are pooled; one that fails is dropped, so the store recovers by itself when the server
//! comes back. Every call has a deadline, so a stopped or stalled server turns into an error
//! (the components answer 503) instead of a hung request.

use std::sync::Mutex;
use std::time::Duration;

use redis::{Client, Connection};

use super::{CasOp, KvBackend, KvError, KvResult, SwapError};

/// How long to wait for a connection to the server.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long one command may take before the store is reported unavailable.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(3);
/// Idle connections kept for reuse.
const MAX_IDLE: usize = 16;

pub struct RedisKv {
    client: Client,
    /// `host:port/db`, for messages (never the password).
    shown: String,
    /// Prepended to every key; empty for Spin's own layout.
    prefix: String,
    idle: Mutex<Vec<Connection>>,
}

impl RedisKv {
    /// A store on the server at `url` (`redis://[:password@]host[:port][/db]`), as Spin's
    /// runtime config names it. Does not connect yet: the first operation does.
    pub fn open(url: &str) -> KvResult<Self> {
        Self::with_prefix(url, "")
    }

    /// As [`RedisKv::open`], with every key stored under `prefix` (tests that share one
    /// server keep their data apart this way).
    pub fn with_prefix(url: &str, prefix: &str) -> KvResult<Self> {
        let client =
            Client::open(url).map_err(|e| KvError(format!("invalid Redis URL {url:?}: {e}")))?;
        let info = client.get_connection_info();
        let shown = format!("{}/{}", info.addr(), info.redis_settings().db());
        Ok(Self {
            client,
            shown,
            prefix: prefix.to_owned(),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Deletes every key under this store's prefix (the whole database when there is none).
    pub fn clear(&self) -> KvResult<()> {
        let keys = self.scan_raw()?;
        if keys.is_empty() {
            return Ok(());
        }
        self.with(|c| redis::cmd("DEL").arg(&keys).query::<i64>(c).map(drop))
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn connect(&self) -> KvResult<Connection> {
        let c = self
            .client
            .get_connection_with_timeout(CONNECT_TIMEOUT)
            .map_err(|e| self.unavailable(e))?;
        c.set_read_timeout(Some(COMMAND_TIMEOUT))
            .and_then(|()| c.set_write_timeout(Some(COMMAND_TIMEOUT)))
            .map_err(|e| self.unavailable(e))?;
        Ok(c)
    }

    fn unavailable(&self, e: redis::RedisError) -> KvError {
        KvError(format!("Redis at {}: {e}", self.shown))
    }

    /// Runs `op` on a pooled connection; a connection that saw an error is not reused (it may
    /// hold a half-read reply or a stale `WATCH`).
    fn with<T>(&self, op: impl FnOnce(&mut Connection) -> redis::RedisResult<T>) -> KvResult<T> {
        let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => self.connect()?,
        };
        let result = op(&mut conn).map_err(|e| self.unavailable(e))?;
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
        Ok(result)
    }

    /// Every stored key under the prefix, prefix included.
    fn scan_raw(&self) -> KvResult<Vec<String>> {
        let pattern = format!("{}*", glob_escape(&self.prefix));
        self.with(|c| {
            let mut keys = Vec::new();
            let mut cursor: u64 = 0;
            loop {
                let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query(c)?;
                keys.extend(batch);
                if next == 0 {
                    return Ok(keys);
                }
                cursor = next;
            }
        })
    }
}

/// Escapes Redis glob metacharacters so a prefix matches literally.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

impl KvBackend for RedisKv {
    fn describe(&self) -> String {
        if self.prefix.is_empty() {
            format!("Redis at {}", self.shown)
        } else {
            format!("Redis at {} (keys under {:?})", self.shown, self.prefix)
        }
    }

    fn get(&self, _store: &str, key: &str) -> KvResult<Option<Vec<u8>>> {
        let k = self.key(key);
        self.with(|c| redis::cmd("GET").arg(&k).query(c))
    }

    fn set(&self, _store: &str, key: &str, value: &[u8]) -> KvResult<()> {
        let k = self.key(key);
        self.with(|c| redis::cmd("SET").arg(&k).arg(value).query::<()>(c))
    }

    fn delete(&self, _store: &str, key: &str) -> KvResult<()> {
        let k = self.key(key);
        self.with(|c| redis::cmd("DEL").arg(&k).query::<i64>(c).map(drop))
    }

    fn exists(&self, _store: &str, key: &str) -> KvResult<bool> {
        let k = self.key(key);
        self.with(|c| redis::cmd("EXISTS").arg(&k).query::<i64>(c).map(|n| n > 0))
    }

    fn get_keys(&self, _store: &str) -> KvResult<Vec<String>> {
        let mut keys: Vec<String> = self
            .scan_raw()?
            .into_iter()
            .filter_map(|k| k.strip_prefix(&self.prefix).map(str::to_owned))
            .collect();
        keys.sort();
        Ok(keys)
    }

    fn get_many(&self, _store: &str, keys: &[String]) -> KvResult<Vec<(String, Vec<u8>)>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let raw: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        let values: Vec<Option<Vec<u8>>> = self.with(|c| redis::cmd("MGET").arg(&raw).query(c))?;
        Ok(keys
            .iter()
            .zip(values)
            .filter_map(|(k, v)| v.map(|v| (k.clone(), v)))
            .collect())
    }

    fn set_many(&self, _store: &str, entries: &[(String, Vec<u8>)]) -> KvResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut cmd = redis::cmd("MSET");
        for (k, v) in entries {
            cmd.arg(self.key(k)).arg(v.as_slice());
        }
        self.with(|c| cmd.query::<()>(c))
    }

    fn delete_many(&self, _store: &str, keys: &[String]) -> KvResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let raw: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        self.with(|c| redis::cmd("DEL").arg(&raw).query::<i64>(c).map(drop))
    }

    fn increment(&self, _store: &str, key: &str, delta: i64) -> KvResult<i64> {
        let k = self.key(key);
        // INCRBY refuses non-integers and overflow itself, atomically on the server.
        self.with(|c| redis::cmd("INCRBY").arg(&k).arg(delta).query(c))
    }

    fn new_cas(&self, _store: &str, key: &str) -> KvResult<Box<dyn CasOp>> {
        // Spin opens a new connection (a `ConnectionManager`) for every compare-and-swap, since
        // WATCH is per connection; it is dropped with the operation.
        Ok(Box::new(RedisCas {
            conn: self.connect()?,
            key: self.key(key),
            shown: self.shown.clone(),
        }))
    }
}

/// Spin's Redis `CompareAndSwap`, on a connection of its own.
struct RedisCas {
    conn: Connection,
    key: String,
    shown: String,
}

impl CasOp for RedisCas {
    fn current(&mut self) -> KvResult<Option<Vec<u8>>> {
        let unavailable = |e: redis::RedisError| KvError(format!("Redis at {}: {e}", self.shown));
        redis::cmd("WATCH")
            .arg(&self.key)
            .query::<()>(&mut self.conn)
            .map_err(unavailable)?;
        redis::cmd("GET")
            .arg(&self.key)
            .query(&mut self.conn)
            .map_err(unavailable)
    }

    fn swap(&mut self, value: &[u8]) -> Result<(), SwapError> {
        // `redis::pipe().atomic().set(..)` parsed into `()`: any reply but an error is Ok,
        // the nil of an aborted EXEC included.
        let res = redis::pipe()
            .atomic()
            .set(&self.key, value)
            .query::<()>(&mut self.conn);
        // Spin 4.0.2 sends the key with UNWATCH; Redis refuses it, and the refusal is returned
        // before `res` is looked at.
        redis::cmd("UNWATCH")
            .arg(&self.key)
            .query::<()>(&mut self.conn)
            .map_err(|e| SwapError::CasFailed(format!("{e:?}")))?;
        res.map_err(|e| SwapError::CasFailed(format!("{e:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_metacharacters_are_escaped() {
        assert_eq!(glob_escape("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
        assert_eq!(glob_escape("avisos-test:1:"), "avisos-test:1:");
    }

    #[test]
    fn urls_are_checked_and_shown_without_password() {
        assert!(RedisKv::open("http://example").is_err());
        let kv = RedisKv::with_prefix("redis://:secreto@127.0.0.1:6390/3", "t:").unwrap();
        let shown = kv.describe();
        assert!(shown.contains("127.0.0.1:6390/3"), "{shown}");
        assert!(!shown.contains("secreto"), "{shown}");
    }

    #[test]
    fn an_unreachable_server_is_an_error_not_a_hang() {
        // Port 9 (discard) is closed on loopback in any sane test machine.
        let kv = RedisKv::open("redis://127.0.0.1:9/0").unwrap();
        let e = kv.get("default", "k").unwrap_err();
        assert!(e.0.contains("Redis at 127.0.0.1:9/0"), "{e}");
    }
}
