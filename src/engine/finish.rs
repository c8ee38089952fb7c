//! How a job ends: its images checked and saved with their recipe, its
//! state and its cost (actual, $0, or unknown) written together, and the
//! event that says so.

use std::path::PathBuf;
use std::time::Instant;

use super::dispatch::Inner;
use super::events::JobEvent;
use super::output::{Recipe, SaveError, SavedImage, save_image, slug};
use super::queue::Queued;
use super::run::{JobOutcome, JobTask};
use crate::catalog::{Cost, Usage, ValidRequest, actual_cost};
use crate::money::Micros;
use crate::providers::{CallOutput, Charged, ErrorClass, ProviderError};
use crate::store::{ErrorInfo, JobId, JobState, NewImage, Stamp, StoreError};

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

impl JobTask {
    /// Ends the job with what its last call returned: images saved and the
    /// actual cost recorded, or the failure recorded with what it cost.
    pub(super) async fn conclude(
        &self,
        inner: &Inner,
        this_call: &ValidRequest,
        result: Result<CallOutput, ProviderError>,
        mut outcome: JobOutcome,
        started: Instant,
    ) -> Result<JobOutcome, StoreError> {
        let job = self.job;
        match result {
            Ok(output) => {
                let actual = charged_for(this_call, &output);
                match save_all(inner, &self.request, &self.queued, job, self.index, &output).await {
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
