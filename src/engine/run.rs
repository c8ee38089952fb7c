//! Queueing a request and running one of its jobs. The store hears of every
//! step before the outside world does: the request before it is sent, the
//! ledger row when it leaves, each image as it is saved, the end state last.

use std::path::{Path, PathBuf};
use std::time::Instant;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::events::JobEvent;
use super::identity::request_hash;
use super::output::{Recipe, SavedImage, save_image, slug};
use super::retry::RetryPolicy;
use crate::catalog::{Cost, Usage, ValidRequest, actual_cost, estimate};
use crate::money::Micros;
use crate::providers::{Call, CallOutput, Charged, ErrorClass, Progress, Provider, ProviderError};
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
        batch_id: None,
        preset: preset.map(str::to_string),
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

pub struct JobContext<'a> {
    pub store: &'a mut Store,
    pub images_dir: &'a Path,
    pub events: &'a UnboundedSender<JobEvent>,
    pub retry: RetryPolicy,
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

impl JobContext<'_> {
    fn emit(&self, event: JobEvent) {
        // Nobody listening is fine: the store has the record.
        let _ = self.events.send(event);
    }
}

/// Runs call `index` of a queued request against `provider`.
pub async fn run_job(
    ctx: &mut JobContext<'_>,
    provider: &dyn Provider,
    request: &ValidRequest,
    queued: &Queued,
    index: usize,
) -> Result<JobOutcome, StoreError> {
    let (job, n) = queued.jobs[index];
    let seed = queued.seeds.get(index).copied().flatten();
    let this_call = request.for_call(n);
    let call_estimate = estimate(&this_call);
    ctx.store.submit_job(
        job,
        call_estimate.micros,
        &call_estimate.rule,
        &Stamp::now(),
    )?;
    let started = Instant::now();
    let mut backoff = ctx.retry.backoff();
    let result = loop {
        let attempt = ctx.store.job(job)?.map_or(1, |j| j.attempts);
        ctx.emit(JobEvent::Started { job, attempt });
        let result = call_provider(ctx, provider, &this_call, job, index, n, seed).await?;
        let Err(error) = &result else { break result };
        let Some(wait) = backoff.next_wait(error) else {
            break result;
        };
        ctx.emit(JobEvent::Retrying {
            job,
            attempt: attempt + 1,
            wait,
            reason: format!("{}: {}", error.class, error.message),
        });
        tokio::time::sleep(wait).await;
        // Sent again: the attempt is counted, the ledger row stays one.
        ctx.store.submit_job(
            job,
            call_estimate.micros,
            &call_estimate.rule,
            &Stamp::now(),
        )?;
    };
    let mut outcome = JobOutcome {
        job,
        state: JobState::Failed,
        images: Vec::new(),
        seeds: Vec::new(),
        estimate: call_estimate,
        actual: None,
        error: None,
    };
    match result {
        Ok(output) => {
            let actual = charged_for(&this_call, &output);
            match save_all(ctx, request, queued, job, index, &output).await {
                Ok((images, seeds)) => {
                    outcome.images = images;
                    outcome.seeds = seeds;
                    outcome.state = JobState::Succeeded;
                    ctx.store.finish_job(
                        job,
                        JobState::Succeeded,
                        None,
                        Some((actual.micros, &actual.rule)),
                        &Stamp::now(),
                    )?;
                    ctx.emit(JobEvent::Succeeded {
                        job,
                        cost: actual.clone(),
                        elapsed: started.elapsed(),
                    });
                }
                Err(message) => {
                    // The provider delivered (and billed); only saving failed.
                    let error = ProviderError::new(ErrorClass::SaveFailed, message);
                    fail(ctx, job, &error, Some(&actual))?;
                    outcome.error = Some(error);
                }
            }
            outcome.actual = Some(actual);
        }
        Err(error) => {
            outcome.actual = fail(ctx, job, &error, None)?;
            outcome.error = Some(error);
        }
    }
    Ok(outcome)
}

/// Ends the job failed (or canceled at the provider) and returns the cost
/// the ledger now holds for it: `$0` when nothing was charged, the delivered
/// cost when it was, none when nobody can tell.
fn fail(
    ctx: &mut JobContext<'_>,
    job: JobId,
    error: &ProviderError,
    delivered: Option<&Cost>,
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
        Charged::Yes => delivered.cloned(),
        Charged::Maybe => None,
    };
    let state = if error.class == ErrorClass::Canceled {
        JobState::Canceled
    } else {
        JobState::Failed
    };
    ctx.store.finish_job(
        job,
        state,
        Some(&info),
        actual.as_ref().map(|c| (c.micros, c.rule.as_str())),
        &Stamp::now(),
    )?;
    ctx.emit(JobEvent::Failed {
        job,
        error: error.clone(),
    });
    Ok(actual)
}

/// The actual cost from the usage the provider reported; without usage, the
/// images delivered are what the price rule bills.
fn charged_for(call: &ValidRequest, output: &CallOutput) -> Cost {
    let delivered = Usage::Images {
        count: u32::try_from(output.images.len()).unwrap_or(u32::MAX),
    };
    actual_cost(call, output.usage.as_ref().unwrap_or(&delivered))
}

async fn call_provider(
    ctx: &mut JobContext<'_>,
    provider: &dyn Provider,
    call: &ValidRequest,
    job: JobId,
    index: usize,
    n: u32,
    seed: Option<u64>,
) -> Result<Result<CallOutput, ProviderError>, StoreError> {
    let (progress, mut updates) = unbounded_channel();
    let running = provider.call(
        Call {
            request: call,
            index,
            n,
            seed,
        },
        &progress,
    );
    tokio::pin!(running);
    let mut marked_running = false;
    let result = loop {
        tokio::select! {
            result = &mut running => break result,
            Some(update) = updates.recv() => {
                if !marked_running {
                    ctx.store.mark_running(job, &Stamp::now())?;
                    marked_running = true;
                }
                forward(ctx, job, update)?;
            }
        }
    };
    while let Ok(update) = updates.try_recv() {
        forward(ctx, job, update)?;
    }
    Ok(result)
}

fn forward(ctx: &mut JobContext<'_>, job: JobId, update: Progress) -> Result<(), StoreError> {
    match update {
        Progress::Status(text) => ctx.emit(JobEvent::Status { job, text }),
        Progress::RemoteId(id) => ctx.store.set_remote_id(job, &id)?,
        Progress::Partial {
            image,
            index,
            preview,
        } => ctx.emit(JobEvent::Partial {
            job,
            image,
            index,
            preview,
        }),
    }
    Ok(())
}

async fn save_all(
    ctx: &mut JobContext<'_>,
    request: &ValidRequest,
    queued: &Queued,
    job: JobId,
    index: usize,
    output: &CallOutput,
) -> Result<(Vec<SavedImage>, Vec<Option<u64>>), String> {
    let at = Stamp::now();
    let dir: PathBuf = ctx.images_dir.join(&at.day);
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
                .map_err(|e| format!("the image writer stopped: {e}"))??;
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
        ctx.store
            .add_image(job, &row, &at)
            .map_err(|e| e.to_string())?;
        ctx.emit(JobEvent::ImageSaved {
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
