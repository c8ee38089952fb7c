//! The remove.bg client: one multipart POST to `/removebg` that answers with
//! the cut-out image, the credits charged in `X-Credits-Charged`.

use async_trait::async_trait;
use reqwest::multipart::{Form, Part};

use super::http::{self, Connection};
use super::{
    Call, CallOutput, Charged, EncodedImage, ErrorClass, Progress, ProgressSink, Provider,
    ProviderError,
};
use crate::catalog::{InputImage, Usage, ValidRequest};
use crate::money::parse_scaled;

pub struct RemoveBg {
    conn: Connection,
}

impl RemoveBg {
    pub fn new(conn: Connection) -> RemoveBg {
        RemoveBg { conn }
    }
}

/// The form: `image_file`, then the parameters given under their wire names,
/// and `format=png` unless given, since tintype keeps the transparency.
async fn form(request: &ValidRequest) -> Result<Form, ProviderError> {
    let image = request.inputs.first().ok_or_else(|| {
        ProviderError::new(ErrorClass::InvalidRequest, "remove.bg needs an input image")
    })?;
    let mut form = Form::new().part("image_file", image_part(image).await?);
    let op = request.op();
    let mut fields: Vec<(String, String)> = Vec::new();
    for (name, value) in &request.params {
        let wire = op
            .params
            .get(name)
            .and_then(|spec| spec.wire.clone())
            .unwrap_or_else(|| name.clone());
        fields.push((wire, value.to_string()));
    }
    for (name, value) in &op.fixed {
        fields.push((name.clone(), value.to_string()));
    }
    if !fields.iter().any(|(name, _)| name == "format") {
        fields.push(("format".into(), "png".into()));
    }
    for (name, value) in fields {
        form = form.text(name, value);
    }
    Ok(form)
}

async fn image_part(image: &InputImage) -> Result<Part, ProviderError> {
    let bytes = http::read_input(image).await?;
    let (mime, extension) = match image.format.as_str() {
        "jpeg" => ("image/jpeg", "jpg"),
        "webp" => ("image/webp", "webp"),
        _ => ("image/png", "png"),
    };
    // A neutral name: the user's own file names stay on their machine.
    Part::bytes(bytes)
        .file_name(format!("image.{extension}"))
        .mime_str(mime)
        .map_err(|e| ProviderError::new(ErrorClass::InvalidRequest, format!("{mime}: {e}")))
}

/// `X-Credits-Charged` (`1`, `0.25`) exactly, in millionths of a credit.
fn credits_charged(body: &http::Body) -> Option<Usage> {
    let text = body.header("x-credits-charged")?;
    parse_scaled(text)
        .ok()
        .map(|micro_credits| Usage::Credits { micro_credits })
}

fn status_line(body: &http::Body, usage: Option<&Usage>) -> String {
    let size = match (body.header("x-width"), body.header("x-height")) {
        (Some(width), Some(height)) => {
            let plain = |v: &str| v.trim().bytes().all(|b| b.is_ascii_digit()) && !v.is_empty();
            if plain(width) && plain(height) {
                format!(" {}x{}", width.trim(), height.trim())
            } else {
                String::new()
            }
        }
        _ => String::new(),
    };
    let credits = match usage {
        Some(Usage::Credits { micro_credits }) => format!(
            ", {} credit(s)",
            crate::money::format_scaled(*micro_credits, 0)
        ),
        _ => String::new(),
    };
    format!("remove.bg returned the cut-out{size}{credits}")
}

/// A 200 that is not an image: say what came, and when remove.bg's header
/// says credits were charged for it, that it was billed.
fn not_an_image(
    mut error: ProviderError,
    content_type: &str,
    usage: Option<&Usage>,
) -> ProviderError {
    if !content_type.is_empty() {
        error.message = format!(
            "{} (it came as {})",
            error.message,
            crate::text::truncate(&crate::text::strip_controls(content_type, true), 80)
        );
    }
    if let Some(Usage::Credits { micro_credits }) = usage
        && *micro_credits > 0
    {
        error.charged = Charged::Yes;
    }
    error
}

#[async_trait]
impl Provider for RemoveBg {
    async fn call(
        &self,
        call: Call<'_>,
        progress: &ProgressSink,
    ) -> Result<CallOutput, ProviderError> {
        let request = call.request;
        let path = request.op().endpoint.as_deref().unwrap_or("/removebg");
        let builder = self
            .conn
            .client
            .post(self.conn.url(path))
            .header("X-Api-Key", self.conn.key.expose())
            .multipart(form(request).await?);
        let response = http::send(builder, true).await?;
        let body = http::read(response, self.conn.limits.max_body_bytes, true)
            .await?
            .ok()?;
        let usage = credits_charged(&body);
        let content_type = body.content_type();
        let format = http::image_format(&body.bytes, "remove.bg's answer")
            .map_err(|error| not_an_image(error, &content_type, usage.as_ref()))?;
        let _ = progress.send(Progress::Status(status_line(&body, usage.as_ref())));
        Ok(CallOutput {
            images: vec![EncodedImage {
                bytes: body.bytes,
                format,
                seed: None,
                revised_prompt: None,
            }],
            usage,
            remote_id: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn answer(pairs: &[(&'static str, &str)]) -> http::Body {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        http::Body {
            status: StatusCode::OK,
            headers,
            bytes: Vec::new(),
        }
    }

    #[test]
    fn credits_are_read_exactly() {
        let credits = |value: &str| credits_charged(&answer(&[("x-credits-charged", value)]));
        assert_eq!(
            credits("0.25"),
            Some(Usage::Credits {
                micro_credits: 250_000
            })
        );
        assert_eq!(
            credits("1"),
            Some(Usage::Credits {
                micro_credits: 1_000_000
            })
        );
        assert_eq!(credits("a lot"), None);
        assert_eq!(credits_charged(&answer(&[])), None);
    }

    #[test]
    fn the_status_line_shows_only_plain_numbers() {
        let usage = Usage::Credits {
            micro_credits: 250_000,
        };
        assert_eq!(
            status_line(
                &answer(&[("x-width", "640"), ("x-height", "480")]),
                Some(&usage)
            ),
            "remove.bg returned the cut-out 640x480, 0.25 credit(s)"
        );
        assert_eq!(
            status_line(&answer(&[("x-width", "wide"), ("x-height", "4")]), None),
            "remove.bg returned the cut-out"
        );
    }
}
