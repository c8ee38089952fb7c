//! The engine: requests are written to the store, then each of their calls
//! runs as its own tokio task, under a global limit and its provider's lane
//! (concurrency, pacing, circuit breaker). Callers hear of every step over a
//! channel and may cancel a job, a request, a batch or everything.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::Semaphore;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::breaker::BreakerPolicy;
use super::events::JobEvent;
use super::lane::{Lane, LaneSettings};
use super::owner::Owner;
use super::queue::{Queued, queue};
use super::retry::RetryPolicy;
use super::run::{JobOutcome, JobTask};
use crate::catalog::{Cost, ValidRequest};
use crate::providers::Provider;
use crate::store::{JobId, RequestId, SharedStore, Stamp, StoreError};

/// Builds the client for a provider the first time one of its jobs runs.
pub type ClientSource = Box<dyn Fn(&str) -> Result<Arc<dyn Provider>, String> + Send + Sync>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineSettings {
    /// Calls out at once across all providers.
    pub max_concurrent: usize,
    pub retry: RetryPolicy,
    pub breaker: BreakerPolicy,
    /// Per provider; those not named get `LaneSettings::default()`.
    pub lanes: BTreeMap<String, LaneSettings>,
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            max_concurrent: 8,
            retry: RetryPolicy::default(),
            breaker: BreakerPolicy::default(),
            lanes: BTreeMap::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The provider's client cannot be built (no key, bad base URL).
    #[error("{0}")]
    Provider(String),
}

/// A submitted request: what the store holds and a handle per job.
pub struct Submitted {
    pub queued: Queued,
    pub jobs: Vec<JoinHandle<JobOutcome>>,
}

#[derive(Clone)]
pub struct Engine {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub store: SharedStore,
    pub images_dir: PathBuf,
    pub events: UnboundedSender<JobEvent>,
    pub settings: EngineSettings,
    pub global: Arc<Semaphore>,
    pub clients: ClientSource,
    pub lanes: Mutex<HashMap<String, Arc<Lane>>>,
    /// Every job not yet finished, with the request it belongs to.
    pub live: Mutex<HashMap<JobId, (RequestId, CancellationToken)>>,
    pub owner: Owner,
}

impl Inner {
    pub fn emit(&self, event: JobEvent) {
        // Nobody listening is fine: the store has the record.
        let _ = self.events.send(event);
    }
}

impl Engine {
    pub fn new(
        store: SharedStore,
        images_dir: PathBuf,
        events: UnboundedSender<JobEvent>,
        settings: EngineSettings,
        clients: ClientSource,
        owner: Owner,
    ) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                store,
                images_dir,
                events,
                global: Arc::new(Semaphore::new(settings.max_concurrent.max(1))),
                settings,
                clients,
                lanes: Mutex::new(HashMap::new()),
                live: Mutex::new(HashMap::new()),
                owner,
            }),
        }
    }

    pub fn store(&self) -> &SharedStore {
        &self.inner.store
    }

    /// This process's owner token, stamped on every job it runs.
    pub fn owner_token(&self) -> &str {
        self.inner.owner.token()
    }

    pub(super) fn lane(&self, provider: &str) -> Result<Arc<Lane>, String> {
        let mut lanes = self
            .inner
            .lanes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(lane) = lanes.get(provider) {
            return Ok(Arc::clone(lane));
        }
        let client = (self.inner.clients)(provider)?;
        let settings = self
            .inner
            .settings
            .lanes
            .get(provider)
            .copied()
            .unwrap_or_default();
        let lane = Arc::new(Lane::new(
            provider,
            client,
            settings,
            self.inner.settings.breaker,
        ));
        lanes.insert(provider.to_string(), Arc::clone(&lane));
        Ok(lane)
    }

    /// Writes the request and its queued jobs, then starts a task per job.
    /// Returns once everything is in the store; the jobs run on.
    pub async fn submit(
        &self,
        request: ValidRequest,
        estimate: Cost,
        preset: Option<String>,
        batch: Option<RequestId>,
    ) -> Result<Submitted, SubmitError> {
        let lane = self
            .lane(&request.model.provider)
            .map_err(SubmitError::Provider)?;
        let owner = self.owner_token().to_string();
        let request = Arc::new(request);
        let queued = {
            let request = Arc::clone(&request);
            self.inner
                .store
                .run(move |store| {
                    queue(
                        store,
                        &request,
                        &estimate,
                        preset.as_deref(),
                        batch,
                        &owner,
                        &Stamp::now(),
                    )
                })
                .await?
        };
        for (job, n) in &queued.jobs {
            self.inner.emit(JobEvent::Queued {
                request: queued.request_id,
                job: *job,
                n: *n,
            });
        }
        let shared = Arc::new(queued.clone());
        let jobs = (0..queued.jobs.len())
            .map(|index| {
                let task = JobTask {
                    job: queued.jobs[index].0,
                    n: queued.jobs[index].1,
                    index,
                    seed: queued.seeds.get(index).copied().flatten(),
                    request: Arc::clone(&request),
                    queued: Arc::clone(&shared),
                    lane: Arc::clone(&lane),
                    cancel: self.track(queued.jobs[index].0, queued.request_id),
                };
                tokio::spawn(task.run(Arc::clone(&self.inner)))
            })
            .collect();
        Ok(Submitted { queued, jobs })
    }

    pub(super) fn track(&self, job: JobId, request: RequestId) -> CancellationToken {
        let token = CancellationToken::new();
        self.inner
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(job, (request, token.clone()));
        token
    }

    /// Cancels one job: a queued one never leaves, a running one is dropped
    /// and cancelled at the provider where its API allows. False when the
    /// job is not running here.
    pub fn cancel_job(&self, job: JobId) -> bool {
        let live = self
            .inner
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        live.get(&job).map(|(_, token)| token.cancel()).is_some()
    }

    /// Cancels every unfinished job of these requests (a request, or all
    /// the requests of a batch); returns how many were asked to stop.
    pub fn cancel_requests(&self, requests: &[RequestId]) -> usize {
        let live = self
            .inner
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        live.values()
            .filter(|(request, _)| requests.contains(request))
            .map(|(_, token)| token.cancel())
            .count()
    }

    pub fn cancel_all(&self) -> usize {
        let live = self
            .inner
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        live.values().map(|(_, token)| token.cancel()).count()
    }

    /// Jobs not yet finished in this process.
    pub fn running(&self) -> usize {
        self.inner
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}
