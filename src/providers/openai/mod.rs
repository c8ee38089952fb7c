//! The `OpenAI` Images client: generations (JSON), edits and variations
//! (multipart), answered with base64 images, links or a stream of partial
//! previews (NOTES.md section 1, `openai/openapi.yaml`).

mod request;
mod response;
mod stream;

use async_trait::async_trait;
use reqwest::header::CONTENT_TYPE;

use super::http::{self, Connection};
use super::{Call, CallOutput, ErrorClass, Progress, ProgressSink, Provider, ProviderError};
use crate::catalog::{Model, ValidRequest};
use crate::text::strip_controls;

/// Calls `OpenAI` (or an OpenAI-compatible server) at `conn.base_url`, which
/// ends in `/v1`.
pub struct OpenAi {
    conn: Connection,
}

impl OpenAi {
    pub fn new(conn: Connection) -> OpenAi {
        OpenAi { conn }
    }
}

#[async_trait]
impl Provider for OpenAi {
    async fn call(
        &self,
        call: Call<'_>,
        progress: &ProgressSink,
    ) -> Result<CallOutput, ProviderError> {
        let request = call.request;
        let fields = request::fields(&call);
        let post = self
            .conn
            .client
            .post(self.conn.url(endpoint(request)?))
            .bearer_auth(self.conn.key.expose());
        // Only operations that take input images go as multipart forms.
        let post = if request.op().inputs.is_some() {
            post.multipart(request::multipart_body(request, &fields).await?)
        } else {
            post.json(&request::json_body(&fields))
        };
        let _ = progress.send(Progress::Status(format!(
            "waiting for OpenAI {} to make {} image{}",
            strip_controls(&request.model.remote, true),
            call.n,
            if call.n == 1 { "" } else { "s" }
        )));
        let response = http::send(post, true).await?;
        let seed = call.seed.filter(|_| request.takes_seed());
        let max_bytes = self.conn.limits.max_body_bytes;
        // Non-2xx answers to a stream request are ordinary JSON errors.
        let (images, usage) = if response.status().is_success() && is_event_stream(&response) {
            stream::receive(response, max_bytes, seed, progress).await?
        } else {
            let body = http::read(response, max_bytes, true).await?.ok()?;
            response::images(&self.conn, &body, seed).await?
        };
        Ok(CallOutput {
            images,
            usage,
            remote_id: None,
        })
    }
}

/// The catalog's endpoint, else the API's path for the operation.
fn endpoint(request: &ValidRequest) -> Result<&str, ProviderError> {
    if let Some(path) = request.op().endpoint.as_deref() {
        return Ok(path);
    }
    match request.operation.as_str() {
        "generate" => Ok("/images/generations"),
        "edit" => Ok("/images/edits"),
        "variation" => Ok("/images/variations"),
        other => Err(ProviderError::new(
            ErrorClass::InvalidRequest,
            format!(
                "OpenAI has no {other} operation; give it an `endpoint` in the catalog or use generate, edit or variation"
            ),
        )),
    }
}

/// DALL·E 2 and 3 differ from the GPT image models in request shape: one
/// `image` field, and `response_format` to avoid expiring links.
fn is_dall_e(model: &Model) -> bool {
    model.remote.starts_with("dall-e")
}

fn is_event_stream(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("text/event-stream"))
}
