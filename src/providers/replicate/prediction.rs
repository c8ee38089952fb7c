//! Replicate's prediction object as tintype reads it (NOTES.md 2.3), and what
//! each final status means for the user and their money.

use serde::Deserialize;
use serde_json::Value;

use crate::providers::{Charged, ErrorClass, ProviderError};
use crate::text::{strip_controls, truncate};

/// The fields tintype uses. Everything else in the object is ignored, and the
/// loosely specified ones (`output`, `error`, `metrics`) stay raw JSON so an
/// unexpected shape is reported rather than failing the whole parse.
#[derive(Debug, Deserialize)]
pub(super) struct Prediction {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub output: Value,
    #[serde(default)]
    pub error: Value,
    #[serde(default)]
    pub logs: Option<String>,
    #[serde(default)]
    pub metrics: Value,
    #[serde(default)]
    pub data_removed: Option<bool>,
    #[serde(default)]
    pub started_at: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// `starting`: waiting for a worker; nothing has run yet.
    Waiting,
    /// `processing`, or a status this build does not know: keep polling.
    Running,
    Succeeded,
    Failed,
    Canceled,
    /// Terminated before it ran (a deadline passed while it waited).
    Aborted,
}

/// Prediction ids go into URL paths, so only plain ones are accepted.
pub(super) fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Prediction {
    pub fn phase(&self) -> Phase {
        match self.status.as_str() {
            "starting" => Phase::Waiting,
            "succeeded" => Phase::Succeeded,
            "failed" => Phase::Failed,
            "canceled" => Phase::Canceled,
            "aborted" => Phase::Aborted,
            _ => Phase::Running,
        }
    }

    /// The status, safe to print.
    pub fn shown_status(&self) -> String {
        truncate(&strip_controls(&self.status, true), 40)
    }

    /// The last non-empty line of the model's logs, safe to print. Progress
    /// bars redraw with `\r`, so that ends a line too.
    pub fn last_log_line(&self) -> Option<String> {
        self.logs
            .as_deref()?
            .split(['\n', '\r'])
            .map(|line| truncate(strip_controls(line, true).trim(), 200))
            .rfind(|line| !line.is_empty())
    }

    /// GPU time from `metrics.predict_time` (seconds), in whole milliseconds.
    pub fn predict_millis(&self) -> Option<u64> {
        let seconds = self.metrics.get("predict_time")?.as_f64()?;
        (seconds.is_finite() && seconds >= 0.0).then(|| (seconds * 1000.0).round() as u64)
    }

    fn error_text(&self) -> String {
        let text = match &self.error {
            Value::Null => return "no reason given".into(),
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let shown = truncate(strip_controls(&text, true).trim(), 400);
        if shown.is_empty() {
            "no reason given".into()
        } else {
            shown
        }
    }

    /// The error for a prediction that ended without images. `billed_by_time`:
    /// the model is billed for GPU seconds, which a refusal may already have used.
    pub fn failure(&self, billed_by_time: bool) -> ProviderError {
        let id = &self.id;
        match self.phase() {
            Phase::Canceled => {
                let mut error = ProviderError::new(
                    ErrorClass::Canceled,
                    format!("prediction {id} was canceled at Replicate"),
                );
                if billed_by_time && self.started_at.is_some() {
                    error.charged = Charged::Maybe;
                }
                error
            }
            Phase::Aborted => ProviderError::new(
                ErrorClass::Canceled,
                format!("Replicate aborted prediction {id} before it ran (its deadline passed)"),
            ),
            _ => {
                let reason = self.error_text();
                let lower = reason.to_ascii_lowercase();
                let refused = ["nsfw", "safety", "sensitive"]
                    .iter()
                    .any(|word| lower.contains(word));
                let message = format!("prediction {id} failed: {reason}");
                if refused {
                    let mut error = ProviderError::new(ErrorClass::Moderation, message);
                    if billed_by_time {
                        error.charged = Charged::Maybe;
                    }
                    error
                } else {
                    // GPU time may have been used before it failed.
                    let mut error = ProviderError::new(ErrorClass::Transient, message);
                    error.charged = Charged::Maybe;
                    error
                }
            }
        }
    }

    /// The output entries: a URL string, an array of them, or data URLs.
    pub fn output_refs(&self) -> Result<Vec<String>, ProviderError> {
        let entries: Vec<&Value> = match &self.output {
            Value::Array(items) => items.iter().collect(),
            Value::Null => Vec::new(),
            single => vec![single],
        };
        if entries.is_empty() {
            return Err(self.no_output());
        }
        entries
            .into_iter()
            .map(|entry| {
                entry.as_str().map(str::to_string).ok_or_else(|| {
                    ProviderError::new(
                        ErrorClass::BadResponse,
                        format!(
                            "prediction {} succeeded but an output is not an image URL: {}",
                            self.id,
                            truncate(&strip_controls(&entry.to_string(), true), 80)
                        ),
                    )
                })
            })
            .collect()
    }

    fn no_output(&self) -> ProviderError {
        if self.data_removed == Some(true) {
            return ProviderError::new(
                ErrorClass::OutputLost,
                format!(
                    "Replicate already removed the output of prediction {} (API outputs are kept about an hour)",
                    self.id
                ),
            );
        }
        ProviderError::new(
            ErrorClass::BadResponse,
            format!("prediction {} succeeded but returned no output", self.id),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn prediction(value: Value) -> Prediction {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn logs_metrics_and_statuses_are_read() {
        let p = prediction(json!({
            "id": "abc", "status": "processing",
            "logs": "Using seed: 1\n 10%|#| 5/50\r 50%|#####| 25/50\u{1b}[2K\n\n",
            "metrics": {"predict_time": 2.3456}
        }));
        assert_eq!(p.phase(), Phase::Running);
        assert_eq!(p.last_log_line().as_deref(), Some("50%|#####| 25/50"));
        assert_eq!(p.predict_millis(), Some(2346));
        let odd =
            prediction(json!({"id": "abc", "status": "queued", "metrics": {"predict_time": "x"}}));
        assert_eq!(odd.phase(), Phase::Running);
        assert_eq!(odd.predict_millis(), None);
        assert_eq!(odd.last_log_line(), None);
    }

    #[test]
    fn failures_are_classified() {
        let nsfw = prediction(json!({"id": "a", "status": "failed",
            "error": "NSFW content detected. Try running it again, or try a different prompt."}));
        assert_eq!(nsfw.failure(false).class, ErrorClass::Moderation);
        assert_eq!(nsfw.failure(false).charged, Charged::No);
        assert_eq!(nsfw.failure(true).charged, Charged::Maybe);
        let oom = prediction(json!({"id": "a", "status": "failed", "error": "CUDA out of memory"}));
        let error = oom.failure(false);
        assert_eq!(
            (error.class, error.charged),
            (ErrorClass::Transient, Charged::Maybe)
        );
        assert_eq!(error.message, "prediction a failed: CUDA out of memory");
        let aborted = prediction(json!({"id": "a", "status": "aborted"}));
        assert_eq!(aborted.failure(true).class, ErrorClass::Canceled);
        assert_eq!(aborted.failure(true).charged, Charged::No);
    }

    #[test]
    fn outputs_come_as_a_string_or_an_array() {
        let one =
            prediction(json!({"id": "a", "status": "succeeded", "output": "https://x/1.png"}));
        assert_eq!(one.output_refs().unwrap(), vec!["https://x/1.png"]);
        let two = prediction(json!({"id": "a", "status": "succeeded", "output": ["u1", "u2"]}));
        assert_eq!(two.output_refs().unwrap().len(), 2);
        let none = prediction(json!({"id": "a", "status": "succeeded", "output": null}));
        assert_eq!(
            none.output_refs().unwrap_err().class,
            ErrorClass::BadResponse
        );
        let removed = prediction(
            json!({"id": "a", "status": "succeeded", "output": null, "data_removed": true}),
        );
        assert_eq!(
            removed.output_refs().unwrap_err().class,
            ErrorClass::OutputLost
        );
        let odd = prediction(json!({"id": "a", "status": "succeeded", "output": [{"url": 1}]}));
        assert_eq!(
            odd.output_refs().unwrap_err().class,
            ErrorClass::BadResponse
        );
    }

    #[test]
    fn only_plain_ids_go_into_paths() {
        assert!(is_plain_id("gm3qorzdhgbfurvjtvhg6dckhu"));
        assert!(!is_plain_id("../account"));
        assert!(!is_plain_id(""));
        assert!(!is_plain_id("a?b"));
    }
}
