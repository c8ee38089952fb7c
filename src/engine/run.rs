//! Queueing a request and running one of its jobs as a task. The store
//! hears of every step before the outside world does: the request before it
//! is sent, the ledger row when it leaves, each image as it is saved, the
//! end state last.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::mpsc::unbounded_channel;
use tokio_util::sync::CancellationToken;

use super::dispatch::Inner;
use super::events::JobEvent;
use super::identity::request_hash;
use super::lane::Lane;
use super::output::{Recipe, SaveError, SavedImage, save_image, slug};
use crate::catalog::{Cost, Usage, ValidRequest, actual_cost, estimate};
use crate::money::Micros;
use crate::providers::http::rate::observe_limits;
use crate::providers::{Call, CallOutput, Charged, ErrorClass, Progress, ProviderError};
use crate::store::{
    ErrorInfo, JobId, JobState, NewImage, NewRequest, RequestId, Stamp, Store, StoreError,
};

/// A request written to the store, with its jobs and their image counts.
#[derive(Clone, Debug)]
pub struct Queued {
    pub request_id: RequestId,
    pub jobs: Vec<(JobId, u32)>,
    /// The first seed of each call, when the model takes seeds.
    pub seeds: Vec<Option<u64>>,
}

/// Writes the request and its queued jobs before anything is sent. Models
/// that take a seed get one now (random unless given), so every image can be
/// made again.
pub fn queue(
    store: &mut Store,
    request: &ValidRequest,
    estimate: &Cost,
    preset: Option<&str>,
    batch: Option<RequestId>,
    owner: &str,
    at: &Stamp,
) -> Result<Queued, StoreError> {
    // Seeds are drawn and advanced within the model's own range (Stability
    // stops at 4294967294, Replicate at 2^31-1).
    let seed_span = request.seed_span();
    let base_seed = seed_span.map(|span| request.seed().unwrap_or_else(|| fastrand::u64(..span)));
    let new = NewRequest {
        model: request.model.id.clone(),
        provider: request.model.provider.clone(),
        operation: request.operation.clone(),
        prompt: request.prompt.clone(),
        negative_prompt: request.negative_prompt().map(str::to_string),
        params_json: serde_json::to_string(&request.params)?,
        seed: base_seed.and_then(|s| i64::try_from(s).ok()),
        inputs_json: serde_json::to_string(
            &request.inputs.iter().map(|i| &i.path).collect::<Vec<_>>(),
        )?,
        request_hash: request_hash(request),
        estimated: estimate.micros,
        estimate_rule: estimate.rule.clone(),
        calls: request.calls.clone(),
        batch_id: batch,
        preset: preset.map(str::to_string),
        owner: Some(owner.to_string()),
    };
    let (request_id, jobs) = store.insert_request(&new, at)?;
    let mut before = 0u64;
    let seeds = request
        .calls
        .iter()
        .map(|n| {
            let seed = base_seed
                .zip(seed_span)
                .map(|(s, span)| (s + before) % span);
            before += u64::from(*n);
            seed
        })
        .collect();
    Ok(Queued {
        request_id,
        jobs: jobs
            .into_iter()
            .zip(request.calls.iter().copied())
            .collect(),
        seeds,
    })
}

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
        conclude(
            inner,
            &self.request,
            &self.queued,
            job,
            self.index,
            &this_call,
            result,
            outcome,
            started,
        )
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
        conclude(
            inner,
            &self.request,
            &self.queued,
            job,
            self.index,
            &this_call,
            result,
            outcome,
            started,
        )
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

/// Ends a job that a stopped tintype left unfinished and that cannot be
/// resumed, saying what it may have cost; returns the message.
pub(super) async fn interrupt(
    inner: &Inner,
    job: JobId,
    provider: &str,
    state: JobState,
) -> Result<String, StoreError> {
    let message = if state == JobState::Queued {
        "interrupted: tintype stopped before this job was sent; nothing was charged. \
         Send it again (tintype history shows the prompt)"
            .to_string()
    } else {
        format!(
            "interrupted: tintype stopped (killed, crashed or its terminal closed) while this \
             request was at {provider}; it may have been charged, and its estimate stays in the \
             ledger. Check {provider}'s dashboard before sending it again"
        )
    };
    let info = ErrorInfo {
        class: "interrupted".into(),
        message: message.clone(),
    };
    inner
        .store
        .run(move |store| {
            store.finish_job(job, JobState::Interrupted, Some(&info), None, &Stamp::now())
        })
        .await?;
    inner.emit(JobEvent::Interrupted {
        job,
        message: message.clone(),
    });
    Ok(message)
}

/// Ends a job with what its last call returned: images saved and the
/// actual cost recorded, or the failure recorded with what it cost.
#[allow(clippy::too_many_arguments)]
pub(super) async fn conclude(
    inner: &Inner,
    request: &ValidRequest,
    queued: &Queued,
    job: JobId,
    index: usize,
    this_call: &ValidRequest,
    result: Result<CallOutput, ProviderError>,
    mut outcome: JobOutcome,
    started: Instant,
) -> Result<JobOutcome, StoreError> {
    match result {
        Ok(output) => {
            let actual = charged_for(this_call, &output);
            match save_all(inner, request, queued, job, index, &output).await {
                Ok((images, seeds)) => {
                    outcome.images = images;
                    outcome.seeds = seeds;
                    outcome.state = JobState::Succeeded;
                    let ledger = actual.clone();
                    inner
                        .store
                        .run(move |store| {
                            store.finish_job(
                                job,
                                JobState::Succeeded,
                                None,
                                Some((ledger.micros, &ledger.rule)),
                                &Stamp::now(),
                            )
                        })
                        .await?;
                    inner.emit(JobEvent::Succeeded {
                        job,
                        cost: actual.clone(),
                        elapsed: started.elapsed(),
                    });
                }
                Err(error) => {
                    // The provider answered (and likely billed) but what came
                    // could not be kept.
                    fail(inner, job, &error, Some(&actual), &outcome.estimate).await?;
                    outcome.error = Some(error);
                }
            }
            outcome.actual = Some(actual);
        }
        Err(error) => {
            outcome.actual = fail(inner, job, &error, None, &outcome.estimate).await?;
            outcome.error = Some(error);
        }
    }
    Ok(outcome)
}

/// Ends the job failed (or canceled at the provider) and returns the cost
/// the ledger now holds for it: `$0` when nothing was charged, the delivered
/// cost (else the estimate) when it was, none when nobody can tell.
async fn fail(
    inner: &Inner,
    job: JobId,
    error: &ProviderError,
    delivered: Option<&Cost>,
    estimate: &Cost,
) -> Result<Option<Cost>, StoreError> {
    let info = ErrorInfo {
        class: error.class.as_str().to_string(),
        message: error.explain(),
    };
    let actual = match error.charged {
        Charged::No => Some(Cost {
            micros: Micros::ZERO,
            rule: format!("failed ({}), not charged", error.class),
        }),
        // Billed but nothing usable came (an expired link): the usage is
        // unknown, so the estimate stands, saying so.
        Charged::Yes => Some(delivered.cloned().unwrap_or_else(|| Cost {
            micros: estimate.micros,
            rule: format!("billed, output lost: {}", estimate.rule),
        })),
        Charged::Maybe => None,
    };
    let state = if error.class == ErrorClass::Canceled {
        JobState::Canceled
    } else {
        JobState::Failed
    };
    let ledger = actual.clone();
    inner
        .store
        .run(move |store| {
            store.finish_job(
                job,
                state,
                Some(&info),
                ledger.as_ref().map(|c| (c.micros, c.rule.as_str())),
                &Stamp::now(),
            )
        })
        .await?;
    inner.emit(JobEvent::Failed {
        job,
        error: error.clone(),
    });
    Ok(actual)
}

/// How a saved image differs from what was asked: its size (where the
/// operation makes images of the size asked) and its format. Kept either
/// way, since it was made and billed; said, so nobody is surprised later.
pub(super) fn unlike_asked(request: &ValidRequest, saved: &SavedImage) -> Vec<String> {
    let mut said = Vec::new();
    let same_size_ops = ["generate", "edit", "variation"];
    if same_size_ops.contains(&request.operation.as_str())
        && let Some(size) = request.size()
        && (size.width, size.height) != (saved.width, saved.height)
    {
        said.push(format!(
            "asked for {}x{}, the provider made {}x{}",
            size.width, size.height, saved.width, saved.height
        ));
    }
    if let Some(asked) = request.value("output_format")
        && let Some(asked) = asked.as_str()
    {
        let asked = if asked == "jpg" { "jpeg" } else { asked };
        if asked != saved.format {
            said.push(format!(
                "asked for {asked}, the provider sent {}",
                saved.format
            ));
        }
    }
    said
}

/// The actual cost from the usage the provider reported; without usage, the
/// images delivered are what the price rule bills.
fn charged_for(call: &ValidRequest, output: &CallOutput) -> Cost {
    let delivered = Usage::Images {
        count: u32::try_from(output.images.len()).unwrap_or(u32::MAX),
    };
    actual_cost(call, output.usage.as_ref().unwrap_or(&delivered))
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

async fn save_all(
    inner: &Inner,
    request: &ValidRequest,
    queued: &Queued,
    job: JobId,
    index: usize,
    output: &CallOutput,
) -> Result<(Vec<SavedImage>, Vec<Option<u64>>), ProviderError> {
    let at = Stamp::now();
    let dir: PathBuf = inner.images_dir.join(&at.day);
    let mut saved = Vec::new();
    let mut seeds = Vec::new();
    for (k, image) in output.images.iter().enumerate() {
        let position = u32::try_from(k).unwrap_or(u32::MAX);
        let recipe = Recipe {
            tintype: env!("CARGO_PKG_VERSION"),
            model: request.model.id.clone(),
            operation: request.operation.clone(),
            prompt: request.prompt.clone(),
            negative_prompt: request.negative_prompt().map(str::to_string),
            params: request.params.clone(),
            seed: image.seed,
            request_id: queued.request_id.0,
            job_id: job.0,
            index: position,
            created_at: chrono::Local::now().to_rfc3339(),
            revised_prompt: image.revised_prompt.clone(),
            note: (request.model.provider == "sandbox").then(|| {
                "placeholder drawn by tintype's offline sandbox; not AI-generated".to_string()
            }),
        };
        let stem = format!(
            "{:06}-{index}-{k}-{}",
            queued.request_id.0,
            slug(&request.prompt)
        );
        let (dir, bytes, format) = (dir.clone(), image.bytes.clone(), image.format.clone());
        let file =
            tokio::task::spawn_blocking(move || save_image(&dir, &stem, &bytes, &format, &recipe))
                .await
                .map_err(|e| {
                    ProviderError::new(
                        ErrorClass::SaveFailed,
                        format!("the image writer stopped: {e}"),
                    )
                })?
                .map_err(|e| match e {
                    SaveError::Unreadable(message) => {
                        ProviderError::new(ErrorClass::BadResponse, message)
                    }
                    SaveError::Disk(message) => ProviderError::new(ErrorClass::SaveFailed, message),
                })?;
        let row = NewImage {
            idx: position,
            path: file.path.display().to_string(),
            sha256: file.sha256.clone(),
            width: file.width,
            height: file.height,
            format: file.format.clone(),
            seed: image.seed.and_then(|s| i64::try_from(s).ok()),
            revised_prompt: image.revised_prompt.clone(),
        };
        let at_row = at.clone();
        inner
            .store
            .run(move |store| store.add_image(job, &row, &at_row))
            .await
            .map_err(|e| ProviderError::new(ErrorClass::SaveFailed, e.to_string()))?;
        for surprise in unlike_asked(request, &file) {
            inner.emit(JobEvent::Status {
                job,
                text: surprise,
            });
        }
        inner.emit(JobEvent::ImageSaved {
            job,
            path: file.path.clone(),
            width: file.width,
            height: file.height,
            seed: image.seed,
        });
        seeds.push(image.seed);
        saved.push(file);
    }
    Ok((saved, seeds))
}
