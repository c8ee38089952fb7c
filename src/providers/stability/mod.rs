//! The Stability AI v2beta client (NOTES.md 3): one image per call, sent as a
//! multipart form; sync endpoints answer with the image, async ones (creative
//! upscale) with an id whose result is polled and can be resumed. Stability
//! has no cancel, so the trait's do-nothing `cancel` stands.

mod poll;
mod request;
mod response;

use std::time::Duration;

use async_trait::async_trait;

use super::http::{self, Connection};
use super::{Call, CallOutput, EncodedImage, Progress, ProgressSink, Provider, ProviderError};
use crate::catalog::Usage;

pub struct Stability {
    conn: Connection,
}

impl Stability {
    pub fn new(conn: Connection) -> Stability {
        Stability { conn }
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.conn.key.expose())
    }

    /// Sends the form; the answer is the image itself (`accept: image/*`).
    async fn generate(&self, call: &Call<'_>) -> Result<EncodedImage, ProviderError> {
        let body = self.post(call, "image/*").await?;
        response::image(&body, call.seed)
    }

    /// Sends the form, reports the job id at once, then waits for the result.
    async fn start_and_wait(
        &self,
        call: &Call<'_>,
        progress: &ProgressSink,
    ) -> Result<(EncodedImage, String), ProviderError> {
        let body = self.post(call, "application/json").await?;
        let id = response::job_id(&body)?;
        let _ = progress.send(Progress::RemoteId(id.clone()));
        let _ = progress.send(Progress::Status(format!(
            "Stability accepted job {id}; polling every {} s",
            self.conn.limits.stability_poll.as_secs_f32()
        )));
        let image = poll::wait_for_result(
            &self.conn,
            &id,
            self.conn.limits.stability_poll,
            call.seed,
            progress,
        )
        .await?;
        Ok((image, id))
    }

    /// POSTs the call's form to its endpoint; a non-2xx answer is the error.
    async fn post(&self, call: &Call<'_>, accept: &str) -> Result<http::Body, ProviderError> {
        let endpoint = request::endpoint(call.request)?;
        let form = request::form(call).await?;
        let builder = self
            .conn
            .client
            .post(self.conn.url(endpoint))
            .header("authorization", self.auth())
            .header("accept", accept)
            .multipart(form);
        let answer = http::send(builder, true).await?;
        let body = http::read(answer, self.conn.limits.max_body_bytes, true).await?;
        if body.status.is_success() {
            Ok(body)
        } else {
            Err(response::error(&body))
        }
    }
}

/// What one delivered image cost: Stability bills credits per successful
/// generation, and the catalog's price per generation turns that into money.
fn output(image: EncodedImage, remote_id: Option<String>) -> CallOutput {
    CallOutput {
        images: vec![image],
        usage: Some(Usage::Images { count: 1 }),
        remote_id,
    }
}

#[async_trait]
impl Provider for Stability {
    async fn call(
        &self,
        call: Call<'_>,
        progress: &ProgressSink,
    ) -> Result<CallOutput, ProviderError> {
        let _ = progress.send(Progress::Status(format!(
            "sending to Stability AI ({})",
            call.request.model.remote
        )));
        if call.request.op().async_result {
            let (image, id) = self.start_and_wait(&call, progress).await?;
            Ok(output(image, Some(id)))
        } else {
            Ok(output(self.generate(&call).await?, None))
        }
    }

    async fn resume(
        &self,
        call: Call<'_>,
        remote_id: &str,
        progress: &ProgressSink,
    ) -> Option<Result<CallOutput, ProviderError>> {
        if !call.request.op().async_result {
            return None;
        }
        let result = async {
            let id = response::checked_id(remote_id)?;
            let _ = progress.send(Progress::Status(format!("picking up Stability job {id}")));
            // A job resumed after a restart may have finished long ago: poll at once.
            let image =
                poll::wait_for_result(&self.conn, &id, Duration::ZERO, call.seed, progress).await?;
            Ok(output(image, Some(id)))
        };
        Some(result.await)
    }
}
