//! Waiting for an async Stability result (creative upscale): `GET
//! /v2beta/results/{id}` answers 202 while the job runs and 200 with the image
//! once it is done (NOTES.md 3.5). Stability asks for at most one poll every
//! 10 s (`limits.stability_poll`) and has no cancel.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::response;
use crate::providers::http::{self, Connection};
use crate::providers::{Charged, EncodedImage, ErrorClass, Progress, ProgressSink, ProviderError};

/// Transport failures tolerated in a row before giving up: one dropped poll
/// says nothing about the job.
const TOLERATED_FAILURES: u32 = 3;

/// Polls job `id` until its image is ready, `limits.poll_deadline` passes, or
/// Stability reports a failure. `first_wait` is the pause before the first
/// poll: a fresh job is never ready at once, a resumed one may long be.
pub async fn wait_for_result(
    conn: &Connection,
    id: &str,
    first_wait: Duration,
    seed: Option<u64>,
    progress: &ProgressSink,
) -> Result<EncodedImage, ProviderError> {
    let started = Instant::now();
    let deadline = conn.limits.poll_deadline;
    let mut wait = first_wait;
    let mut failures = 0;
    loop {
        tokio::time::sleep(wait.min(deadline.saturating_sub(started.elapsed()))).await;
        wait = conn.limits.stability_poll;
        match poll_once(conn, id).await {
            Ok(Some(body)) => return response::image(&body, seed),
            Ok(None) => {
                failures = 0;
                let _ = progress.send(Progress::Status(format!(
                    "Stability is still working on it ({} s)",
                    started.elapsed().as_secs()
                )));
            }
            // Only a failure with no HTTP status (a dropped connection) is worth
            // another poll; an answer with a status is Stability's verdict.
            Err(error) if error.status.is_none() && failures + 1 < TOLERATED_FAILURES => {
                failures += 1;
                let _ = progress.send(Progress::Status(format!(
                    "polling Stability failed ({}); trying again",
                    error.message
                )));
            }
            Err(error) => return Err(error),
        }
        if started.elapsed() >= deadline {
            return Err(too_slow(id, deadline));
        }
    }
}

/// One poll: the finished answer, `None` while the job runs, or the error.
async fn poll_once(conn: &Connection, id: &str) -> Result<Option<http::Body>, ProviderError> {
    let request = conn
        .client
        .get(conn.url(&format!("/v2beta/results/{id}")))
        .header("authorization", format!("Bearer {}", conn.key.expose()))
        // The results endpoint declares `*/*` (image bytes) or
        // `application/json`, not the `image/*` of the sync endpoints
        // (`AcceptResult`, NOTES.md 3.5), though Stability's samples send it.
        .header("accept", "*/*");
    // Reading a result makes nothing new, so a failed poll is not billable.
    let answer = http::send(request, false).await?;
    let body = http::read(answer, conn.limits.max_body_bytes, false).await?;
    match body.status {
        StatusCode::ACCEPTED => Ok(None),
        status if status.is_success() => Ok(Some(body)),
        _ => Err(response::error(&body)),
    }
}

fn too_slow(id: &str, deadline: Duration) -> ProviderError {
    let mut error = ProviderError::new(
        ErrorClass::Transient,
        format!(
            "Stability had not finished job {id} after {} s (limits.poll_deadline); \
             it keeps results for 24 hours, so it can still be picked up by resuming the job",
            deadline.as_secs()
        ),
    );
    // The job is running at Stability and will be billed when it finishes.
    error.charged = Charged::Maybe;
    error
}
