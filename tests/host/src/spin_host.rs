//! The Spin-specific interfaces a spin-sdk 5.2 component imports, implemented for
//! [`HostState`]: `fermyon:spin/key-value@2.0.0`, `fermyon:spin/variables@2.0.0`,
//! `wasi:keyvalue/{store,atomics,batch}@0.2.0-draft2` and `wasi:config/store`.
//!
//! Error cases follow Spin's host (`spin-factor-key-value`, `spin-factor-variables`): opening
//! a label the component did not declare is `access-denied`; `list-keys` with a cursor is
//! refused; an unknown variable is `undefined`; `wasi:config` answers `none` for unknown or
//! invalid names.

use std::sync::Arc;

use wasmtime::component::Resource;

use crate::bindings::fermyon::spin::{key_value, variables};
use crate::bindings::wasi::config::store as config;
use crate::bindings::wasi::keyvalue::{atomics, batch, store};
use crate::instance::HostState;
use crate::kv::{CasOp, KvBackend, KvError, KvResult, OpenError, SwapError};

/// Spin's limit on stores open at once in one instance.
const MAX_OPEN_STORES: u32 = 256;

/// An open store: a label and the backend serving it.
#[derive(Clone)]
pub struct KvHandle {
    label: Arc<str>,
    backend: Arc<dyn KvBackend>,
}

impl KvHandle {
    /// Runs a backend operation on the blocking pool (backends may wait on locks).
    async fn run<T: Send + 'static>(
        &self,
        op: impl FnOnce(&dyn KvBackend, &str) -> KvResult<T> + Send + 'static,
    ) -> KvResult<T> {
        let handle = self.clone();
        tokio::task::spawn_blocking(move || op(&*handle.backend, &handle.label))
            .await
            .map_err(|e| KvError(format!("key-value operation failed: {e}")))?
    }

    // The common operations: awaited when the backend has them as futures (Redis), else run
    // on the blocking pool.
    async fn open(&self) -> KvResult<()> {
        match self.backend.nonblocking() {
            Some(a) => a.open_store(&self.label).await,
            None => self.run(|b, s| b.open_store(s)).await,
        }
    }

    async fn get(&self, key: String) -> KvResult<Option<Vec<u8>>> {
        match self.backend.nonblocking() {
            Some(a) => a.get(&self.label, &key).await,
            None => self.run(move |b, s| b.get(s, &key)).await,
        }
    }

    async fn set(&self, key: String, value: Vec<u8>) -> KvResult<()> {
        match self.backend.nonblocking() {
            Some(a) => a.set(&self.label, &key, value).await,
            None => self.run(move |b, s| b.set(s, &key, &value)).await,
        }
    }

    async fn delete(&self, key: String) -> KvResult<()> {
        match self.backend.nonblocking() {
            Some(a) => a.delete(&self.label, &key).await,
            None => self.run(move |b, s| b.delete(s, &key)).await,
        }
    }

    async fn exists(&self, key: String) -> KvResult<bool> {
        match self.backend.nonblocking() {
            Some(a) => a.exists(&self.label, &key).await,
            None => self.run(move |b, s| b.exists(s, &key)).await,
        }
    }

    async fn get_many(&self, keys: Vec<String>) -> KvResult<Vec<(String, Vec<u8>)>> {
        match self.backend.nonblocking() {
            Some(a) => a.get_many(&self.label, keys).await,
            None => self.run(move |b, s| b.get_many(s, &keys)).await,
        }
    }

    async fn increment(&self, key: String, delta: i64) -> KvResult<i64> {
        match self.backend.nonblocking() {
            Some(a) => a.increment(&self.label, &key, delta).await,
            None => self.run(move |b, s| b.increment(s, &key, delta)).await,
        }
    }
}

/// `fermyon:spin/key-value.store`.
pub struct SpinStore(KvHandle);
/// `wasi:keyvalue/store.bucket`.
pub struct Bucket(KvHandle);
/// `wasi:keyvalue/atomics.cas`: the backend's operation in Spin's steps (`new`, `current`,
/// `swap`). Behind a mutex so each step can run on the blocking pool.
pub struct Cas {
    bucket: KvHandle,
    key: String,
    op: Arc<std::sync::Mutex<Box<dyn CasOp>>>,
}

impl Cas {
    /// Runs one step of the operation on the blocking pool.
    async fn step<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn CasOp) -> T + Send + 'static,
    ) -> wasmtime::Result<T> {
        let op = self.op.clone();
        tokio::task::spawn_blocking(move || {
            let mut op = op.lock().unwrap_or_else(|p| p.into_inner());
            f(op.as_mut())
        })
        .await
        .map_err(|e| wasmtime::Error::msg(format!("key-value operation failed: {e}")))
    }
}

enum OpenFailure {
    Denied,
    NoSuchStore,
    TableFull,
}

impl HostState {
    fn open_handle(&mut self, label: &str) -> Result<KvHandle, OpenFailure> {
        let backend = self.kv.open(label).map_err(|e| match e {
            OpenError::AccessDenied => OpenFailure::Denied,
            OpenError::NoSuchStore => OpenFailure::NoSuchStore,
        })?;
        if self.open_stores >= MAX_OPEN_STORES {
            return Err(OpenFailure::TableFull);
        }
        self.open_stores += 1;
        Ok(KvHandle {
            label: label.into(),
            backend,
        })
    }

    /// Spin's `open` after the access check: the store manager's `get` and the store's
    /// `after_open` (for Redis: connect on first use, then a ping; both wait while the
    /// server is away, as in `crates/factor-key-value/src/host.rs`). A failure frees the slot.
    async fn open_backend(&mut self, handle: KvHandle) -> Result<KvHandle, KvError> {
        match handle.open().await {
            Ok(()) => Ok(handle),
            Err(e) => {
                self.open_stores = self.open_stores.saturating_sub(1);
                Err(e)
            }
        }
    }

    fn spin_store(&self, res: &Resource<SpinStore>) -> wasmtime::Result<KvHandle> {
        Ok(self.table.get(res)?.0.clone())
    }

    fn bucket(&self, res: &Resource<Bucket>) -> wasmtime::Result<KvHandle> {
        Ok(self.table.get(res)?.0.clone())
    }

    /// Spin's `new`: the store's operation, nothing read yet (Spin's SQLite reads nothing
    /// here; Redis opens a connection).
    async fn new_cas(&mut self, bucket: KvHandle, key: String) -> Result<Cas, store::Error> {
        let k = key.clone();
        let op = bucket
            .run(move |b, s| b.new_cas(s, &k))
            .await
            .map_err(wasi_err)?;
        Ok(Cas {
            bucket,
            key,
            op: Arc::new(std::sync::Mutex::new(op)),
        })
    }
}

fn spin_err(e: KvError) -> key_value::Error {
    key_value::Error::Other(e.0)
}

fn wasi_err(e: KvError) -> store::Error {
    store::Error::Other(e.0)
}

type Wt<T> = wasmtime::Result<T>;

impl key_value::Host for HostState {}

impl key_value::HostStore for HostState {
    async fn open(&mut self, label: String) -> Wt<Result<Resource<SpinStore>, key_value::Error>> {
        match self.open_handle(&label) {
            Ok(handle) => match self.open_backend(handle).await {
                Ok(handle) => Ok(Ok(self.table.push(SpinStore(handle))?)),
                Err(e) => Ok(Err(spin_err(e))),
            },
            Err(OpenFailure::Denied) => Ok(Err(key_value::Error::AccessDenied)),
            Err(OpenFailure::NoSuchStore) => Ok(Err(key_value::Error::NoSuchStore)),
            Err(OpenFailure::TableFull) => Ok(Err(key_value::Error::StoreTableFull)),
        }
    }

    async fn get(
        &mut self,
        store: Resource<SpinStore>,
        key: String,
    ) -> Wt<Result<Option<Vec<u8>>, key_value::Error>> {
        let h = self.spin_store(&store)?;
        Ok(h.get(key).await.map_err(spin_err))
    }

    async fn set(
        &mut self,
        store: Resource<SpinStore>,
        key: String,
        value: Vec<u8>,
    ) -> Wt<Result<(), key_value::Error>> {
        let h = self.spin_store(&store)?;
        Ok(h.set(key, value).await.map_err(spin_err))
    }

    async fn delete(
        &mut self,
        store: Resource<SpinStore>,
        key: String,
    ) -> Wt<Result<(), key_value::Error>> {
        let h = self.spin_store(&store)?;
        Ok(h.delete(key).await.map_err(spin_err))
    }

    async fn exists(
        &mut self,
        store: Resource<SpinStore>,
        key: String,
    ) -> Wt<Result<bool, key_value::Error>> {
        let h = self.spin_store(&store)?;
        Ok(h.exists(key).await.map_err(spin_err))
    }

    async fn get_keys(
        &mut self,
        store: Resource<SpinStore>,
    ) -> Wt<Result<Vec<String>, key_value::Error>> {
        let h = self.spin_store(&store)?;
        Ok(h.run(|b, s| b.get_keys(s)).await.map_err(spin_err))
    }

    async fn drop(&mut self, store: Resource<SpinStore>) -> Wt<()> {
        self.table.delete(store)?;
        self.open_stores = self.open_stores.saturating_sub(1);
        Ok(())
    }
}

impl store::Host for HostState {
    async fn open(&mut self, identifier: String) -> Wt<Result<Resource<Bucket>, store::Error>> {
        match self.open_handle(&identifier) {
            Ok(handle) => match self.open_backend(handle).await {
                Ok(handle) => Ok(Ok(self.table.push(Bucket(handle))?)),
                Err(e) => Ok(Err(wasi_err(e))),
            },
            Err(OpenFailure::Denied) => Ok(Err(store::Error::AccessDenied)),
            Err(OpenFailure::NoSuchStore) => Ok(Err(store::Error::NoSuchStore)),
            Err(OpenFailure::TableFull) => Ok(Err(store::Error::Other("store table full".into()))),
        }
    }
}

impl store::HostBucket for HostState {
    async fn get(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> Wt<Result<Option<Vec<u8>>, store::Error>> {
        let h = self.bucket(&bucket)?;
        Ok(h.get(key).await.map_err(wasi_err))
    }

    async fn set(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        value: Vec<u8>,
    ) -> Wt<Result<(), store::Error>> {
        let h = self.bucket(&bucket)?;
        Ok(h.set(key, value).await.map_err(wasi_err))
    }

    async fn delete(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> Wt<Result<(), store::Error>> {
        let h = self.bucket(&bucket)?;
        Ok(h.delete(key).await.map_err(wasi_err))
    }

    async fn exists(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> Wt<Result<bool, store::Error>> {
        let h = self.bucket(&bucket)?;
        Ok(h.exists(key).await.map_err(wasi_err))
    }

    async fn list_keys(
        &mut self,
        bucket: Resource<Bucket>,
        cursor: Option<String>,
    ) -> Wt<Result<store::KeyResponse, store::Error>> {
        if cursor.is_some() {
            return Ok(Err(store::Error::Other(
                "list_keys: cursor not supported".into(),
            )));
        }
        let h = self.bucket(&bucket)?;
        Ok(h.run(|b, s| b.get_keys(s))
            .await
            .map(|keys| store::KeyResponse { keys, cursor: None })
            .map_err(wasi_err))
    }

    async fn drop(&mut self, bucket: Resource<Bucket>) -> Wt<()> {
        self.table.delete(bucket)?;
        self.open_stores = self.open_stores.saturating_sub(1);
        Ok(())
    }
}

impl batch::Host for HostState {
    async fn get_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> Wt<Result<Vec<(String, Option<Vec<u8>>)>, store::Error>> {
        let h = self.bucket(&bucket)?;
        Ok(h.get_many(keys)
            .await
            .map(|found| found.into_iter().map(|(k, v)| (k, Some(v))).collect())
            .map_err(wasi_err))
    }

    async fn set_many(
        &mut self,
        bucket: Resource<Bucket>,
        key_values: Vec<(String, Vec<u8>)>,
    ) -> Wt<Result<(), store::Error>> {
        let h = self.bucket(&bucket)?;
        Ok(h.run(move |b, s| b.set_many(s, &key_values))
            .await
            .map_err(wasi_err))
    }

    async fn delete_many(
        &mut self,
        bucket: Resource<Bucket>,
        keys: Vec<String>,
    ) -> Wt<Result<(), store::Error>> {
        let h = self.bucket(&bucket)?;
        Ok(h.run(move |b, s| b.delete_many(s, &keys))
            .await
            .map_err(wasi_err))
    }
}

impl atomics::HostCas for HostState {
    async fn new(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
    ) -> Wt<Result<Resource<Cas>, store::Error>> {
        let h = self.bucket(&bucket)?;
        match self.new_cas(h, key).await {
            Ok(cas) => Ok(Ok(self.table.push(cas)?)),
            Err(e) => Ok(Err(e)),
        }
    }

    async fn current(&mut self, cas: Resource<Cas>) -> Wt<Result<Option<Vec<u8>>, store::Error>> {
        let value = self.table.get(&cas)?.step(|op| op.current()).await?;
        Ok(value.map_err(wasi_err))
    }

    async fn drop(&mut self, cas: Resource<Cas>) -> Wt<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}

impl atomics::Host for HostState {
    async fn increment(
        &mut self,
        bucket: Resource<Bucket>,
        key: String,
        delta: i64,
    ) -> Wt<Result<i64, store::Error>> {
        let h = self.bucket(&bucket)?;
        Ok(h.increment(key, delta).await.map_err(wasi_err))
    }

    /// As Spin's `swap` (`crates/factor-key-value/src/host.rs`): the store's answer is passed
    /// on as it is; on `CasFailed` the guest gets a fresh operation on the key, on which
    /// `current` was already called (Redis WATCHes again on a new connection).
    async fn swap(
        &mut self,
        cas: Resource<Cas>,
        value: Vec<u8>,
    ) -> Wt<Result<(), atomics::CasError>> {
        let cas = self.table.delete(cas)?;
        let answer = cas.step(move |op| op.swap(&value)).await?;
        match answer {
            Ok(()) => Ok(Ok(())),
            Err(SwapError::CasFailed(_)) => {
                let fresh = match self.new_cas(cas.bucket, cas.key).await {
                    Ok(fresh) => fresh,
                    Err(e) => return Ok(Err(atomics::CasError::StoreError(e))),
                };
                if let Err(e) = fresh.step(|op| op.current()).await? {
                    return Ok(Err(atomics::CasError::StoreError(wasi_err(e))));
                }
                Ok(Err(atomics::CasError::CasFailed(self.table.push(fresh)?)))
            }
            Err(SwapError::Other(e)) => Ok(Err(atomics::CasError::StoreError(wasi_err(e)))),
        }
    }
}

impl variables::Host for HostState {
    async fn get(&mut self, name: String) -> Wt<Result<String, variables::Error>> {
        if let Err(reason) = crate::variables::validate_name(&name) {
            return Ok(Err(variables::Error::InvalidName(format!(
                "{name:?}: {reason}"
            ))));
        }
        Ok(match self.variables.get(&name) {
            Some(v) => Ok(v.to_owned()),
            None => Err(variables::Error::Undefined(format!(
                "no variable for {:?}.{name:?}",
                &*self.component
            ))),
        })
    }
}

impl config::Host for HostState {
    async fn get(&mut self, key: String) -> Wt<Result<Option<String>, config::Error>> {
        Ok(Ok(self.variables.get(&key).map(str::to_owned)))
    }

    async fn get_all(&mut self) -> Wt<Result<Vec<(String, String)>, config::Error>> {
        Ok(Ok(self
            .variables
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()))
    }
}
