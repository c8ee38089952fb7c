//! Running one job of a queued request as a task: waiting for its slots
//! and its pace, sending (and re-sending what is safe to), following its
//! progress, and cancellation. How it ends is in `finish`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::mpsc::unbounded_channel;
use tokio_util::sync::CancellationToken;

use super::dispatch::Inner;
use super::events::JobEvent;
use super::finish::interrupt;
use super::lane::Lane;
use super::output::SavedImage;
use super::queue::Queued;
use crate::catalog::{Cost, ValidRequest, estimate};
use crate::money::Micros;
use crate::providers::http::rate::observe_limits;
use crate::providers::{Call, CallOutput, Charged, ErrorClass, Progress, ProviderError};
use crate::store::{ErrorInfo, JobId, JobState, Stamp, StoreError};

#[derive(Clone, Debug)]
pub struct JobOutcome {
    pub job: JobId,
    pub state: JobState,
    pub images: Vec<SavedImage>,
    pub seeds: Vec<Option<u64>>,
    pub estimate: Cost,
    pub actual: Option<Cost>,
    pub error: Option<ProviderError>,
}

impl JobOutcome {
    fn new(job: JobId, estimate: Cost) -> JobOutcome {
        JobOutcome {
            job,
            state: JobState::Failed,
            images: Vec::new(),
            seeds: Vec::new(),
            estimate,
            actual: None,
            error: None,
        }
    }
}

/// How far a job got before it was canceled, which decides what it cost.
enum Sent {
    Never,
    /// Sent, but every attempt failed in a way that is not charged.
    OnlyFailedAttempts,
    /// Out at the provider, which may have made (and billed) it.
    InFlight(Option<String>),
}

enum Attempt {
    Done(Result<CallOutput, ProviderError>),
    Canceled(Option<String>),
}

/// One job of a submitted request, run as its own task.
pub(super) struct JobTask {
    pub job: JobId,
    pub n: u32,
    pub index: usize,
    pub seed: Option<u64>,
    pub request: Arc<ValidRequest>,
    pub queued: Arc<Queued>,
    pub lane: Arc<Lane>,
    pub cancel: CancellationToken,
}

async fn acquire(inner: &Inner, lane: &Lane) -> (OwnedSemaphorePermit, OwnedSemaphorePermit) {
    // Lane first: a job waiting for a busy provider holds no global slot
    // that another provider's job could use.
    let lane_slot = Arc::clone(&lane.slots)
        .acquire_owned()
        .await
        .expect("lane semaphores are never closed");
    let global = Arc::clone(&inner.global)
        .acquire_owned()
        .await
        .expect("the global semaphore is never closed");
    (lane_slot, global)
}

impl JobTask {
    pub async fn run(self, inner: Arc<Inner>) -> JobOutcome {
        let driven = self.drive(&inner).await;
        self.settle(&inner, driven)
    }

    /// The end of the task: a store that cannot be written (a full disk, a
    /// lost file) is said as the job's failure, and the job stops counting
    /// as live either way.
    fn settle(&self, inner: &Inner, driven: Result<JobOutcome, StoreError>) -> JobOutcome {
        let job = self.job;
        let outcome = driven.unwrap_or_else(|store_error| {
            let error = ProviderError::new(
                ErrorClass::SaveFailed,
                format!("the database could not be written: {store_error}"),
            );
            inner.emit(JobEvent::Failed {
                job,
                error: error.clone(),
            });
            let mut outcome = JobOutcome::new(job, estimate(&self.request.for_call(self.n)));
            outcome.error = Some(error);
            outcome
        });
        inner
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&job);
        outcome
    }

    async fn drive(&self, inner: &Inner) -> Result<JobOutcome, StoreError> {
        let job = self.job;
        let this_call = self.request.for_call(self.n);
        let call_estimate = estimate(&this_call);
        let outcome = JobOutcome::new(job, call_estimate.clone());
        let _slots = tokio::select! {
            biased;
            () = self.cancel.cancelled() => return self.canceled(inner, outcome, Sent::Never).await,
            slots = acquire(inner, &self.lane) => slots,
        };
        let started = Instant::now();
        let mut backoff = inner.settings.retry.backoff();
        let mut sent = false;
        let result = loop {
            if let Err(refused) = self.lane.breaker.admit(tokio::time::Instant::now()) {
                break Err(refused);
            }
            let paced = self.lane.pacer.ready(self.n, |wait, why| {
                inner.emit(JobEvent::Status {
                    job,
                    text: format!(
                        "waiting {:.0} s for {}: {why}",
                        wait.as_secs_f64().ceil(),
                        self.lane.name
                    ),
                });
            });
            let how = if sent {
                Sent::OnlyFailedAttempts
            } else {
                Sent::Never
            };
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => return self.canceled(inner, outcome, how).await,
                () = paced => {}
            }
            let (micros, rule) = (call_estimate.micros, call_estimate.rule.clone());
            let attempt = inner
                .store
                .run(move |store| {
                    // Sent again: the attempt is counted, the ledger row stays one.
                    store.submit_job(job, micros, &rule, &Stamp::now())?;
                    Ok(store.job(job)?.map_or(1, |j| j.attempts))
                })
                .await?;
            sent = true;
            inner.emit(JobEvent::Started { job, attempt });
            let result = match self.attempt(inner, &this_call).await? {
                Attempt::Done(result) => result,
                Attempt::Canceled(remote) => {
                    return self.canceled(inner, outcome, Sent::InFlight(remote)).await;
                }
            };
            self.lane
                .breaker
                .record(tokio::time::Instant::now(), result.as_ref().map(|_| ()));
            let Err(error) = &result else { break result };
            let Some(wait) = backoff.next_wait(error) else {
                break result;
            };
            if error.class == ErrorClass::RateLimited {
                // Everyone on this provider waits, not just this job, so a
                // batch stops knocking on a closed door.
                let pause = error
                    .retry_after
                    .or(self.lane.settings.rate_limit_pause)
                    .unwrap_or(wait);
                self.lane.pacer.hold(pause);
            }
            inner.emit(JobEvent::Retrying {
                job,
                attempt: attempt + 1,
                wait,
                reason: format!("{}: {}", error.class, error.message),
            });
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => {
                    return self.canceled(inner, outcome, Sent::OnlyFailedAttempts).await;
                }
                () = tokio::time::sleep(wait) => {}
            }
        };
        self.conclude(inner, &this_call, result, outcome, started)
            .await
    }

    /// One call to the provider, its progress forwarded as it comes.
    async fn attempt(
        &self,
        inner: &Inner,
        this_call: &ValidRequest,
    ) -> Result<Attempt, StoreError> {
        let (progress, mut updates) = unbounded_channel();
        let call = Call {
            request: this_call,
            index: self.index,
            n: self.n,
            seed: self.seed,
        };
        let running = observe_limits(
            self.lane.limit_observer(),
            self.lane.client.call(call, &progress),
        );
        Ok(match self.follow(inner, running, &mut updates).await? {
            (Some(result), _) => Attempt::Done(result),
            (None, remote) => Attempt::Canceled(remote),
        })
    }

    /// Drives `running` to its end, forwarding progress; `None` when the job
    /// was canceled first, with the remote id learnt so far.
    async fn follow<T>(
        &self,
        inner: &Inner,
        running: impl std::future::Future<Output = T>,
        updates: &mut tokio::sync::mpsc::UnboundedReceiver<Progress>,
    ) -> Result<(Option<T>, Option<String>), StoreError> {
        tokio::pin!(running);
        let mut remote = None;
        let mut marked_running = false;
        let result = loop {
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => return Ok((None, remote)),
                result = &mut running => break result,
                Some(update) = updates.recv() => {
                    if !marked_running {
                        let job = self.job;
                        inner.store.run(move |s| s.mark_running(job, &Stamp::now())).await?;
                        marked_running = true;
                    }
                    forward(inner, self.job, update, &mut remote).await?;
                }
            }
        };
        while let Ok(update) = updates.try_recv() {
            forward(inner, self.job, update, &mut remote).await?;
        }
        Ok((Some(result), remote))
    }

    /// Picks up a call a stopped tintype left at the provider, by its remote
    /// id. When the provider cannot resume, the job ends interrupted.
    pub async fn resume(self, inner: Arc<Inner>, remote: String) -> JobOutcome {
        let driven = self.drive_resume(&inner, remote).await;
        self.settle(&inner, driven)
    }

    async fn drive_resume(&self, inner: &Inner, remote: String) -> Result<JobOutcome, StoreError> {
        let job = self.job;
        let this_call = self.request.for_call(self.n);
        let outcome = JobOutcome::new(job, estimate(&this_call));
        inner.emit(JobEvent::Status {
            job,
            text: format!("resuming {remote} at {} after a restart", self.lane.name),
        });
        let started = Instant::now();
        let (progress, mut updates) = unbounded_channel();
        let call = Call {
            request: &this_call,
            index: self.index,
            n: self.n,
            seed: self.seed,
        };
        let resuming = observe_limits(
            self.lane.limit_observer(),
            self.lane.client.resume(call, &remote, &progress),
        );
        let result = match self.follow(inner, resuming, &mut updates).await? {
            (Some(Some(result)), _) => result,
            (Some(None), _) => {
                return interrupt(inner, job, &self.lane.name, JobState::Submitted)
                    .await
                    .map(|message| JobOutcome {
                        state: JobState::Interrupted,
                        error: Some(ProviderError::new(ErrorClass::UnknownOutcome, message)),
                        ..outcome
                    });
            }
            (None, _) => {
                return self
                    .canceled(inner, outcome, Sent::InFlight(Some(remote)))
                    .await;
            }
        };
        self.conclude(inner, &this_call, result, outcome, started)
            .await
    }

    async fn canceled(
        &self,
        inner: &Inner,
        mut outcome: JobOutcome,
        how: Sent,
    ) -> Result<JobOutcome, StoreError> {
        let not_charged = |why: &str| Cost {
            micros: Micros::ZERO,
            rule: format!("canceled {why}, not charged"),
        };
        let (message, actual, charged) = match how {
            Sent::Never => (
                "canceled before it was sent; nothing was charged".to_string(),
                Some(not_charged("before sending")),
                Charged::No,
            ),
            Sent::OnlyFailedAttempts => (
                "canceled between retries; the failed attempts were not charged".to_string(),
                Some(not_charged("between retries")),
                Charged::No,
            ),
            Sent::InFlight(Some(remote)) => {
                let asked =
                    tokio::time::timeout(Duration::from_secs(10), self.lane.client.cancel(&remote))
                        .await;
                let told = match asked {
                    Ok(Ok(())) => format!("asked {} to stop {remote}", self.lane.name),
                    Ok(Err(e)) => format!(
                        "{} did not confirm stopping {remote}: {}",
                        self.lane.name, e.message
                    ),
                    Err(_) => format!("{} did not answer the cancel for {remote}", self.lane.name),
                };
                (
                    format!(
                        "canceled while at the provider ({told}); it may have been charged for the time it ran"
                    ),
                    None,
                    Charged::Maybe,
                )
            }
            Sent::InFlight(None) => (
                "canceled while the request was out; the provider may have made and charged it"
                    .to_string(),
                None,
                Charged::Maybe,
            ),
        };
        let info = ErrorInfo {
            class: ErrorClass::Canceled.as_str().to_string(),
            message: message.clone(),
        };
        let job = self.job;
        let ledger = actual.clone();
        inner
            .store
            .run(move |store| {
                store.finish_job(
                    job,
                    JobState::Canceled,
                    Some(&info),
                    ledger.as_ref().map(|c| (c.micros, c.rule.as_str())),
                    &Stamp::now(),
                )
            })
            .await?;
        inner.emit(JobEvent::Canceled { job });
        let mut error = ProviderError::new(ErrorClass::Canceled, message);
        error.charged = charged;
        outcome.state = JobState::Canceled;
        outcome.actual = actual;
        outcome.error = Some(error);
        Ok(outcome)
    }
}

pub(super) async fn forward(
    inner: &Inner,
    job: JobId,
    update: Progress,
    remote: &mut Option<String>,
) -> Result<(), StoreError> {
    match update {
        Progress::Status(text) => inner.emit(JobEvent::Status { job, text }),
        Progress::RemoteId(id) => {
            *remote = Some(id.clone());
            inner.store.run(move |s| s.set_remote_id(job, &id)).await?;
        }
        Progress::Partial {
            image,
            index,
            preview,
        } => inner.emit(JobEvent::Partial {
            job,
            image,
            index,
            preview,
        }),
    }
    Ok(())
}
