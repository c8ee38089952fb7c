//! Gemini's error answers: Google's `{"error": {code, message, status,
//! details}}` body (not in the proto files, NOTES.md 4.3) read on top of
//! `http::classify`, with Google's own meanings for a bad key and a quota.

use std::time::Duration;

use serde::Deserialize;

use crate::providers::http::{self, Body};
use crate::providers::{Charged, ErrorClass, ProviderError};
use crate::text::strip_controls;

#[derive(Debug, Default, Deserialize)]
struct Envelope {
    #[serde(default)]
    error: GoogleError,
}

#[derive(Debug, Default, Deserialize)]
struct GoogleError {
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<Detail>,
}

/// A `google.rpc` detail; only `ErrorInfo.reason` and `RetryInfo.retryDelay`
/// matter here.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    retry_delay: Option<String>,
}

/// A non-2xx answer as an error class, the message naming Google's status.
pub fn error(body: &Body) -> ProviderError {
    let mut error = http::classify(body.status, &body.headers, &body.bytes);
    let parsed: Envelope = serde_json::from_slice(&body.bytes).unwrap_or_default();
    let google = parsed.error;
    let status = strip_controls(&google.status, true);
    error.message = if status.is_empty() {
        format!("Gemini: {}", error.message)
    } else {
        format!("Gemini: {} [{status}]", error.message)
    };
    let lower = String::from_utf8_lossy(&body.bytes).to_ascii_lowercase();
    let reasons: Vec<&str> = google
        .details
        .iter()
        .filter_map(|d| d.reason.as_deref())
        .collect();
    // Google answers a wrong key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID.
    if reasons.contains(&"API_KEY_INVALID")
        || lower.contains("api_key_invalid")
        || lower.contains("api key not valid")
        || lower.contains("api key expired")
        || status == "UNAUTHENTICATED"
        || status == "PERMISSION_DENIED"
    {
        error.class = ErrorClass::Authentication;
    } else if body.status.as_u16() == 429 || status == "RESOURCE_EXHAUSTED" {
        // Google's rate-limit message mentions "plan and billing details"
        // even on a plain per-minute limit; only a depleted balance is credit.
        error.class = if says_out_of_credit(&lower) {
            ErrorClass::InsufficientCredit
        } else {
            ErrorClass::RateLimited
        };
    }
    if error.class != ErrorClass::BadResponse {
        error.charged = Charged::No;
    }
    if error.retry_after.is_none()
        && error.class == ErrorClass::RateLimited
        && let Some(wait) = google
            .details
            .iter()
            .filter_map(|d| d.retry_delay.as_deref())
            .find_map(parse_delay)
    {
        error = error.with_retry_after(wait);
    }
    error
}

fn says_out_of_credit(lower_body: &str) -> bool {
    [
        "credits are depleted",
        "prepayment credits",
        "billing account",
        "insufficient_quota",
    ]
    .iter()
    .any(|words| lower_body.contains(words))
}

/// A `google.protobuf.Duration` in JSON: `"37s"`, `"1.5s"`.
fn parse_delay(text: &str) -> Option<Duration> {
    let seconds: f64 = text.trim().strip_suffix('s')?.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(3600.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;

    fn body(status: u16, text: &str) -> Body {
        Body {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn retry_info_gives_the_wait_when_no_header_does() {
        let error = error(&body(
            429,
            r#"{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}"#,
        ));
        assert_eq!(error.class, ErrorClass::RateLimited);
        assert_eq!(error.retry_after, Some(Duration::from_secs(37)));
        assert!(
            error.message.contains("RESOURCE_EXHAUSTED"),
            "{}",
            error.message
        );
    }

    #[test]
    fn a_depleted_balance_is_credit_not_a_rate_limit() {
        let error = error(&body(
            429,
            r#"{"error":{"code":429,"message":"Your prepayment credits are depleted.","status":"RESOURCE_EXHAUSTED"}}"#,
        ));
        assert_eq!(error.class, ErrorClass::InsufficientCredit);
        assert_eq!(error.charged, Charged::No);
    }

    #[test]
    fn delays_parse_as_protobuf_durations() {
        assert_eq!(parse_delay("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_delay("soon"), None);
        assert_eq!(parse_delay("-3s"), None);
    }
}
