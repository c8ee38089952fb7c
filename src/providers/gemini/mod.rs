//! The Google Gemini image client (NOTES.md 4): one `generateContent` call per
//! image, the prompt and input images inline, the image and the model's words
//! back in the same answer, billed by tokens.

mod errors;
mod request;
mod response;

use async_trait::async_trait;

use super::http::{self, Connection};
use super::{Call, CallOutput, Progress, ProgressSink, Provider, ProviderError};
use crate::text::{strip_controls, truncate};

pub struct Gemini {
    conn: Connection,
}

impl Gemini {
    pub fn new(conn: Connection) -> Gemini {
        Gemini { conn }
    }
}

#[async_trait]
impl Provider for Gemini {
    async fn call(
        &self,
        call: Call<'_>,
        progress: &ProgressSink,
    ) -> Result<CallOutput, ProviderError> {
        let request = call.request;
        let body = request::body(&call).await?;
        let _ = progress.send(Progress::Status(format!(
            "asking Gemini ({})",
            request.model.remote
        )));
        let builder = self
            .conn
            .client
            .post(self.conn.url(&request::path(request)))
            .header("x-goog-api-key", self.conn.key.expose())
            .json(&body);
        let answer = http::send(builder, true).await?;
        let body = http::read(answer, self.conn.limits.max_body_bytes, true).await?;
        if !body.status.is_success() {
            return Err(errors::error(&body));
        }
        let answer = response::read(&body)?;
        for (index, preview) in answer.drafts.into_iter().enumerate() {
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            let _ = progress.send(Progress::Partial {
                image: 0,
                index,
                preview,
            });
        }
        if let Some(words) = &answer.commentary {
            let _ = progress.send(Progress::Status(format!(
                "Gemini says: {}",
                truncate(&strip_controls(words, true), 200)
            )));
        }
        Ok(CallOutput {
            images: answer.images,
            usage: answer.usage,
            remote_id: None,
        })
    }
}
