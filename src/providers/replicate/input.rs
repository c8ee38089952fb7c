//! The create-prediction request: which path, and the `input` object built
//! from the parameters the user gave (NOTES.md 2.1).

use serde_json::{Map, Value, json};

use crate::catalog::size::Size;
use crate::catalog::{InputImage, ParamValue, ValidRequest};
use crate::providers::http::{encode_base64, mime_type, read_input};
use crate::providers::{Call, ErrorClass, ProviderError};

/// Where to POST and what.
#[derive(Debug)]
pub(super) struct CreateRequest {
    pub path: String,
    pub body: Value,
}

/// Official models (no pinned version) are created by name under
/// `/models/{owner}/{name}/predictions`, whose schema forbids a `version`
/// field; pinned community models go to `/predictions` with their version.
pub(super) async fn create_request(call: Call<'_>) -> Result<CreateRequest, ProviderError> {
    let request = call.request;
    let input = Value::Object(input_object(call).await?);
    Ok(match &request.model.version {
        Some(version) => CreateRequest {
            path: "/predictions".into(),
            body: json!({ "version": version, "input": input }),
        },
        None => CreateRequest {
            path: request
                .op()
                .endpoint
                .clone()
                .unwrap_or_else(|| format!("/models/{}/predictions", request.model.remote)),
            body: json!({ "input": input }),
        },
    })
}

async fn input_object(call: Call<'_>) -> Result<Map<String, Value>, ProviderError> {
    let request = call.request;
    let op = request.op();
    let mut input = Map::new();
    if !request.prompt.is_empty() {
        input.insert("prompt".into(), request.prompt.clone().into());
    }
    for (name, value) in &request.params {
        // The seed of this call comes from `call.seed`; the count from `call.n`.
        if name == "seed" || name == "n" {
            continue;
        }
        let wire = op
            .params
            .get(name)
            .and_then(|spec| spec.wire.as_deref())
            .unwrap_or(name);
        insert_param(&mut input, name, wire, value)?;
    }
    for (name, value) in &op.fixed {
        input.insert(name.clone(), json_value(value));
    }
    if let Some(count) = &op.n.wire {
        input.insert(count.clone(), call.n.into());
    }
    if op.params.contains_key("seed")
        && let Some(seed) = call.seed.or_else(|| request.seed())
    {
        input.insert("seed".into(), seed.into());
    }
    insert_images(&mut input, request).await?;
    Ok(input)
}

/// A parameter under its wire name; a size whose wire name is a pair
/// (`width,height`) becomes two integers.
fn insert_param(
    input: &mut Map<String, Value>,
    name: &str,
    wire: &str,
    value: &ParamValue,
) -> Result<(), ProviderError> {
    let Some((width_name, height_name)) = wire.split_once(',') else {
        input.insert(wire.to_string(), json_value(value));
        return Ok(());
    };
    let size = value.as_str().and_then(Size::parse).ok_or_else(|| {
        ProviderError::new(
            ErrorClass::InvalidRequest,
            format!("{name} {value} is not a WIDTHxHEIGHT size, which this model needs"),
        )
    })?;
    input.insert(width_name.trim().to_string(), size.width.into());
    input.insert(height_name.trim().to_string(), size.height.into());
    Ok(())
}

fn json_value(value: &ParamValue) -> Value {
    match value {
        ParamValue::Bool(flag) => Value::Bool(*flag),
        ParamValue::Int(number) => (*number).into(),
        ParamValue::Float(number) => {
            serde_json::Number::from_f64(*number).map_or(Value::Null, Value::Number)
        }
        ParamValue::Text(text) => Value::String(text.clone()),
    }
}

/// Input images and the mask as data URLs, under the catalog's wire names.
/// An operation that takes several images gets an array even for one.
async fn insert_images(
    input: &mut Map<String, Value>,
    request: &ValidRequest,
) -> Result<(), ProviderError> {
    let op = request.op();
    if let (Some(rules), false) = (&op.inputs, request.inputs.is_empty()) {
        let mut urls = Vec::with_capacity(request.inputs.len());
        for image in &request.inputs {
            urls.push(Value::String(data_url(image).await?));
        }
        let wire = rules.wire.clone().unwrap_or_else(|| "image".into());
        let value = if rules.max > 1 {
            Value::Array(urls)
        } else {
            urls.swap_remove(0)
        };
        input.insert(wire, value);
    }
    if let Some(mask) = &request.mask {
        let wire = op
            .mask
            .as_ref()
            .and_then(|rules| rules.wire.clone())
            .unwrap_or_else(|| "mask".into());
        input.insert(wire, data_url(mask).await?.into());
    }
    Ok(())
}

/// `data:image/png;base64,...` from the file on disk.
pub(super) async fn data_url(image: &InputImage) -> Result<String, ProviderError> {
    let bytes = read_input(image).await?;
    let mime = mime_type(&image.format);
    Ok(format!("data:{mime};base64,{}", encode_base64(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_with_a_pair_of_wire_names_becomes_two_integers() {
        let mut input = Map::new();
        insert_param(
            &mut input,
            "size",
            "width,height",
            &ParamValue::text("1152x896"),
        )
        .unwrap();
        assert_eq!(Value::Object(input), json!({"width": 1152, "height": 896}));

        let error = insert_param(
            &mut Map::new(),
            "size",
            "width,height",
            &ParamValue::text("auto"),
        )
        .unwrap_err();
        assert_eq!(error.class, ErrorClass::InvalidRequest);
        assert!(error.message.contains("WIDTHxHEIGHT"), "{}", error.message);
    }

    #[test]
    fn typed_values_keep_their_json_types() {
        assert_eq!(json_value(&ParamValue::Bool(true)), json!(true));
        assert_eq!(json_value(&ParamValue::Int(4)), json!(4));
        assert_eq!(json_value(&ParamValue::Float(7.5)), json!(7.5));
        assert_eq!(json_value(&ParamValue::text("0.25")), json!("0.25"));
    }
}
