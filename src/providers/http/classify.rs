//! Turning a provider's refusal into an error class: the status, the words
//! in its body (quota, content policy), and how long it asks us to wait.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::looks_like_html;
use crate::providers::{Charged, ErrorClass, ProviderError};
use crate::text::{strip_controls, truncate};

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(3600.0)));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when
        .signed_duration_since(chrono::Utc::now())
        .num_milliseconds();
    Some(Duration::from_millis(
        u64::try_from(wait.clamp(0, 3_600_000)).unwrap_or(0),
    ))
}

/// The most useful sentence in a provider's error body, made safe to print:
/// `error.message` (`OpenAI`, Gemini), `detail` (Replicate), `errors[0]`
/// (Stability, remove.bg), or the start of whatever text came.
pub fn error_message(bytes: &[u8]) -> String {
    let text = if let Ok(json) = serde_json::from_slice::<serde_json::Value>(bytes) {
        let pick = |v: &serde_json::Value| -> Option<String> {
            match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Object(o) => ["message", "title", "detail"]
                    .iter()
                    .find_map(|k| o.get(*k).and_then(|m| m.as_str()).map(str::to_string)),
                _ => None,
            }
        };
        json.get("error")
            .and_then(pick)
            .or_else(|| json.get("detail").and_then(pick))
            .or_else(|| json.get("message").and_then(pick))
            .or_else(|| json.get("errors").and_then(|e| e.get(0)).and_then(pick))
            .or_else(|| json.get("name").and_then(pick))
            .unwrap_or_else(|| json.to_string())
    } else if looks_like_html(bytes) {
        "an HTML error page".to_string()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    };
    truncate(&strip_controls(&text, true), 400)
}

/// A non-2xx answer as an error class, from the status and, where the body
/// says more (quota, content policy), from the body.
pub fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> ProviderError {
    let message = error_message(body);
    let lower = String::from_utf8_lossy(body).to_ascii_lowercase();
    let mentions = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    let code = status.as_u16();
    let class = if mentions(&[
        "insufficient_quota",
        "insufficient credit",
        "insufficient_credits",
        "billing_hard_limit",
        "payment required",
    ]) || code == 402
    {
        ErrorClass::InsufficientCredit
    } else if mentions(&[
        "content_policy",
        "moderation_blocked",
        "content_moderation",
        "safety system",
    ]) {
        ErrorClass::Moderation
    } else {
        match code {
            401 | 403 => ErrorClass::Authentication,
            429 => ErrorClass::RateLimited,
            408 | 425 | 500..=599 => ErrorClass::Transient,
            400..=499 => ErrorClass::InvalidRequest,
            _ => ErrorClass::BadResponse,
        }
    };
    let shown = if message.is_empty() {
        status.to_string()
    } else {
        format!("{message} ({status})")
    };
    let mut error = ProviderError::new(class, shown).with_status(code);
    // A refusal with a status was not billed; only garbled answers may have been.
    if class != ErrorClass::BadResponse {
        error.charged = Charged::No;
    }
    if let Some(wait) = retry_after(headers) {
        error = error.with_retry_after(wait);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn statuses_and_bodies_become_classes() {
        let none = HeaderMap::new();
        let class = |status: u16, body: &str| {
            classify(
                StatusCode::from_u16(status).unwrap(),
                &none,
                body.as_bytes(),
            )
            .class
        };
        assert_eq!(
            class(
                400,
                r#"{"error":{"message":"bad size","type":"invalid_request_error"}}"#
            ),
            ErrorClass::InvalidRequest
        );
        assert_eq!(
            class(401, r#"{"error":{"message":"Incorrect API key"}}"#),
            ErrorClass::Authentication
        );
        assert_eq!(
            class(
                429,
                r#"{"error":{"code":"insufficient_quota","message":"You exceeded your quota"}}"#
            ),
            ErrorClass::InsufficientCredit
        );
        assert_eq!(
            class(429, r#"{"error":{"message":"Rate limit reached"}}"#),
            ErrorClass::RateLimited
        );
        assert_eq!(
            class(
                400,
                r#"{"error":{"code":"moderation_blocked","message":"rejected"}}"#
            ),
            ErrorClass::Moderation
        );
        assert_eq!(class(402, "{}"), ErrorClass::InsufficientCredit);
        for status in [500, 502, 503, 408] {
            assert_eq!(
                class(status, "<html><body>Bad gateway</body></html>"),
                ErrorClass::Transient,
                "{status}"
            );
        }
        let error = classify(
            StatusCode::BAD_GATEWAY,
            &none,
            b"<!DOCTYPE html><html>oops</html>",
        );
        assert_eq!(error.message, "an HTML error page (502 Bad Gateway)");
        assert_eq!(error.charged, crate::providers::Charged::No);
    }

    #[test]
    fn error_messages_are_found_and_made_safe() {
        assert_eq!(
            error_message(br#"{"error":{"message":"bad \u001b[31msize"}}"#),
            "bad size"
        );
        assert_eq!(
            error_message(br#"{"detail":"Files must be less than 100MB"}"#),
            "Files must be less than 100MB"
        );
        assert_eq!(
            error_message(br#"{"id":"x","name":"bad_request","errors":["prompt: is required"]}"#),
            "prompt: is required"
        );
        assert_eq!(
            error_message(
                br#"{"errors":[{"title":"Insufficient credits","code":"insufficient_credits"}]}"#
            ),
            "Insufficient credits"
        );
        assert_eq!(error_message(b"plain words"), "plain words");
        assert!(error_message("x".repeat(1000).as_bytes()).chars().count() <= 400);
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")])),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "1.5")])),
            Some(Duration::from_millis(1500))
        );
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        let wait = retry_after(&headers(&[("retry-after", &soon)])).unwrap();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }
}
