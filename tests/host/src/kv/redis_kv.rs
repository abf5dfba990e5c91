//! A Redis server as the key-value store, with the semantics of Spin's Redis store
//! (`spin-key-value-redis`, runtime config `type = "redis"`, `url = "redis://..."`), built on
//! the same client Spin 4.0.2 uses — redis-rs 0.32.5's `ConnectionManager` — called the same
//! way (`crates/key-value-redis/src/store.rs` in spinframework/spin):
//!
//! - one Redis database for every label configured with the same URL: Spin ignores the label,
//!   so keys are the component's keys, unprefixed (the host's tests add a private prefix per
//!   test app, see [`RedisKv::with_prefix`]; components never see it);
//! - `get`/`set`/`delete`/`exists` are `GET`/`SET`/`DEL`/`EXISTS`; `get-keys` is `KEYS *`
//!   (limited to the prefix when there is one); `get_many` is `MGET` (Spin's sends `KEYS` with
//!   the keys, which Redis refuses; the app uses no batch operation);
//! - `increment` is `INCRBY`, so counters are stored as **decimal text** (`"42"`), not as the
//!   8 little-endian bytes of the SQLite store, and incrementing a non-numeric value fails;
//! - compare-and-swap is Spin 4.0.2's (`CompareAndSwap`), defect included: each operation
//!   opens its own `ConnectionManager`; `current` sends `WATCH key` and `GET key`; `swap` sends
//!   `MULTI`/`SET`/`EXEC` (an `EXEC` aborted because the watched key changed is parsed as
//!   success, like any non-error reply), then `UNWATCH key`, which Redis refuses (`ERR wrong
//!   number of arguments`: UNWATCH takes none), and that refusal is the answer. So **every swap
//!   answers `CasFailed`, whether its `SET` was committed or not**. A swap without `current`
//!   watches nothing: its `SET` always lands. Creating an absent key is watched like any other.
//!
//! **Outages are Spin's too** (issue 15): nothing here bounds a call. Spin opens one
//! `ConnectionManager` per app (`Client::get_connection_manager`, default configuration: no
//! connection or response timeout) on the first `open` of a store, and pings it on every
//! `open` (`after_open`, error ignored). So:
//!
//! - a server that stops answering with its connections open (frozen, partitioned) makes every
//!   call wait until it answers again, without limit;
//! - a server that dies (connections reset) fails the commands already sent and those sent
//!   before the client has seen the failure (the component answers 503; after a restart, a
//!   burst of concurrent requests can all fail this way); the failure starts a reconnection,
//!   and every later call waits for it. redis-rs 0.32 retries 6 times, waiting 1–2 s, then 60–120 s
//!   between attempts (backon's exponential builder with redis-rs's `factor` of 100 and
//!   backon's 60 s cap, plus jitter), so a call waits until the server is back *and* the next
//!   attempt is due, or 5–10 minutes, then fails;
//! - a compare-and-swap connects anew: during an outage it waits in that same retry loop.
//!
//! [`RedisKv::with_max_reconnect_delay`] shortens the wait between attempts (the only
//! difference from Spin, for tests that must take seconds, not minutes).
//!
//! Every call runs on a small runtime of its own, where the connection managers live. The host
//! awaits the common operations there ([`AsyncKv`], as Spin awaits its client); the synchronous
//! [`KvBackend`] methods (compare-and-swap, tests, wrappers such as `FaultyKv`) wait for the
//! same futures on the calling thread.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisResult};

use super::{AsyncKv, CasOp, KvBackend, KvError, KvFuture, KvResult, SwapError};

/// What every call and connection shares.
struct Shared {
    client: Client,
    /// `host:port/db`, for messages (never the password).
    shown: String,
    /// Prepended to every key; empty for Spin's own layout.
    prefix: String,
    /// Spin's default (`None`) or a shorter cap between reconnection attempts (tests).
    max_reconnect_delay: Option<Duration>,
    /// Spin's `KeyValueRedis::connection`: made on first use, kept for the app's life.
    manager: tokio::sync::OnceCell<ConnectionManager>,
}

impl Shared {
    fn config(&self) -> ConnectionManagerConfig {
        let config = ConnectionManagerConfig::new();
        match self.max_reconnect_delay {
            None => config,
            Some(d) => config.set_max_delay(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
    }

    /// `Client::get_connection_manager`, as Spin calls it (with the test cap, if any).
    async fn new_manager(&self) -> RedisResult<ConnectionManager> {
        self.client
            .get_connection_manager_with_config(self.config())
            .await
    }

    /// The app's shared manager (`StoreManager::get`): an error is not kept, the next call
    /// tries again.
    async fn manager(&self) -> RedisResult<ConnectionManager> {
        self.manager
            .get_or_try_init(|| self.new_manager())
            .await
            .cloned()
    }

    /// One command on the app's connection manager, as a future ([`RedisKv::call`] waits for it).
    fn call_async<T, F, Fut>(self: &Arc<Self>, op: F) -> KvFuture<T>
    where
        T: Send + 'static,
        F: FnOnce(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = RedisResult<T>> + Send,
    {
        let shared = self.clone();
        spawn(async move {
            let conn = shared.manager().await.map_err(|e| shared.unavailable(e))?;
            op(conn).await.map_err(|e| shared.unavailable(e))
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn unavailable(&self, e: redis::RedisError) -> KvError {
        KvError(format!("Redis at {}: {e}", self.shown))
    }
}

pub struct RedisKv {
    shared: Arc<Shared>,
}

/// The runtime every Redis connection of this process lives on (never shut down, so no
/// backend is ever dropped inside an async context).
fn runtime() -> KvResult<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("avisos-redis")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| KvError(format!("cannot start the Redis client's runtime: {e}")))
}

/// Runs `fut` on the Redis runtime; the answer is awaited without holding a thread, however
/// long it takes (as Spin does).
fn spawn<T: Send + 'static>(
    fut: impl Future<Output = KvResult<T>> + Send + 'static,
) -> KvFuture<T> {
    let handle = runtime().map(|rt| rt.spawn(fut));
    Box::pin(async move {
        handle?
            .await
            .map_err(|_| KvError("the Redis call was abandoned".into()))?
    })
}

/// Waits on this thread for an operation of [`AsyncKv`].
fn block<T: Send + 'static>(fut: KvFuture<T>) -> KvResult<T> {
    wait(fut)?
}

/// Runs `fut` on the Redis runtime and waits for it, however long it takes (as Spin does).
fn wait<T: Send + 'static>(fut: impl Future<Output = T> + Send + 'static) -> KvResult<T> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime()?.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv()
        .map_err(|_| KvError("the Redis call was abandoned".into()))
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
        let shown = format!("{}/{}", info.addr, info.redis.db);
        Ok(Self {
            shared: Arc::new(Shared {
                client,
                shown,
                prefix: prefix.to_owned(),
                max_reconnect_delay: None,
                manager: tokio::sync::OnceCell::new(),
            }),
        })
    }

    /// Caps the wait between reconnection attempts (Spin's: 60 s, plus up to as much jitter),
    /// so that a test sees the store come back within seconds. Everything else stays Spin's:
    /// calls still wait without limit while the server is away. Call before the first
    /// operation.
    pub fn with_max_reconnect_delay(mut self, delay: Duration) -> Self {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.max_reconnect_delay = Some(delay);
        }
        self
    }

    /// Deletes every key under this store's prefix (the whole database when there is none).
    pub fn clear(&self) -> KvResult<()> {
        let keys = self.keys_raw()?;
        if keys.is_empty() {
            return Ok(());
        }
        self.call(move |mut c| async move { c.del::<_, ()>(keys).await })
    }

    /// Runs one command on the app's connection manager, as Spin's `RedisStore` does.
    fn call<T, F, Fut>(&self, op: F) -> KvResult<T>
    where
        T: Send + 'static,
        F: FnOnce(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = RedisResult<T>> + Send,
    {
        block(self.shared.call_async(op))
    }

    /// Every stored key under the prefix, prefix included.
    fn keys_raw(&self) -> KvResult<Vec<String>> {
        let pattern = format!("{}*", glob_escape(&self.shared.prefix));
        self.call(move |mut c| async move { c.keys::<_, Vec<String>>(pattern).await })
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
        if self.shared.prefix.is_empty() {
            format!("Redis at {}", self.shared.shown)
        } else {
            format!(
                "Redis at {} (keys under {:?})",
                self.shared.shown, self.shared.prefix
            )
        }
    }

    /// Spin's `StoreManager::get` (the shared manager, made on first use: an error here is
    /// the open's error) then `Store::after_open` (a `PING` whose error is ignored, but which
    /// waits like any call).
    fn open_store(&self, store: &str) -> KvResult<()> {
        block(AsyncKv::open_store(&self.shared, store))
    }

    fn get(&self, store: &str, key: &str) -> KvResult<Option<Vec<u8>>> {
        block(AsyncKv::get(&self.shared, store, key))
    }

    fn set(&self, store: &str, key: &str, value: &[u8]) -> KvResult<()> {
        block(AsyncKv::set(&self.shared, store, key, value.to_vec()))
    }

    fn delete(&self, store: &str, key: &str) -> KvResult<()> {
        block(AsyncKv::delete(&self.shared, store, key))
    }

    fn exists(&self, store: &str, key: &str) -> KvResult<bool> {
        block(AsyncKv::exists(&self.shared, store, key))
    }

    fn get_keys(&self, _store: &str) -> KvResult<Vec<String>> {
        let prefix = &self.shared.prefix;
        let mut keys: Vec<String> = self
            .keys_raw()?
            .into_iter()
            .filter_map(|k| k.strip_prefix(prefix.as_str()).map(str::to_owned))
            .collect();
        keys.sort();
        Ok(keys)
    }

    fn get_many(&self, store: &str, keys: &[String]) -> KvResult<Vec<(String, Vec<u8>)>> {
        block(AsyncKv::get_many(&self.shared, store, keys.to_vec()))
    }

    fn set_many(&self, _store: &str, entries: &[(String, Vec<u8>)]) -> KvResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let raw: Vec<(String, Vec<u8>)> = entries
            .iter()
            .map(|(k, v)| (self.shared.key(k), v.clone()))
            .collect();
        self.call(move |mut c| async move { c.mset::<_, _, ()>(&raw).await })
    }

    fn delete_many(&self, _store: &str, keys: &[String]) -> KvResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let raw: Vec<String> = keys.iter().map(|k| self.shared.key(k)).collect();
        self.call(move |mut c| async move { c.del::<_, ()>(raw).await })
    }

    fn increment(&self, store: &str, key: &str, delta: i64) -> KvResult<i64> {
        block(AsyncKv::increment(&self.shared, store, key, delta))
    }

    fn nonblocking(&self) -> Option<&dyn AsyncKv> {
        Some(&self.shared)
    }

    fn new_cas(&self, _store: &str, key: &str) -> KvResult<Box<dyn CasOp>> {
        // Spin opens a new `ConnectionManager` for every compare-and-swap (WATCH is per
        // connection); it is dropped with the operation. Connecting is retried as any
        // reconnection is, so during an outage this waits.
        let shared = self.shared.clone();
        let conn = wait(async move { shared.new_manager().await })?
            .map_err(|e| self.shared.unavailable(e))?;
        Ok(Box::new(RedisCas {
            conn,
            key: self.shared.key(key),
            shared: self.shared.clone(),
        }))
    }
}

/// The commands of Spin's `RedisStore` (`GET`, `SET`, `DEL`, `EXISTS`, `MGET`, `INCRBY`).
impl AsyncKv for Arc<Shared> {
    fn open_store(&self, _store: &str) -> KvFuture<()> {
        let shared = self.clone();
        spawn(async move {
            let mut conn = shared.manager().await.map_err(|e| shared.unavailable(e))?;
            let _ = redis::cmd("PING").query_async::<()>(&mut conn).await;
            Ok(())
        })
    }

    fn get(&self, _store: &str, key: &str) -> KvFuture<Option<Vec<u8>>> {
        let k = self.key(key);
        self.call_async(move |mut c| async move { c.get::<_, Option<Vec<u8>>>(k).await })
    }

    fn set(&self, _store: &str, key: &str, value: Vec<u8>) -> KvFuture<()> {
        let k = self.key(key);
        self.call_async(move |mut c| async move { c.set::<_, _, ()>(k, value).await })
    }

    fn delete(&self, _store: &str, key: &str) -> KvFuture<()> {
        let k = self.key(key);
        self.call_async(move |mut c| async move { c.del::<_, ()>(k).await })
    }

    fn exists(&self, _store: &str, key: &str) -> KvFuture<bool> {
        let k = self.key(key);
        self.call_async(move |mut c| async move { c.exists::<_, bool>(k).await })
    }

    fn get_many(&self, _store: &str, keys: Vec<String>) -> KvFuture<Vec<(String, Vec<u8>)>> {
        if keys.is_empty() {
            return Box::pin(async { Ok(Vec::new()) });
        }
        let raw: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        let values = self.call_async(move |mut c| async move {
            redis::cmd("MGET")
                .arg(raw)
                .query_async::<Vec<Option<Vec<u8>>>>(&mut c)
                .await
        });
        Box::pin(async move {
            Ok(keys
                .into_iter()
                .zip(values.await?)
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect())
        })
    }

    fn increment(&self, _store: &str, key: &str, delta: i64) -> KvFuture<i64> {
        let k = self.key(key);
        // INCRBY refuses non-integers and overflow itself, atomically on the server.
        self.call_async(move |mut c| async move { c.incr::<_, _, i64>(k, delta).await })
    }
}

/// Spin's Redis `CompareAndSwap`, on a connection manager of its own.
struct RedisCas {
    conn: ConnectionManager,
    key: String,
    shared: Arc<Shared>,
}

impl CasOp for RedisCas {
    fn current(&mut self) -> KvResult<Option<Vec<u8>>> {
        let conn = self.conn.clone();
        let key = self.key.clone();
        let read = wait(async move {
            redis::cmd("WATCH")
                .arg(&key)
                .exec_async(&mut conn.clone())
                .await?;
            conn.clone().get::<_, Option<Vec<u8>>>(&key).await
        })?;
        read.map_err(|e| self.shared.unavailable(e))
    }

    fn swap(&mut self, value: &[u8]) -> Result<(), SwapError> {
        let conn = self.conn.clone();
        let key = self.key.clone();
        let value = value.to_vec();
        wait(async move {
            // `pipe().atomic().set(..)` parsed into `()`: any reply but an error is Ok, the nil
            // of an aborted EXEC included.
            let res: RedisResult<()> = redis::pipe()
                .atomic()
                .set(&key, value)
                .query_async(&mut conn.clone())
                .await;
            // Spin 4.0.2 sends the key with UNWATCH; Redis refuses it, and the refusal is
            // returned before `res` is looked at.
            redis::cmd("UNWATCH")
                .arg(&key)
                .exec_async(&mut conn.clone())
                .await
                .map_err(|e| SwapError::CasFailed(format!("{e:?}")))?;
            res.map_err(|e| SwapError::CasFailed(format!("{e:?}")))
        })
        .map_err(SwapError::Other)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::RedisServer;
    use std::time::Instant;

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

    /// Runs `op` on a thread of its own; `Some` if it ends within `within`.
    fn within<T: Send + 'static>(
        within: Duration,
        op: impl FnOnce() -> T + Send + 'static,
    ) -> (std::sync::mpsc::Receiver<T>, Option<T>) {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(op());
        });
        let got = rx.recv_timeout(within).ok();
        (rx, got)
    }

    /// Spin's client has no timeout: a frozen server (connections open, nothing answered)
    /// holds a call until it answers again, and then the call succeeds.
    #[test]
    fn a_frozen_server_holds_calls_until_it_answers() {
        let server = RedisServer::start();
        let kv = Arc::new(RedisKv::open(&server.url(0)).unwrap());
        kv.set("default", "k", b"v").unwrap();
        server.freeze(true);
        let reader = kv.clone();
        let (pending, early) = within(Duration::from_secs(3), move || reader.get("default", "k"));
        assert!(early.is_none(), "answered while frozen: {early:?}");
        server.freeze(false);
        let late = pending.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(late.unwrap().as_deref(), Some(&b"v"[..]));
    }

    /// A server that dies: the first command on the dead connection fails at once (its error
    /// starts the reconnection), later ones wait for the reconnection, and succeed when the
    /// server is back; nothing kept in the append-only file is lost.
    #[test]
    fn a_killed_server_fails_one_call_then_holds_the_rest_until_it_is_back() {
        let mut server = RedisServer::durable();
        let kv = Arc::new(
            RedisKv::open(&server.url(0))
                .unwrap()
                .with_max_reconnect_delay(Duration::from_secs(1)),
        );
        kv.set("default", "k", b"v").unwrap();
        server.kill();
        let started = Instant::now();
        let first = kv.get("default", "k");
        assert!(first.is_err(), "{first:?}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "it failed at once"
        );
        let reader = kv.clone();
        let (pending, early) = within(Duration::from_secs(2), move || reader.get("default", "k"));
        assert!(early.is_none(), "answered while down: {early:?}");
        // A compare-and-swap connects anew: it waits as well.
        let cas_kv = kv.clone();
        let (cas_pending, cas_early) = within(Duration::from_millis(100), move || {
            cas_kv.new_cas("default", "k").map(|_| ())
        });
        assert!(cas_early.is_none());
        server.resume();
        let late = pending.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(late.unwrap().as_deref(), Some(&b"v"[..]));
        cas_pending
            .recv_timeout(Duration::from_secs(10))
            .unwrap()
            .unwrap();
    }

    /// An unreachable server at the first open: Spin's first `ConnectionManager` retries its
    /// connection the same way, so the open waits rather than failing.
    #[test]
    fn an_unreachable_server_holds_the_first_open() {
        // Port 9 (discard) is closed on loopback in any sane test machine.
        let kv = RedisKv::open("redis://127.0.0.1:9/0")
            .unwrap()
            .with_max_reconnect_delay(Duration::from_millis(200));
        let kv = Arc::new(kv);
        let opener = kv.clone();
        let (pending, early) = within(Duration::from_millis(600), move || {
            opener.open_store("default")
        });
        assert!(early.is_none(), "answered: {early:?}");
        // With the retries spent (6 attempts) it fails, naming the server.
        let e = pending
            .recv_timeout(Duration::from_secs(30))
            .unwrap()
            .unwrap_err();
        assert!(e.0.contains("Redis at 127.0.0.1:9/0"), "{e}");
    }
}
