//! The Replicate client: creates a prediction (official models by name,
//! pinned community models by version), polls it to the end, and downloads
//! its outputs at once (NOTES.md section 2; replicate/openapi.json).

mod input;
mod poll;
mod prediction;

use async_trait::async_trait;
use reqwest::header::AUTHORIZATION;

use super::http::{self, Connection};
use super::{
    Call, CallOutput, EncodedImage, ErrorClass, Progress, ProgressSink, Provider, ProviderError,
};
use crate::catalog::Usage;
use poll::after_create;
use prediction::{Prediction, is_plain_id};

pub struct Replicate {
    conn: Connection,
    /// Seconds to ask Replicate to hold the create request open (`Prefer: wait`).
    prefer_wait: Option<u8>,
}

impl Replicate {
    /// Creates and polls: polling shows progress as it happens.
    pub fn new(conn: Connection) -> Replicate {
        Replicate {
            conn,
            prefer_wait: None,
        }
    }

    /// Also asks Replicate to answer the create request only once the
    /// prediction is done or `seconds` (1 to 60) have passed, which saves
    /// polls on fast models; polling continues if it is not done by then.
    pub fn with_prefer_wait(conn: Connection, seconds: u8) -> Replicate {
        Replicate {
            conn,
            prefer_wait: Some(seconds.clamp(1, 60)),
        }
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.conn.key.expose())
    }

    async fn create(&self, call: Call<'_>) -> Result<Prediction, ProviderError> {
        let create = input::create_request(call).await?;
        let mut request = self
            .conn
            .client
            .post(self.conn.url(&create.path))
            .header(AUTHORIZATION, self.auth())
            .json(&create.body);
        if let Some(seconds) = self.prefer_wait {
            request = request.header("Prefer", format!("wait={seconds}"));
        }
        let response = http::send(request, true).await?;
        let body = http::read(response, self.conn.limits.max_body_bytes, true)
            .await?
            .ok()?;
        let prediction: Prediction = body.json("Replicate's new prediction")?;
        if !is_plain_id(&prediction.id) {
            return Err(ProviderError::new(
                ErrorClass::BadResponse,
                "Replicate created a prediction but its id is not a plain id",
            ));
        }
        Ok(prediction)
    }

    async fn fetch(&self, id: &str) -> Result<Prediction, ProviderError> {
        let request = self
            .conn
            .client
            .get(self.conn.url(&format!("/predictions/{id}")))
            .header(AUTHORIZATION, self.auth());
        let response = http::send(request, false).await?;
        http::read(response, self.conn.limits.max_body_bytes, false)
            .await?
            .ok()?
            .json("the prediction")
    }

    async fn cancel_prediction(&self, id: &str) -> Result<(), ProviderError> {
        let request = self
            .conn
            .client
            .post(self.conn.url(&format!("/predictions/{id}/cancel")))
            .header(AUTHORIZATION, self.auth());
        let response = http::send(request, false).await?;
        http::read(response, self.conn.limits.max_body_bytes, false)
            .await?
            .ok()?;
        Ok(())
    }

    /// Fetches every output of a prediction that succeeded.
    async fn deliver(
        &self,
        call: Call<'_>,
        prediction: &Prediction,
        progress: &ProgressSink,
    ) -> Result<CallOutput, ProviderError> {
        let refs = prediction.output_refs()?;
        let _ = progress.send(Progress::Status(format!(
            "downloading {} image{} from Replicate",
            refs.len(),
            if refs.len() == 1 { "" } else { "s" }
        )));
        let mut images = Vec::with_capacity(refs.len());
        for (position, reference) in refs.iter().enumerate() {
            let what = format!("output {} of prediction {}", position + 1, prediction.id);
            let bytes = self.output_bytes(reference, &what).await?;
            let format = http::image_format(&bytes, &what)?;
            images.push(EncodedImage {
                bytes,
                format,
                // Replicate seeds the whole batch with this one seed.
                seed: call.seed,
                revised_prompt: None,
            });
        }
        let usage = if call.request.op().pricing.kind() == "per_image" {
            Some(Usage::Images {
                count: u32::try_from(images.len()).unwrap_or(u32::MAX),
            })
        } else {
            prediction
                .predict_millis()
                .map(|millis| Usage::Seconds { millis })
        };
        Ok(CallOutput {
            images,
            usage,
            remote_id: Some(prediction.id.clone()),
        })
    }

    /// An output's bytes: a data URL decoded, or a URL downloaded at once.
    /// The key goes along only to Replicate's own API host (`http::download`).
    async fn output_bytes(&self, reference: &str, what: &str) -> Result<Vec<u8>, ProviderError> {
        if let Some(data) = reference.strip_prefix("data:") {
            let payload = data
                .split_once(',')
                .filter(|(header, _)| header.ends_with(";base64"))
                .map(|(_, payload)| payload);
            let Some(payload) = payload else {
                return Err(ProviderError::new(
                    ErrorClass::BadResponse,
                    format!("{what} is a data URL that is not base64"),
                ));
            };
            return http::decode_base64(payload, what);
        }
        if reference.starts_with("https://") || reference.starts_with("http://") {
            return http::download(&self.conn, reference, Some(("authorization", self.auth())))
                .await
                .map_err(|mut error| {
                    error.message = format!("{what}: {}", error.message);
                    error
                });
        }
        Err(ProviderError::new(
            ErrorClass::BadResponse,
            format!("{what} is neither a URL nor a data URL"),
        ))
    }
}

fn not_plain(id: &str) -> ProviderError {
    ProviderError::new(
        ErrorClass::InvalidRequest,
        format!(
            "{:?} is not a Replicate prediction id",
            crate::text::truncate(&crate::text::strip_controls(id, true), 60)
        ),
    )
}

#[async_trait]
impl Provider for Replicate {
    async fn call(
        &self,
        call: Call<'_>,
        progress: &ProgressSink,
    ) -> Result<CallOutput, ProviderError> {
        let prediction = self.create(call).await?;
        let _ = progress.send(Progress::RemoteId(prediction.id.clone()));
        self.follow(call, prediction, progress).await
    }

    async fn cancel(&self, remote_id: &str) -> Result<(), ProviderError> {
        if !is_plain_id(remote_id) {
            return Err(not_plain(remote_id));
        }
        self.cancel_prediction(remote_id).await
    }

    async fn resume(
        &self,
        call: Call<'_>,
        remote_id: &str,
        progress: &ProgressSink,
    ) -> Option<Result<CallOutput, ProviderError>> {
        if !is_plain_id(remote_id) {
            return Some(Err(not_plain(remote_id)));
        }
        let result = match self.fetch(remote_id).await {
            Ok(prediction) => self.follow(call, prediction, progress).await,
            Err(error) => Err(after_create(error, remote_id)),
        };
        Some(result)
    }
}
