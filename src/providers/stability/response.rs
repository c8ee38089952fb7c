//! Stability's answers: an image with `finish-reason` and `seed` headers
//! (NOTES.md 3.6), the `{id}` of an async job, or an `{id, name, errors[]}`
//! error body (NOTES.md 3.7) turned into the right error class.

use std::time::Duration;

use serde::Deserialize;

use crate::providers::http::{self, Body};
use crate::providers::{Charged, EncodedImage, ErrorClass, ProviderError};
use crate::text::{strip_controls, truncate};

/// Stability times a caller out for 60 s after a 429 and sends no
/// `Retry-After` (NOTES.md 3.7).
pub const RATE_LIMIT_PAUSE: Duration = Duration::from_mins(1);

/// Stability's error body.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    errors: Vec<String>,
}

/// The JSON form of a finished image (`accept: application/json`), taken too
/// in case a proxy or a future default answers that way.
#[derive(Debug, Deserialize)]
struct ImageJson {
    image: String,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    seed: Option<serde_json::Value>,
}

/// The answer to an async request: the id to poll.
#[derive(Debug, Deserialize)]
struct Started {
    id: String,
}

/// The image in a 200 answer. `fallback_seed` is the seed sent, used when
/// the answer does not say which seed it used.
pub fn image(body: &Body, fallback_seed: Option<u64>) -> Result<EncodedImage, ProviderError> {
    let (bytes, finish_reason, seed) = if body.content_type().contains("json") {
        let json: ImageJson = body
            .json("Stability's image answer")
            .map_err(|e| not_an_image(&e.message))?;
        let bytes = http::decode_base64(&json.image, "Stability's image")?;
        let seed = json.seed.as_ref().and_then(json_seed);
        (bytes, json.finish_reason, seed)
    } else {
        let seed = body.header("seed").and_then(|s| s.trim().parse().ok());
        let reason = body.header("finish-reason").map(str::to_string);
        (body.bytes.clone(), reason, seed)
    };
    if finish_reason
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case("CONTENT_FILTERED"))
    {
        // The image was made, then blurred: the generation may be billed.
        let mut error = ProviderError::new(
            ErrorClass::Moderation,
            "Stability's content filter blurred the image (finish-reason CONTENT_FILTERED)",
        )
        .with_status(body.status.as_u16());
        error.charged = Charged::Maybe;
        return Err(error);
    }
    let format = http::image_format(&bytes, "Stability's answer")
        .map_err(|_| not_an_image(&describe(body)))?;
    Ok(EncodedImage {
        bytes,
        format,
        seed: seed.or(fallback_seed),
        revised_prompt: None,
    })
}

/// The id in an async job's first answer. It goes into a URL path, so only
/// the characters a Stability id uses (64 letters and digits) are accepted.
pub fn job_id(body: &Body) -> Result<String, ProviderError> {
    let started: Started = body.json("Stability's answer to the async request")?;
    checked_id(&started.id)
}

/// `id` if it can safely name a result to poll.
pub fn checked_id(id: &str) -> Result<String, ProviderError> {
    let id = id.trim();
    if !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        Ok(id.to_string())
    } else {
        Err(ProviderError::new(
            ErrorClass::BadResponse,
            format!(
                "Stability gave a job id tintype cannot use: {:?}",
                truncate(&strip_controls(id, true), 80)
            ),
        ))
    }
}

/// A non-2xx answer as an error, with Stability's own meanings: its 403 is
/// content moderation, its 429 means a 60 s time-out, its 404 on a result
/// means the result is gone or was never this key's.
pub fn error(body: &Body) -> ProviderError {
    let mut error = http::classify(body.status, &body.headers, &body.bytes);
    let parsed: ErrorBody = serde_json::from_slice(&body.bytes).unwrap_or_default();
    if !parsed.errors.is_empty() || !parsed.name.is_empty() {
        error.message = message(&parsed, body.status);
    }
    match parsed.name.as_str() {
        "content_moderation" => error.class = ErrorClass::Moderation,
        "payload_too_large" => {
            error.class = ErrorClass::InvalidRequest;
            error
                .message
                .push_str("; Stability takes requests up to 10 MiB, so send a smaller input image");
        }
        "generation_not_found" => {
            // The job may have run and been billed; its result is no longer ours to fetch.
            error.class = ErrorClass::OutputLost;
            error.charged = Charged::Maybe;
            error.message.push_str(
                "; Stability keeps results for 24 hours and only for the API key that asked",
            );
        }
        _ => {}
    }
    if error.class == ErrorClass::RateLimited && error.retry_after.is_none() {
        error = error.with_retry_after(RATE_LIMIT_PAUSE);
    }
    error
}

/// `errors` joined, with the error name and status, made safe to print.
fn message(parsed: &ErrorBody, status: reqwest::StatusCode) -> String {
    let said = strip_controls(&parsed.errors.join("; "), true);
    let name = strip_controls(&parsed.name, true);
    let text = match (said.is_empty(), name.is_empty()) {
        (false, false) => format!("Stability: {said} ({name}, {status})"),
        (false, true) => format!("Stability: {said} ({status})"),
        _ => format!("Stability: {name} ({status})"),
    };
    truncate(&text, 400)
}

fn json_seed(value: &serde_json::Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_f64().filter(|s| *s >= 0.0).map(|s| s as u64))
        .or_else(|| value.as_str()?.trim().parse().ok())
}

fn describe(body: &Body) -> String {
    let kind = body.content_type();
    format!(
        "{} bytes of {}",
        body.bytes.len(),
        if kind.is_empty() {
            "unknown type"
        } else {
            &kind
        }
    )
}

fn not_an_image(detail: &str) -> ProviderError {
    ProviderError::new(
        ErrorClass::BadResponse,
        format!("Stability answered 200 without a readable image ({detail})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn body(status: u16, headers: &[(&'static str, &str)], bytes: &[u8]) -> Body {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        Body {
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn ids_that_could_escape_the_path_are_refused() {
        assert_eq!(checked_id(&"a1".repeat(32)).unwrap(), "a1".repeat(32));
        for bad in ["", "../v2beta/account", "id?x=1", "a/b", "\u{1b}[2J"] {
            let error = checked_id(bad).unwrap_err();
            assert_eq!(error.class, ErrorClass::BadResponse, "{bad:?}");
            assert!(!error.message.contains('\u{1b}'));
        }
    }

    #[test]
    fn error_names_override_the_status() {
        let moderated = error(&body(
            403,
            &[],
            br#"{"id":"x","name":"content_moderation","errors":["flagged"]}"#,
        ));
        assert_eq!(moderated.class, ErrorClass::Moderation);
        assert_eq!(moderated.charged, Charged::No);
        let limited = error(&body(
            429,
            &[],
            br#"{"id":"x","name":"rate_limit_exceeded","errors":["slow down"]}"#,
        ));
        assert_eq!(limited.retry_after, Some(RATE_LIMIT_PAUSE));
        let told = error(&body(429, &[("retry-after", "5")], b"{}"));
        assert_eq!(told.retry_after, Some(Duration::from_secs(5)));
    }

    #[test]
    fn json_images_and_their_seeds_are_read() {
        let png = http::encode_base64(b"\x89PNG\r\n\x1a\n0000");
        let json = format!(r#"{{"image":"{png}","finish_reason":"SUCCESS","seed":42}}"#);
        let answer = body(
            200,
            &[("content-type", "application/json; type=image/png")],
            json.as_bytes(),
        );
        let image = image(&answer, Some(1)).unwrap();
        assert_eq!((image.format.as_str(), image.seed), ("png", Some(42)));
    }
}
