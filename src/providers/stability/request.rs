//! The multipart form one Stability v2beta call sends. Every Stability
//! endpoint takes `multipart/form-data`, text-only generations included
//! (NOTES.md 3), so even a bare prompt travels as a form.

use reqwest::multipart::{Form, Part};

use crate::catalog::{InputImage, ValidRequest};
use crate::providers::{Call, ErrorClass, ProviderError, http};

/// The form for `call`: the prompt when the operation takes one, exactly the
/// parameters the user gave (under their wire names), the operation's fixed
/// values, the seed, and the input image and mask as file parts. `reqwest`
/// sets the multipart boundary itself.
pub async fn form(call: &Call<'_>) -> Result<Form, ProviderError> {
    let request = call.request;
    let op = request.op();
    let mut form = Form::new();
    if op.prompt.is_some() && !request.prompt.is_empty() {
        form = form.text("prompt", request.prompt.clone());
    }
    for (name, value) in &request.params {
        // The seed comes from the call: the engine picks one per call.
        if name == "seed" {
            continue;
        }
        let wire = op
            .params
            .get(name)
            .and_then(|spec| spec.wire.clone())
            .unwrap_or_else(|| name.clone());
        form = form.text(wire, value.to_string());
    }
    for (name, value) in &op.fixed {
        form = form.text(name.clone(), value.to_string());
    }
    if let Some(seed) = call.seed.filter(|_| op.params.contains_key("seed")) {
        form = form.text("seed", seed.to_string());
    }
    if let Some(input) = request.inputs.first() {
        let name = op.inputs.as_ref().and_then(|i| i.wire.clone());
        form = form.part(name.unwrap_or_else(|| "image".into()), file(input).await?);
    }
    if let Some(mask) = &request.mask {
        let name = op.mask.as_ref().and_then(|m| m.wire.clone());
        form = form.part(name.unwrap_or_else(|| "mask".into()), file(mask).await?);
    }
    Ok(form)
}

/// The endpoint path for `request`, from the catalog.
pub fn endpoint(request: &ValidRequest) -> Result<&str, ProviderError> {
    request.op().endpoint.as_deref().ok_or_else(|| {
        ProviderError::new(
            ErrorClass::InvalidRequest,
            format!(
                "the catalog gives no Stability endpoint for {} {}",
                request.model.id, request.operation
            ),
        )
    })
}

async fn file(input: &InputImage) -> Result<Part, ProviderError> {
    let bytes = http::read_input(input).await?;
    let mime = http::mime_type(&input.format);
    Part::bytes(bytes)
        .file_name(input.name())
        .mime_str(mime)
        .map_err(|e| {
            ProviderError::new(
                ErrorClass::InvalidRequest,
                format!("cannot attach the image as {mime}: {e}"),
            )
        })
}
