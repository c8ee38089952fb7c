//! Streamed answers (NOTES.md 1.5): server-sent events carrying partial
//! previews and then the final image with its usage. Read under the body cap,
//! a line at a time.

use eventsource_stream::{EventStreamError, Eventsource as _};
use futures_util::{Stream, StreamExt as _, stream};
use reqwest::Response;
use reqwest::StatusCode;
use serde::Deserialize;

use super::response::{TokenUsage, decode_image};
use crate::catalog::Usage;
use crate::providers::http;
use crate::providers::{Charged, EncodedImage, ErrorClass, Progress, ProgressSink, ProviderError};
use crate::text::strip_controls;

/// One event's payload. `type` names it; the SSE `event:` line may instead.
#[derive(Debug, Deserialize)]
struct StreamEvent {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    b64_json: Option<String>,
    #[serde(default)]
    partial_image_index: Option<u32>,
    #[serde(default)]
    usage: Option<TokenUsage>,
    /// Some servers report a failure as `{"error": {...}}`, typed or not.
    #[serde(default)]
    error: Option<serde_json::Value>,
}

/// What the stream delivered by the end.
#[derive(Default)]
struct Received {
    images: Vec<EncodedImage>,
    usage: Option<TokenUsage>,
    partials: u32,
}

/// Reads a `text/event-stream` answer to the end: previews go to `progress`
/// as they come, the completed images are returned.
pub(super) async fn receive(
    response: Response,
    max_bytes: u64,
    seed: Option<u64>,
    progress: &ProgressSink,
) -> Result<(Vec<EncodedImage>, Option<Usage>), ProviderError> {
    let mut events = std::pin::pin!(whole_lines(response, max_bytes).eventsource());
    let mut received = Received::default();
    while let Some(event) = events.next().await {
        let event = event.map_err(|error| match error {
            EventStreamError::Transport(error) => error,
            EventStreamError::Utf8(_) => bad_response("the image stream is not UTF-8 text"),
            EventStreamError::Parser(_) => {
                bad_response("the image stream is not server-sent events")
            }
        })?;
        let data = event.data.trim();
        // Some OpenAI-compatible servers close with an OpenAI-chat-style sentinel.
        if data.is_empty() || data == "[DONE]" {
            continue;
        }
        handle(&event.event, data, seed, progress, &mut received)?;
    }
    if received.images.is_empty() {
        return Err(ProviderError::new(
            ErrorClass::UnknownOutcome,
            format!(
                "the image stream ended before the final image (after {} partial image{}); \
                 the connection may have dropped",
                received.partials,
                if received.partials == 1 { "" } else { "s" }
            ),
        ));
    }
    Ok((received.images, received.usage.map(TokenUsage::to_usage)))
}

fn handle(
    sse_name: &str,
    data: &str,
    seed: Option<u64>,
    progress: &ProgressSink,
    received: &mut Received,
) -> Result<(), ProviderError> {
    let payload: StreamEvent = serde_json::from_str(data).map_err(|e| {
        // JSON that stops short is the last event of a connection that
        // dropped, not a garbled answer: the image may still have been made.
        if e.is_eof() {
            return ProviderError::new(
                ErrorClass::UnknownOutcome,
                format!(
                    "the image stream was cut off in the middle of an event (after {} partial \
                     images); the connection may have dropped",
                    received.partials
                ),
            );
        }
        bad_response(format!(
            "an event of the image stream is not valid JSON ({})",
            strip_controls(&e.to_string(), true)
        ))
    })?;
    // `image_generation.completed` and `image_edit.completed` alike.
    let kind = payload.kind.as_deref().unwrap_or(sse_name);
    let last_word = kind.rsplit('.').next().unwrap_or(kind);
    if payload.error.is_some() || matches!(last_word, "error" | "failed") {
        return Err(stream_error(data, received.partials));
    }
    match last_word {
        "partial_image" => partial(&payload, progress, received),
        "completed" => completed(&payload, seed, received)?,
        // Other event kinds are new to this client and carry nothing it needs.
        _ => {}
    }
    Ok(())
}

/// A preview, forwarded as it comes. A garbled one is skipped: the final
/// image, which is billed, may still come whole.
fn partial(payload: &StreamEvent, progress: &ProgressSink, received: &mut Received) {
    let index = payload.partial_image_index.unwrap_or(received.partials);
    received.partials += 1;
    let what = format!("partial image {index} of the stream");
    match decode_image(payload.b64_json.as_deref().unwrap_or_default(), &what) {
        Ok(preview) => {
            // Partials belong to the image not yet completed.
            let image = u32::try_from(received.images.len()).unwrap_or(u32::MAX);
            let _ = progress.send(Progress::Partial {
                image,
                index,
                preview,
            });
        }
        Err(error) => {
            let _ = progress.send(Progress::Status(format!(
                "preview skipped: {}",
                error.message
            )));
        }
    }
}

fn completed(
    payload: &StreamEvent,
    seed: Option<u64>,
    received: &mut Received,
) -> Result<(), ProviderError> {
    let what = format!("final image {} of the stream", received.images.len() + 1);
    let mut image = decode_image(payload.b64_json.as_deref().unwrap_or_default(), &what)?;
    image.seed = seed;
    received.images.push(image);
    // Each completed event closes one image; adding never under-counts.
    if let Some(usage) = payload.usage {
        received.usage = Some(received.usage.map_or(usage, |so_far| so_far.add(usage)));
    }
    Ok(())
}

/// An `error` event, e.g. `{"type":"error","error":{"message":...}}`,
/// classified by its words like an error body. The refusal came after the
/// request was taken, so previews already sent may have been billed.
fn stream_error(data: &str, partials: u32) -> ProviderError {
    let lower = data.to_ascii_lowercase();
    let status = if lower.contains("rate_limit") {
        StatusCode::TOO_MANY_REQUESTS
    } else if lower.contains("invalid_api_key") || lower.contains("authentication") {
        StatusCode::UNAUTHORIZED
    } else if lower.contains("invalid_request") {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    let mut error = http::classify(status, &reqwest::header::HeaderMap::new(), data.as_bytes());
    error.status = None;
    error.message = format!(
        "the image stream stopped: {}",
        http::error_message(data.as_bytes())
    );
    if partials > 0 {
        error.charged = Charged::Maybe;
    }
    error
}

/// The body as chunks that end at a line break, so the SSE parser never
/// rescans a half-received multi-megabyte `data:` line; the total is held to
/// `max_bytes`. A last event without its closing blank line is still read.
fn whole_lines(
    response: Response,
    max_bytes: u64,
) -> impl Stream<Item = Result<Vec<u8>, ProviderError>> {
    struct State<S> {
        body: S,
        pending: Vec<u8>,
        total: u64,
        done: bool,
    }
    let state = State {
        body: Box::pin(response.bytes_stream()),
        pending: Vec::new(),
        total: 0,
        done: false,
    };
    stream::unfold(state, move |mut state| async move {
        if state.done {
            return None;
        }
        loop {
            let Some(chunk) = state.body.next().await else {
                state.done = true;
                let mut rest = std::mem::take(&mut state.pending);
                rest.extend_from_slice(b"\n\n");
                return Some((Ok(rest), state));
            };
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    state.done = true;
                    return Some((Err(http::transport_error(&error, true)), state));
                }
            };
            state.total += chunk.len() as u64;
            if state.total > max_bytes {
                state.done = true;
                let error = bad_response(format!(
                    "the image stream grew past {max_bytes} bytes, the most tintype accepts \
                     (limits.max_body_bytes)"
                ));
                return Some((Err(error), state));
            }
            // Only the new chunk is searched, so a long line costs linear time.
            let start = state.pending.len();
            state.pending.extend_from_slice(&chunk);
            if let Some(last_break) = chunk.iter().rposition(|&b| b == b'\n') {
                let rest = state.pending.split_off(start + last_break + 1);
                let lines = std::mem::replace(&mut state.pending, rest);
                return Some((Ok(lines), state));
            }
        }
    })
}

fn bad_response(message: impl Into<String>) -> ProviderError {
    ProviderError::new(ErrorClass::BadResponse, message)
}
