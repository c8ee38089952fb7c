//! What the engine tells its listeners (the CLI's progress lines, later the
//! studio's job list) as a job moves along.

use std::path::PathBuf;
use std::time::Duration;

use crate::catalog::Cost;
use crate::providers::{EncodedImage, ProviderError};
use crate::store::{JobId, RequestId};

#[derive(Clone, Debug)]
pub enum JobEvent {
    Queued {
        request: RequestId,
        job: JobId,
        n: u32,
    },
    Started {
        job: JobId,
        attempt: u32,
    },
    Status {
        job: JobId,
        text: String,
    },
    /// A rate limit or transient fault: sent again after `wait`.
    Retrying {
        job: JobId,
        attempt: u32,
        wait: Duration,
        reason: String,
    },
    Partial {
        job: JobId,
        image: u32,
        index: u32,
        preview: EncodedImage,
    },
    ImageSaved {
        job: JobId,
        path: PathBuf,
        width: u32,
        height: u32,
        seed: Option<u64>,
    },
    Succeeded {
        job: JobId,
        cost: Cost,
        elapsed: Duration,
    },
    Failed {
        job: JobId,
        error: ProviderError,
    },
    Canceled {
        job: JobId,
    },
    /// Left unfinished by a tintype that stopped, and not resumable.
    Interrupted {
        job: JobId,
        message: String,
    },
}

impl JobEvent {
    pub fn job(&self) -> JobId {
        match self {
            JobEvent::Queued { job, .. }
            | JobEvent::Started { job, .. }
            | JobEvent::Status { job, .. }
            | JobEvent::Retrying { job, .. }
            | JobEvent::Partial { job, .. }
            | JobEvent::ImageSaved { job, .. }
            | JobEvent::Succeeded { job, .. }
            | JobEvent::Failed { job, .. }
            | JobEvent::Canceled { job }
            | JobEvent::Interrupted { job, .. } => *job,
        }
    }
}
