//! Image providers, one module per API behind one trait. A provider turns one
//! call of a validated request into encoded images and the usage it reported.

pub mod error;
pub mod gemini;
pub mod http;
pub mod openai;
pub mod removebg;
pub mod replicate;
pub mod sandbox;
pub mod setup;
pub mod stability;

use async_trait::async_trait;
use tokio::sync::mpsc::UnboundedSender;

use crate::catalog::{Usage, ValidRequest};
pub use error::{Charged, ErrorClass, ProviderError};

/// One provider call: `n` images of `request`, starting at `seed` when the
/// model takes seeds.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    pub request: &'a ValidRequest,
    pub index: usize,
    pub n: u32,
    pub seed: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedImage {
    pub bytes: Vec<u8>,
    /// `png`, `jpeg` or `webp`.
    pub format: String,
    pub seed: Option<u64>,
    pub revised_prompt: Option<String>,
}

/// What a provider reports while a call is under way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    Status(String),
    RemoteId(String),
    /// A streamed preview of image `image` (0-based), the `index`th partial.
    Partial {
        image: u32,
        index: u32,
        preview: EncodedImage,
    },
}

pub type ProgressSink = UnboundedSender<Progress>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallOutput {
    pub images: Vec<EncodedImage>,
    pub usage: Option<Usage>,
    pub remote_id: Option<String>,
}

#[async_trait]
pub trait Provider: Send + Sync {
    /// Makes one call. A remote id (a prediction, an async result) is sent
    /// on `progress` as soon as it is known, so a restart can resume it.
    async fn call(
        &self,
        call: Call<'_>,
        progress: &ProgressSink,
    ) -> Result<CallOutput, ProviderError>;

    /// Cancels the remote work behind `remote_id`, where the API allows it.
    async fn cancel(&self, _remote_id: &str) -> Result<(), ProviderError> {
        Ok(())
    }

    /// Picks up a call that was under way before tintype stopped, by its
    /// remote id. `None`: this provider cannot resume.
    async fn resume(
        &self,
        _call: Call<'_>,
        _remote_id: &str,
        _progress: &ProgressSink,
    ) -> Option<Result<CallOutput, ProviderError>> {
        None
    }
}
