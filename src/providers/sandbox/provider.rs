//! The sandbox as a `Provider`: pretends to take `latency_ms`, streams coarse
//! partial previews when asked, fails on purpose when `fail` says so, and
//! otherwise returns deterministic placeholders for (prompt, seed).

use std::io::Cursor;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use image::{ImageFormat, RgbaImage};

use super::{render, transform};
use crate::providers::{
    Call, CallOutput, EncodedImage, ErrorClass, Progress, ProgressSink, Provider, ProviderError,
};

/// The offline provider. Its only state counts attempts, so `fail_times`
/// can fail a call a few times and then let it through (to show retries).
#[derive(Debug, Default)]
pub struct Sandbox {
    attempts: std::sync::Mutex<std::collections::HashMap<String, u32>>,
}

impl Sandbox {
    /// Counts this attempt at the call and says whether it should fail.
    fn should_fail(&self, call: &Call<'_>, fail_times: i64) -> bool {
        if fail_times <= 0 {
            return true;
        }
        let key = format!(
            "{}|{}|{}|{:?}",
            call.request.model.id, call.request.prompt, call.index, call.seed
        );
        let mut attempts = self
            .attempts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let seen = attempts.entry(key).or_insert(0);
        *seen += 1;
        i64::from(*seen) <= fail_times
    }
}

/// What to draw for one image, owned so it can move to a blocking thread.
struct Plan {
    operation: String,
    prompt: String,
    seed: u64,
    size: (u32, u32),
    input: Option<PathBuf>,
    mask: Option<PathBuf>,
    factor: u32,
}

/// The failure a `fail` value asks for, as a real provider would report it.
fn simulated_failure(kind: &str) -> Option<ProviderError> {
    let (class, status, message) = match kind {
        "rate_limit" => (
            ErrorClass::RateLimited,
            429,
            "sandbox: rate limit reached (simulated)",
        ),
        "server_error" => (
            ErrorClass::Transient,
            500,
            "sandbox: internal server error (simulated)",
        ),
        "moderation" => (
            ErrorClass::Moderation,
            400,
            "sandbox: the prompt was refused by the (simulated) safety system",
        ),
        "auth" => (
            ErrorClass::Authentication,
            401,
            "sandbox: the API key was refused (simulated)",
        ),
        "quota" => (
            ErrorClass::InsufficientCredit,
            402,
            "sandbox: the account is out of credit (simulated)",
        ),
        "invalid" => (
            ErrorClass::InvalidRequest,
            400,
            "sandbox: the provider rejected a parameter (simulated)",
        ),
        "unknown_outcome" => (
            ErrorClass::UnknownOutcome,
            0,
            "sandbox: the connection dropped after the request was sent (simulated)",
        ),
        _ => return None,
    };
    let mut error = ProviderError::new(class, message);
    if status != 0 {
        error = error.with_status(status);
    }
    if class == ErrorClass::RateLimited {
        error = error.with_retry_after(Duration::from_secs(2));
    }
    Some(error)
}

fn int_param(call: &Call<'_>, name: &str, default: i64) -> i64 {
    call.request
        .value(name)
        .and_then(|v| v.as_i64())
        .unwrap_or(default)
}

fn text_param(call: &Call<'_>, name: &str, default: &str) -> String {
    call.request
        .value(name)
        .map_or_else(|| default.to_string(), |v| v.to_string())
}

fn draw(plan: &Plan) -> Result<RgbaImage, ProviderError> {
    let load = |path: &PathBuf| {
        image::open(path).map(|img| img.to_rgba8()).map_err(|e| {
            ProviderError::new(
                ErrorClass::InvalidRequest,
                format!("cannot read {}: {e}", path.display()),
            )
        })
    };
    let input = || {
        plan.input.as_ref().map_or_else(
            || {
                Err(ProviderError::new(
                    ErrorClass::InvalidRequest,
                    "this operation needs an input image",
                ))
            },
            load,
        )
    };
    Ok(match plan.operation.as_str() {
        "edit" => {
            let mask = plan.mask.as_ref().map(load).transpose()?;
            transform::edit(&input()?, mask.as_ref(), &plan.prompt, plan.seed)
        }
        "variation" => transform::variation(&input()?, plan.seed),
        "upscale" => transform::upscale(&input()?, plan.factor),
        "remove-background" => transform::remove_background(&input()?),
        _ => render::render(&plan.prompt, plan.seed, plan.size.0, plan.size.1),
    })
}

/// Encodes in the requested format. JPEG has no alpha, so it is dropped.
pub fn encode(picture: &RgbaImage, format: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Cursor::new(Vec::new());
    let result = match format {
        "jpeg" => image::DynamicImage::ImageRgba8(picture.clone())
            .to_rgb8()
            .write_to(&mut bytes, ImageFormat::Jpeg),
        "webp" => picture.write_to(&mut bytes, ImageFormat::WebP),
        _ => picture.write_to(&mut bytes, ImageFormat::Png),
    };
    result.map_err(|e| format!("cannot encode the image as {format}: {e}"))?;
    Ok(bytes.into_inner())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ProviderError> + Send + 'static,
) -> Result<T, ProviderError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        ProviderError::new(
            ErrorClass::Transient,
            format!("sandbox worker stopped: {e}"),
        )
    })?
}

fn internal(message: String) -> ProviderError {
    ProviderError::new(ErrorClass::Transient, message)
}

#[async_trait]
impl Provider for Sandbox {
    async fn call(
        &self,
        call: Call<'_>,
        progress: &ProgressSink,
    ) -> Result<CallOutput, ProviderError> {
        let request = call.request;
        let latency =
            Duration::from_millis(u64::try_from(int_param(&call, "latency_ms", 400)).unwrap_or(0));
        let _ = progress.send(Progress::Status(
            "drawing placeholders (sandbox: no AI, no network)".into(),
        ));
        if let Some(error) = simulated_failure(&text_param(&call, "fail", "none"))
            && self.should_fail(&call, int_param(&call, "fail_times", 0))
        {
            tokio::time::sleep(latency).await;
            return Err(error);
        }
        let streaming = request
            .value("stream")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let partials = if streaming {
            u32::try_from(int_param(&call, "partial_images", 0)).unwrap_or(0)
        } else {
            0
        };
        let format = text_param(&call, "output_format", "png");
        let size = request.size().map_or((1024, 1024), |s| (s.width, s.height));
        let steps = call.n.max(1) * (partials + 1);
        let step = latency / steps;
        // Seeds stay in the catalog's 0..2^32 range, one per image.
        let base = call.seed.unwrap_or_else(|| u64::from(fastrand::u32(..)));

        let mut images = Vec::with_capacity(call.n as usize);
        for image in 0..call.n {
            let seed = (base + u64::from(image)) % (1 << 32);
            let plan = Plan {
                operation: request.operation.clone(),
                prompt: request.prompt.clone(),
                seed,
                size,
                input: request.inputs.first().map(|i| i.path.clone()),
                mask: request.mask.as_ref().map(|m| m.path.clone()),
                factor: u32::try_from(int_param(&call, "factor", 2)).unwrap_or(2),
            };
            let picture = std::sync::Arc::new(blocking(move || draw(&plan)).await?);
            for index in 0..partials {
                tokio::time::sleep(step).await;
                let source = picture.clone();
                let bytes = blocking(move || {
                    encode(&render::render_partial(&source, index, partials), "png")
                        .map_err(internal)
                })
                .await?;
                let preview = EncodedImage {
                    bytes,
                    format: "png".into(),
                    seed: Some(seed),
                    revised_prompt: None,
                };
                let _ = progress.send(Progress::Partial {
                    image,
                    index,
                    preview,
                });
            }
            tokio::time::sleep(step).await;
            let wanted = format.clone();
            let bytes = blocking(move || encode(&picture, &wanted).map_err(internal)).await?;
            images.push(EncodedImage {
                bytes,
                format: format.clone(),
                seed: Some(seed),
                revised_prompt: None,
            });
        }
        Ok(CallOutput {
            images,
            usage: None,
            remote_id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, Draft, ValidRequest, text_params};

    fn request(params: &[(&str, &str)]) -> ValidRequest {
        let draft = Draft {
            model: "sandbox/procedural".into(),
            prompt: Some("a lighthouse at dusk".into()),
            params: text_params(params),
            split: true,
            ..Draft::default()
        };
        Catalog::embedded().unwrap().validate(&draft).unwrap()
    }

    async fn run(
        request: &ValidRequest,
        n: u32,
        seed: Option<u64>,
    ) -> (Result<CallOutput, ProviderError>, Vec<Progress>) {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let call = Call {
            request,
            index: 0,
            n,
            seed,
        };
        let result = Sandbox::default().call(call, &tx).await;
        drop(tx);
        let mut events = Vec::new();
        while let Some(event) = rx.recv().await {
            events.push(event);
        }
        (result, events)
    }

    #[tokio::test]
    async fn same_prompt_and_seed_give_the_same_picture() {
        let req = request(&[("size", "64x48"), ("latency_ms", "0")]);
        let (first, _) = run(&req, 2, Some(7)).await;
        let (again, _) = run(&req, 1, Some(7)).await;
        let first = first.unwrap();
        assert_eq!(first.images.len(), 2);
        assert_eq!(first.images[0], again.unwrap().images[0]);
        assert_eq!(first.images[0].seed, Some(7));
        assert_eq!(first.images[1].seed, Some(8));
        assert_ne!(first.images[0].bytes, first.images[1].bytes);
        let decoded = image::load_from_memory(&first.images[0].bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (64, 48));
    }

    #[tokio::test]
    async fn streams_partials_before_the_final_image() {
        let req = request(&[
            ("size", "64x64"),
            ("latency_ms", "0"),
            ("stream", "true"),
            ("partial_images", "2"),
            ("output_format", "webp"),
        ]);
        let (result, events) = run(&req, 1, Some(1)).await;
        let partials: Vec<u32> = events
            .iter()
            .filter_map(|e| match e {
                Progress::Partial { index, .. } => Some(*index),
                _ => None,
            })
            .collect();
        assert_eq!(partials, vec![0, 1]);
        let image = &result.unwrap().images[0];
        assert_eq!(image.format, "webp");
        assert_eq!(
            image::guess_format(&image.bytes).unwrap(),
            ImageFormat::WebP
        );
    }

    #[tokio::test]
    async fn fails_the_way_it_is_told() {
        for (kind, class) in [
            ("rate_limit", ErrorClass::RateLimited),
            ("server_error", ErrorClass::Transient),
            ("moderation", ErrorClass::Moderation),
            ("auth", ErrorClass::Authentication),
            ("quota", ErrorClass::InsufficientCredit),
            ("invalid", ErrorClass::InvalidRequest),
            ("unknown_outcome", ErrorClass::UnknownOutcome),
        ] {
            let req = request(&[("fail", kind), ("latency_ms", "0")]);
            let error = run(&req, 1, None).await.0.unwrap_err();
            assert_eq!(error.class, class, "{kind}");
        }
        let limited = run(
            &request(&[("fail", "rate_limit"), ("latency_ms", "0")]),
            1,
            None,
        )
        .await
        .0
        .unwrap_err();
        assert_eq!(limited.retry_after, Some(Duration::from_secs(2)));
    }

    #[tokio::test]
    async fn jpeg_output_drops_alpha() {
        let req = request(&[
            ("size", "32x32"),
            ("latency_ms", "0"),
            ("output_format", "jpeg"),
        ]);
        let image = &run(&req, 1, Some(3)).await.0.unwrap().images[0];
        assert_eq!(
            image::guess_format(&image.bytes).unwrap(),
            ImageFormat::Jpeg
        );
    }
}
