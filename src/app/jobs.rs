//! The job list: every job of this session and the unfinished ones found at
//! start, each reduced from the engine's events. Events may arrive before the
//! submission that made the job is known here, so a job seen first through an
//! event gets a row at once and its details when they come.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::engine::JobEvent;
use crate::money::Micros;
use crate::providers::ErrorClass;
use crate::store::{JobId, JobState, RequestId};
use crate::text::strip_controls;

/// What the studio knows of a job from its submission or the store.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobMeta {
    pub request: RequestId,
    pub batch: Option<RequestId>,
    pub model: String,
    pub provider: String,
    /// One line, stripped of control sequences.
    pub prompt: String,
    pub n: u32,
    /// This job's share of the request's estimate.
    pub estimate: Micros,
    pub seed: Option<u64>,
    /// The size asked for, where the model takes one (told apart in comparisons).
    pub size: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct JobView {
    pub id: JobId,
    pub meta: JobMeta,
    pub state: JobState,
    pub attempts: u32,
    pub last_retry: Option<String>,
    pub progress: Option<String>,
    pub actual: Option<Micros>,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub error: Option<(ErrorClass, String)>,
    pub images: Vec<PathBuf>,
    /// Left unfinished by an earlier tintype.
    pub from_before: bool,
}

impl JobView {
    fn new(id: JobId, meta: JobMeta) -> JobView {
        JobView {
            id,
            meta,
            state: JobState::Queued,
            attempts: 0,
            last_retry: None,
            progress: None,
            actual: None,
            started_ms: None,
            finished_ms: None,
            error: None,
            images: Vec::new(),
            from_before: false,
        }
    }

    /// Time spent so far, or in all once finished.
    pub fn elapsed_ms(&self, now_ms: i64) -> Option<i64> {
        let start = self.started_ms?;
        Some(
            self.finished_ms
                .unwrap_or(now_ms)
                .saturating_sub(start)
                .max(0),
        )
    }

    /// The call may have happened and been billed: re-sending is the user's call.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self.error,
            Some((ErrorClass::UnknownOutcome | ErrorClass::BadResponse, _))
        ) || self.state == JobState::Interrupted
    }

    pub fn can_retry(&self) -> bool {
        matches!(
            self.state,
            JobState::Failed | JobState::Interrupted | JobState::Canceled
        )
    }
}

#[derive(Clone, Debug, Default)]
pub struct JobList {
    /// Oldest first; drawn newest first.
    jobs: Vec<JobView>,
    index: HashMap<JobId, usize>,
    /// Position in the drawn (newest first) order.
    pub selected: usize,
}

impl JobList {
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Newest first, as drawn.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &JobView> + ExactSizeIterator {
        self.jobs.iter().rev()
    }

    pub fn get(&self, id: JobId) -> Option<&JobView> {
        self.index.get(&id).map(|&i| &self.jobs[i])
    }

    pub fn selected(&self) -> Option<&JobView> {
        let len = self.jobs.len();
        (self.selected < len).then(|| &self.jobs[len - 1 - self.selected])
    }

    pub fn running(&self) -> usize {
        self.jobs.iter().filter(|j| !j.state.is_finished()).count()
    }

    pub fn select(&mut self, position: usize) {
        self.selected = position.min(self.jobs.len().saturating_sub(1));
    }

    pub fn select_job(&mut self, id: JobId) {
        if let Some(&i) = self.index.get(&id) {
            self.selected = self.jobs.len() - 1 - i;
        }
    }

    fn entry(&mut self, id: JobId) -> &mut JobView {
        let i = if let Some(&i) = self.index.get(&id) {
            i
        } else {
            let meta = JobMeta {
                model: "…".into(),
                ..JobMeta::default()
            };
            self.jobs.push(JobView::new(id, meta));
            // Keep the selection on the same job as rows are added on top.
            if self.jobs.len() > 1 {
                self.selected += 1;
            }
            self.index.insert(id, self.jobs.len() - 1);
            self.jobs.len() - 1
        };
        &mut self.jobs[i]
    }

    /// A job submitted (or found unfinished): its details, new row or not.
    pub fn add(&mut self, id: JobId, meta: JobMeta, state: JobState, from_before: bool) {
        let first = self.jobs.is_empty();
        let job = self.entry(id);
        job.meta = meta;
        job.from_before = from_before;
        // Events may have moved it on already; never move it back.
        if job.state == JobState::Queued {
            job.state = state;
        }
        if first {
            self.selected = 0;
        }
    }

    /// Follows the newest job (after a submission) so the gallery shows it.
    pub fn select_newest(&mut self) {
        self.selected = 0;
    }

    /// Drops a finished job from the list (the store keeps it).
    pub fn remove(&mut self, id: JobId) -> bool {
        let Some(i) = self.index.remove(&id) else {
            return false;
        };
        if !self.jobs[i].state.is_finished() {
            self.index.insert(id, i);
            return false;
        }
        self.jobs.remove(i);
        self.index = self
            .jobs
            .iter()
            .enumerate()
            .map(|(i, j)| (j.id, i))
            .collect();
        self.select(self.selected);
        true
    }

    /// Reduces one engine event into the job's row; returns the job.
    pub fn apply(&mut self, event: &JobEvent, now_ms: i64) -> &JobView {
        let job = self.entry(event.job());
        match event {
            JobEvent::Queued { request, n, .. } => {
                job.meta.request = *request;
                job.meta.n = *n;
            }
            JobEvent::Started { attempt, .. } => {
                job.state = JobState::Running;
                job.attempts = *attempt;
                job.started_ms.get_or_insert(now_ms);
                job.progress = None;
            }
            JobEvent::Status { text, .. } => job.progress = Some(strip_controls(text, true)),
            JobEvent::Retrying {
                attempt,
                wait,
                reason,
                ..
            } => {
                job.attempts = *attempt;
                job.last_retry = Some(strip_controls(reason, true));
                job.progress = Some(format!("retrying in {:.0}s", wait.as_secs_f64().ceil()));
            }
            JobEvent::Partial { image, index, .. } => {
                job.progress = Some(format!("image {} preview {}", image + 1, index + 1));
            }
            JobEvent::ImageSaved { path, .. } => {
                job.images.push(path.clone());
                job.progress = Some(format!(
                    "{} of {} saved",
                    job.images.len(),
                    job.meta.n.max(1)
                ));
            }
            JobEvent::Succeeded { cost, elapsed, .. } => {
                job.state = JobState::Succeeded;
                job.actual = Some(cost.micros);
                job.finished_ms = Some(now_ms);
                let elapsed_ms = i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX);
                job.started_ms = Some(now_ms.saturating_sub(elapsed_ms));
                job.progress = None;
            }
            JobEvent::Failed { error, .. } => {
                job.state = JobState::Failed;
                job.finished_ms = Some(now_ms);
                job.error = Some((error.class, strip_controls(&error.message, true)));
                job.progress = None;
            }
            JobEvent::Canceled { .. } => {
                job.state = JobState::Canceled;
                job.finished_ms = Some(now_ms);
                job.progress = None;
            }
            JobEvent::Interrupted { message, .. } => {
                job.state = JobState::Interrupted;
                job.finished_ms = Some(now_ms);
                job.error = Some((ErrorClass::UnknownOutcome, strip_controls(message, true)));
                job.progress = None;
            }
        }
        job
    }

    /// Every job of the same batch (or request) as `id`.
    pub fn batch_of(&self, id: JobId) -> Vec<RequestId> {
        let Some(job) = self.get(id) else {
            return Vec::new();
        };
        let key = job.meta.batch.unwrap_or(job.meta.request);
        let mut requests: Vec<RequestId> = self
            .jobs
            .iter()
            .filter(|j| j.meta.batch.unwrap_or(j.meta.request) == key)
            .map(|j| j.meta.request)
            .collect();
        requests.dedup();
        requests
    }
}
