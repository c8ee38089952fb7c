//! Start-up recovery: jobs a stopped tintype left unfinished (a kill -9, a
//! crash, a dropped SSH session) are picked up where the provider allows it
//! (a Replicate prediction, a Stability async result, by their ids) and
//! otherwise ended as interrupted, saying whether they may have been billed.
//! Jobs of another tintype that is still running are left alone.

use std::sync::Arc;

use tokio::task::JoinHandle;

use super::dispatch::Engine;
use super::finish::interrupt;
use super::output::sweep_parts;
use super::owner::Owner;
use super::queue::Queued;
use super::run::{JobOutcome, JobTask};
use crate::catalog::{Catalog, Params};
use crate::store::{JobId, JobRecord, JobState, StoreError, StoredRequest};

pub enum Recovery {
    /// Followed again at the provider; the handle ends with its outcome.
    Resumed {
        job: JobId,
        remote_id: String,
        handle: JoinHandle<JobOutcome>,
    },
    Interrupted {
        job: JobId,
        message: String,
    },
}

impl Engine {
    /// Finds the jobs left behind by tintypes that are gone and resumes or
    /// interrupts each. Returns at once; resumed jobs run on.
    pub async fn recover(&self, catalog: &Catalog) -> Result<Vec<Recovery>, StoreError> {
        let me = self.owner_token().to_string();
        let locks = self.inner.owner.locks().to_path_buf();
        let (images, sweep_locks) = (self.inner.images_dir.clone(), locks.clone());
        // Half-written files of writers that were killed: never images.
        let _ = tokio::task::spawn_blocking(move || {
            sweep_parts(&images, |pid| Owner::pid_alive(&sweep_locks, pid))
        })
        .await;
        let unfinished = self.store().run(|s| s.unfinished_jobs()).await?;
        let orphans = unfinished.into_iter().filter(|job| match &job.owner {
            Some(owner) if *owner == me => false,
            Some(owner) => Owner::is_gone(&locks, owner),
            None => true,
        });
        let mut recovered = Vec::new();
        for job in orphans {
            let request = job.request_id;
            let stored = self
                .store()
                .run(move |s| Ok((s.stored_request(request)?, s.jobs_of(request)?)))
                .await?;
            let (Some(stored), siblings) = stored else {
                continue;
            };
            if let Some(remote_id) = job.remote_id.clone()
                && job.state != JobState::Queued
                && let Some(task) = self.resumable(catalog, &stored, &siblings, &job)
            {
                let token = me.clone();
                let id = job.id;
                self.store().run(move |s| s.set_owner(id, &token)).await?;
                let handle = tokio::spawn(task.resume(Arc::clone(&self.inner), remote_id.clone()));
                recovered.push(Recovery::Resumed {
                    job: job.id,
                    remote_id,
                    handle,
                });
                continue;
            }
            let message = interrupt(&self.inner, job.id, &stored.provider, job.state).await?;
            recovered.push(Recovery::Interrupted {
                job: job.id,
                message,
            });
        }
        Ok(recovered)
    }

    /// The task that follows `job` again, when its model is still in the
    /// catalog and its provider's client can be built.
    fn resumable(
        &self,
        catalog: &Catalog,
        stored: &StoredRequest,
        siblings: &[JobRecord],
        job: &JobRecord,
    ) -> Option<JobTask> {
        let params: Params = serde_json::from_str(&stored.params_json).ok()?;
        let request = catalog
            .restore_sent(
                &stored.model,
                &stored.operation,
                &stored.prompt,
                params,
                stored.n,
            )
            .ok()?;
        let lane = self.lane(&stored.provider).ok()?;
        // The seed this call was sent with: the request's first seed,
        // advanced past the images of the calls before it.
        let before: u64 = siblings
            .iter()
            .filter(|s| s.call_index < job.call_index)
            .map(|s| u64::from(s.n))
            .sum();
        let seed = stored
            .seed
            .and_then(|s| u64::try_from(s).ok())
            .zip(request.seed_span())
            .map(|(s, span)| (s + before) % span);
        let queued = Queued {
            request_id: stored.id,
            jobs: siblings.iter().map(|s| (s.id, s.n)).collect(),
            seeds: Vec::new(),
        };
        Some(JobTask {
            job: job.id,
            n: job.n,
            index: job.call_index as usize,
            seed,
            request: Arc::new(request),
            queued: Arc::new(queued),
            lane,
            cancel: self.track(job.id, stored.id),
        })
    }
}
