//! Following a prediction to its end: polls with a growing gap, forwards
//! status and log lines, and gives up (canceling it remotely) at the deadline.

use std::time::{Duration, Instant};

use super::Replicate;
use super::prediction::{Phase, Prediction};
use crate::providers::http::Limits;
use crate::providers::{
    Call, CallOutput, Charged, ErrorClass, Progress, ProgressSink, ProviderError,
};

/// Never poll in a tight loop, whatever the limits say.
const SHORTEST_GAP: Duration = Duration::from_millis(1);

/// The gap after `gap`: `poll_growth_tenths`/10 times longer, at most `poll_max`.
pub(super) fn next_gap(gap: Duration, limits: &Limits) -> Duration {
    (gap.saturating_mul(limits.poll_growth_tenths) / 10)
        .min(limits.poll_max)
        .max(SHORTEST_GAP)
}

/// What has been reported so far, so each change is reported once.
#[derive(Debug, Default)]
struct Watch {
    status: String,
    log_line: Option<String>,
    /// Whether a worker ever picked it up (GPU time may then be billed).
    left_starting: bool,
}

impl Watch {
    fn report(&mut self, prediction: &Prediction, progress: &ProgressSink) {
        let phase = prediction.phase();
        if phase != Phase::Waiting {
            self.left_starting = true;
        }
        if prediction.status != self.status {
            self.status.clone_from(&prediction.status);
            let text = match phase {
                Phase::Waiting => "Replicate: waiting for a worker (starting)".to_string(),
                Phase::Running => format!("Replicate: {}", prediction.shown_status()),
                _ => String::new(),
            };
            if !text.is_empty() {
                let _ = progress.send(Progress::Status(text));
            }
        }
        if let Some(line) = prediction.last_log_line()
            && self.log_line.as_ref() != Some(&line)
        {
            self.log_line = Some(line.clone());
            let _ = progress.send(Progress::Status(line));
        }
    }
}

/// A failure after the prediction was created: it names the prediction, and
/// since the prediction exists and may run, it may have been billed.
pub(super) fn after_create(mut error: ProviderError, id: &str) -> ProviderError {
    error.message = format!("prediction {id}: {}", error.message);
    if error.charged == Charged::No {
        error.charged = Charged::Maybe;
    }
    error
}

impl Replicate {
    /// Polls `first` (just created or fetched) until it ends, then delivers
    /// its images or the reason it has none.
    pub(super) async fn follow(
        &self,
        call: Call<'_>,
        first: Prediction,
        progress: &ProgressSink,
    ) -> Result<CallOutput, ProviderError> {
        let limits = self.conn.limits;
        let began = Instant::now();
        let id = first.id.clone();
        let mut prediction = first;
        let mut watch = Watch::default();
        let mut gap = limits.poll_first;
        // A failed poll costs nothing and the prediction runs on regardless,
        // so passing faults are retried until the deadline.
        let mut last_fault: Option<ProviderError> = None;
        loop {
            watch.report(&prediction, progress);
            match prediction.phase() {
                Phase::Succeeded => return self.deliver(call, &prediction, progress).await,
                Phase::Failed | Phase::Canceled | Phase::Aborted => {
                    return Err(prediction.failure(billed_by_time(call)));
                }
                Phase::Waiting | Phase::Running => {}
            }
            let left = limits.poll_deadline.saturating_sub(began.elapsed());
            if left.is_zero() {
                return Err(self.give_up(&id, &watch, last_fault).await);
            }
            tokio::time::sleep(gap.min(left)).await;
            gap = next_gap(gap, &limits);
            match self.fetch(&id).await {
                Ok(next) => {
                    prediction = next;
                    last_fault = None;
                }
                Err(fault) if fault.class.is_retryable() => last_fault = Some(fault),
                Err(fault) => return Err(after_create(fault, &id)),
            }
        }
    }

    /// The deadline passed: cancel the prediction so it stops costing, and
    /// say so.
    async fn give_up(
        &self,
        id: &str,
        watch: &Watch,
        last_fault: Option<ProviderError>,
    ) -> ProviderError {
        let waited = self.conn.limits.poll_deadline.as_secs_f64();
        let canceled = match self.cancel_prediction(id).await {
            Ok(()) => "tintype canceled it at Replicate".to_string(),
            Err(error) => format!(
                "canceling it failed ({}), so cancel it on replicate.com",
                error.message
            ),
        };
        let mut message = format!(
            "prediction {id} had not finished after {waited:.1} s (still {}; limits.poll_deadline); {canceled}",
            if watch.status.is_empty() {
                "unknown".into()
            } else {
                crate::text::strip_controls(&watch.status, true)
            }
        );
        if let Some(fault) = last_fault {
            message.push_str(&format!("; the last poll failed: {}", fault.message));
        }
        let mut error = ProviderError::new(ErrorClass::Transient, message);
        error.charged = if watch.left_starting {
            Charged::Maybe
        } else {
            Charged::No
        };
        error
    }
}

/// Community models are billed for GPU seconds, even ones that end badly.
pub(super) fn billed_by_time(call: Call<'_>) -> bool {
    call.request.op().pricing.kind() == "per_second"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_grow_to_the_longest_allowed() {
        let limits = Limits {
            poll_first: Duration::from_secs(1),
            poll_growth_tenths: 15,
            poll_max: Duration::from_secs(4),
            ..Limits::default()
        };
        let mut gap = limits.poll_first;
        let mut gaps = Vec::new();
        for _ in 0..5 {
            gap = next_gap(gap, &limits);
            gaps.push(gap.as_millis());
        }
        assert_eq!(gaps, vec![1500, 2250, 3375, 4000, 4000]);
        let zero = Limits {
            poll_first: Duration::ZERO,
            ..limits
        };
        assert_eq!(next_gap(Duration::ZERO, &zero), SHORTEST_GAP);
    }

    #[test]
    fn changes_are_reported_once() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut watch = Watch::default();
        let state = |status: &str, logs: &str| -> Prediction {
            serde_json::from_value(serde_json::json!({"id": "p", "status": status, "logs": logs}))
                .unwrap()
        };
        watch.report(&state("starting", ""), &tx);
        assert!(!watch.left_starting);
        watch.report(&state("starting", ""), &tx);
        watch.report(&state("processing", "step 1"), &tx);
        watch.report(&state("processing", "step 1\n"), &tx);
        watch.report(&state("processing", "step 1\nstep 2"), &tx);
        assert!(watch.left_starting);
        drop(tx);
        let mut texts = Vec::new();
        while let Ok(Progress::Status(text)) = rx.try_recv() {
            texts.push(text);
        }
        assert_eq!(
            texts,
            vec![
                "Replicate: waiting for a worker (starting)",
                "Replicate: processing",
                "step 1",
                "step 2"
            ]
        );
    }
}
