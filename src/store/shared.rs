//! One store shared by many job tasks. Each access runs on tokio's blocking
//! pool, so a slow disk (an fsync on checkpoint, a busy lock held by another
//! tintype) never stalls the tasks that drive network calls or the UI.

use std::sync::{Arc, Mutex, MutexGuard};

use super::{Result, Store, StoreError};

#[derive(Clone)]
pub struct SharedStore {
    inner: Arc<Mutex<Store>>,
}

impl SharedStore {
    pub fn new(store: Store) -> SharedStore {
        SharedStore {
            inner: Arc::new(Mutex::new(store)),
        }
    }

    /// Runs `work` with the store, off the async threads.
    pub async fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        match tokio::task::spawn_blocking(move || work(&mut lock(&inner))).await {
            Ok(result) => result,
            // A panic inside `work` is a bug; surface it where it happened.
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            // Canceled: the runtime shut down before the work ran.
            Err(_) => Err(StoreError::ShuttingDown),
        }
    }

    /// The store, for synchronous callers (the CLI once its jobs are done).
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        lock(&self.inner)
    }
}

/// Every write is its own transaction, so a panic in another holder cannot
/// have left the store half-changed: a poisoned lock is still usable.
fn lock(inner: &Mutex<Store>) -> MutexGuard<'_, Store> {
    inner
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_work_off_the_async_threads_and_returns_its_result() {
        let shared = SharedStore::new(Store::open_in_memory().unwrap());
        let version = shared.run(|store| store.schema_version()).await.unwrap();
        assert_eq!(version, crate::store::SCHEMA_VERSION);
        assert_eq!(shared.lock().schema_version().unwrap(), version);
    }
}
