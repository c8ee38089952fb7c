//! The `GenerateContentRequest` JSON one Gemini call sends (NOTES.md 4.1,
//! `gemini/proto/generative_service.proto:166`): one user turn holding the
//! prompt and each input image inline, and a `generationConfig` asking for
//! image output.

use serde_json::{Map, Value, json};

use crate::catalog::{InputImage, ParamValue, ValidRequest};
use crate::providers::http;
use crate::providers::{Call, ProviderError};

/// The request body: the prompt, the input images, `responseModalities`, and
/// exactly the parameters the user gave, placed by their wire names
/// (`imageConfig.aspectRatio` becomes `{"imageConfig": {"aspectRatio": ..}}`
/// under `generationConfig`), plus the operation's fixed values and, when the
/// model takes one, the call's seed (`generationConfig.seed`).
pub async fn body(call: &Call<'_>) -> Result<Value, ProviderError> {
    let request = call.request;
    let mut parts = Vec::new();
    if !request.prompt.is_empty() {
        parts.push(json!({ "text": request.prompt }));
    }
    for input in &request.inputs {
        parts.push(inline_image(input).await?);
    }
    let mut config = Map::new();
    config.insert("responseModalities".into(), json!(["TEXT", "IMAGE"]));
    let op = request.op();
    for (name, value) in &request.params {
        // The seed comes from the call: the engine picks one per call.
        if name == "seed" {
            continue;
        }
        let wire = op.params.get(name).and_then(|spec| spec.wire.as_deref());
        place(&mut config, wire.unwrap_or(name), value);
    }
    for (name, value) in &op.fixed {
        place(&mut config, name, value);
    }
    if let Some(seed) = call.seed.filter(|_| op.params.contains_key("seed")) {
        let wire = op.params.get("seed").and_then(|spec| spec.wire.as_deref());
        place(
            &mut config,
            wire.unwrap_or("seed"),
            &ParamValue::Int(i64::try_from(seed).unwrap_or(i64::MAX)),
        );
    }
    Ok(json!({
        "contents": [{ "role": "user", "parts": parts }],
        "generationConfig": config,
    }))
}

/// The path for `request`: the catalog's endpoint with the model's remote name.
pub fn path(request: &ValidRequest) -> String {
    request
        .op()
        .endpoint
        .as_deref()
        .unwrap_or("/models/{remote}:generateContent")
        .replace("{remote}", &request.model.remote)
}

/// Puts `value` at the dotted path `wire` inside `config`, making the
/// objects on the way.
fn place(config: &mut Map<String, Value>, wire: &str, value: &ParamValue) {
    let mut keys: Vec<&str> = wire.split('.').filter(|k| !k.is_empty()).collect();
    let Some(last) = keys.pop() else {
        return;
    };
    let mut object = config;
    for key in keys {
        let entry = object
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Some(inner) = entry.as_object_mut() else {
            return;
        };
        object = inner;
    }
    object.insert(last.to_string(), json_value(value));
}

fn json_value(value: &ParamValue) -> Value {
    match value {
        ParamValue::Bool(b) => json!(b),
        ParamValue::Int(i) => json!(i),
        ParamValue::Float(f) => json!(f),
        ParamValue::Text(t) => json!(t),
    }
}

async fn inline_image(input: &InputImage) -> Result<Value, ProviderError> {
    let bytes = http::read_input(input).await?;
    Ok(json!({
        "inlineData": {
            "mimeType": http::mime_type(&input.format),
            "data": http::encode_base64(&bytes),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_wire_names_nest() {
        let mut config = Map::new();
        place(
            &mut config,
            "imageConfig.aspectRatio",
            &ParamValue::text("16:9"),
        );
        place(
            &mut config,
            "imageConfig.imageSize",
            &ParamValue::text("2K"),
        );
        place(&mut config, "temperature", &ParamValue::Float(0.5));
        assert_eq!(
            Value::Object(config),
            json!({
                "imageConfig": { "aspectRatio": "16:9", "imageSize": "2K" },
                "temperature": 0.5,
            })
        );
    }
}
