//! What `OpenAI`'s image endpoints are sent (NOTES.md 1.1-1.3): the fields of
//! a call in wire names, as the JSON body of a generation or the multipart
//! form of an edit or a variation.

use reqwest::multipart::{Form, Part};
use serde_json::{Map, Value};

use super::is_dall_e;
use crate::catalog::{InputImage, ParamValue, ValidRequest};
use crate::providers::{Call, ErrorClass, ProviderError, http};

/// A call's fields, wire name to value, in the order they are sent: model,
/// prompt, count, the parameters the user gave, the operation's fixed values
/// and, for DALL·E, `response_format`.
pub(super) fn fields(call: &Call<'_>) -> Vec<(String, ParamValue)> {
    let request = call.request;
    let op = request.op();
    let mut fields = Fields::default();
    fields.set("model", ParamValue::text(&request.model.remote));
    if !request.prompt.is_empty() {
        fields.set("prompt", ParamValue::text(&request.prompt));
    }
    // DALL·E 3 makes one image per request and rejects any other count.
    if op.n.max_per_request > 1 || op.n.wire.is_some() {
        let wire = op.n.wire.as_deref().unwrap_or("n");
        fields.set(wire, ParamValue::Int(i64::from(call.n)));
    }
    for (name, value) in &request.params {
        if name != "seed" {
            fields.set(&wire_name(request, name), value.clone());
        }
    }
    if let Some(seed) = call.seed.filter(|_| request.takes_seed()) {
        let seed = ParamValue::Int(i64::try_from(seed).unwrap_or(i64::MAX));
        fields.set(&wire_name(request, "seed"), seed);
    }
    for (name, value) in &op.fixed {
        fields.set(name, value.clone());
    }
    // GPT image models reject `response_format` and always answer in base64;
    // DALL·E answers with a link that expires in an hour unless asked not to.
    if is_dall_e(&request.model) && !fields.has("response_format") {
        fields.set("response_format", ParamValue::text("b64_json"));
    }
    fields.0
}

/// The JSON body of a generation.
pub(super) fn json_body(fields: &[(String, ParamValue)]) -> Value {
    let object: Map<String, Value> = fields
        .iter()
        .map(|(name, value)| (name.clone(), json_value(value)))
        .collect();
    Value::Object(object)
}

/// The multipart form of an edit or a variation: the input images as file
/// parts, the mask, then every field as a text part.
pub(super) async fn multipart_body(
    request: &ValidRequest,
    fields: &[(String, ParamValue)],
) -> Result<Form, ProviderError> {
    let op = request.op();
    let image_field = op
        .inputs
        .as_ref()
        .and_then(|inputs| inputs.wire.clone())
        .unwrap_or_else(|| image_field(request).to_string());
    let mut form = Form::new();
    for input in &request.inputs {
        form = form.part(image_field.clone(), file_part(input).await?);
    }
    if let Some(mask) = &request.mask {
        let wire = op
            .mask
            .as_ref()
            .and_then(|m| m.wire.clone())
            .unwrap_or_else(|| "mask".to_string());
        form = form.part(wire, file_part(mask).await?);
    }
    for (name, value) in fields {
        form = form.text(name.clone(), value.to_string());
    }
    Ok(form)
}

/// `image[]` for GPT image models, as the spec's own curl example and the
/// SDKs send several images (NOTES.md 1.2 quirk); DALL·E 2 takes one `image`.
fn image_field(request: &ValidRequest) -> &'static str {
    if is_dall_e(&request.model) {
        "image"
    } else {
        "image[]"
    }
}

fn wire_name(request: &ValidRequest, name: &str) -> String {
    request
        .op()
        .params
        .get(name)
        .and_then(|spec| spec.wire.clone())
        .unwrap_or_else(|| name.to_string())
}

fn json_value(value: &ParamValue) -> Value {
    match value {
        ParamValue::Bool(flag) => Value::Bool(*flag),
        ParamValue::Int(number) => Value::from(*number),
        ParamValue::Float(number) => Value::from(*number),
        ParamValue::Text(text) => Value::String(text.clone()),
    }
}

/// An input file as a part with its name and content type. Read on a
/// blocking thread: inputs may be up to 50 MB.
async fn file_part(input: &InputImage) -> Result<Part, ProviderError> {
    let bytes = http::read_input(input).await?;
    Part::bytes(bytes)
        .file_name(input.name())
        .mime_str(http::mime_type(&input.format))
        .map_err(|e| {
            ProviderError::new(ErrorClass::InvalidRequest, format!("{}: {e}", input.name()))
        })
}

/// Fields in sending order; setting a name again replaces its value.
#[derive(Default)]
struct Fields(Vec<(String, ParamValue)>);

impl Fields {
    fn set(&mut self, name: &str, value: ParamValue) {
        match self.0.iter_mut().find(|(known, _)| known == name) {
            Some(field) => field.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(known, _)| known == name)
    }
}
