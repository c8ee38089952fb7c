//! `tintype models`: the catalog as a table or as JSON.

use clap::Args;
use serde_json::{Value, json};

use super::table::Table;
use super::{CliResult, Context};
use crate::catalog::{Catalog, Model, Operation, ParamSpec};
use crate::config::keys::process_env;

#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Print JSON: an array with every model's operations, parameters and prices
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &ModelsArgs) -> CliResult {
    let context = Context::load()?;
    let catalog = context.catalog()?;
    let key = |model: &Model| {
        if model.provider == "sandbox" {
            return Some("built in".to_string());
        }
        context
            .key_source(&catalog, &model.provider, &process_env)
            .map(|source| source.to_string())
    };
    if args.json {
        let models: Vec<Value> = catalog
            .models()
            .map(|m| model_json(m, key(m).as_deref()))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&models).map_err(anyhow::Error::from)?
        );
    } else {
        print!("{}", model_table(&catalog, &key));
    }
    Ok(())
}

fn model_table(catalog: &Catalog, key: &dyn Fn(&Model) -> Option<String>) -> String {
    let mut table = Table::new(&[
        ("MODEL", false),
        ("OPERATIONS", false),
        ("SIZES", false),
        ("N", true),
        ("PRICE", false),
    ]);
    for model in catalog.models() {
        let op = model
            .operation(model.default_operation())
            .expect("a model's default operation is one of its operations");
        let marker = if model.is_deprecated() { " *" } else { "" };
        table.push(vec![
            format!("{}{marker}", model.id),
            operations(model),
            sizes(op),
            n_range(op),
            op.pricing.summary(),
        ]);
    }
    let mut out = table.render();
    out.push_str(
        "* deprecated by the provider (tintype models --json says when and what replaces it)\n",
    );
    let mut keyed = Vec::new();
    let mut missing = Vec::new();
    for (id, provider) in catalog.providers() {
        let Some(example) = catalog.models().find(|m| &m.provider == id) else {
            continue;
        };
        match key(example) {
            Some(source) => keyed.push(format!("{id} ({source})")),
            None => missing.push(
                provider
                    .key_env
                    .first()
                    .map_or_else(|| id.clone(), |v| format!("${v}")),
            ),
        }
    }
    out.push_str(&format!("ready: {}\n", keyed.join(", ")));
    if !missing.is_empty() {
        out.push_str(&format!("no key yet: {}\n", missing.join(", ")));
    }
    out
}

/// The operations, shortened when there are many.
fn operations(model: &Model) -> String {
    let default = model.default_operation();
    let mut names: Vec<&str> = vec![default];
    names.extend(
        model
            .operations
            .keys()
            .map(String::as_str)
            .filter(|n| *n != default),
    );
    if names.len() <= 2 {
        names.join(", ")
    } else {
        format!("{}, {} +{}", names[0], names[1], names.len() - 2)
    }
}

fn n_range(op: &Operation) -> String {
    match op.n.max_per_request {
        1 => "1".into(),
        max => format!("1-{max}"),
    }
}

/// The sizes or aspect ratios an operation offers, shortened for a table.
fn sizes(op: &Operation) -> String {
    let listed = |spec: &ParamSpec, prefix: &str| {
        let values: Vec<String> = spec
            .values
            .iter()
            .map(ToString::to_string)
            .filter(|v| v != "auto" && v != "match_input_image")
            .collect();
        let shown = values.iter().take(2).cloned().collect::<Vec<_>>().join(" ");
        let more = if values.len() > 2 {
            format!(" +{}", values.len() - 2)
        } else {
            String::new()
        };
        let custom = if spec.custom.is_some() { ", any" } else { "" };
        format!("{prefix}{shown}{more}{custom}")
    };
    if let Some(size) = op
        .params
        .get("size")
        .filter(|s| s.kind == crate::catalog::ParamType::Size)
    {
        listed(size, "")
    } else if let Some(aspect) = op.params.get("aspect_ratio") {
        listed(aspect, "aspect ")
    } else if let Some(size) = op.params.get("image_size") {
        listed(size, "")
    } else if op.inputs.is_some() {
        "from input".into()
    } else {
        String::new()
    }
}

fn param_json(spec: &ParamSpec) -> Value {
    let mut param = json!({ "type": spec.kind.as_str() });
    let object = param.as_object_mut().expect("json! made an object");
    if !spec.values.is_empty() {
        object.insert("values".into(), json!(spec.values));
    }
    for (name, value) in [("min", spec.min), ("max", spec.max)] {
        if let Some(value) = value {
            object.insert(name.into(), json!(value));
        }
    }
    if let Some(max_chars) = spec.max_chars {
        object.insert("max_chars".into(), json!(max_chars));
    }
    if let Some(custom) = &spec.custom {
        object.insert(
            "custom".into(),
            json!({ "multiple_of": custom.multiple_of, "max_edge": custom.max_edge,
                    "min_pixels": custom.min_pixels, "max_pixels": custom.max_pixels, "max_ratio": custom.max_ratio }),
        );
    }
    if let Some(default) = &spec.default {
        object.insert("default".into(), json!(default));
    }
    if spec.required {
        object.insert("required".into(), json!(true));
    }
    if let Some(help) = &spec.help {
        object.insert("help".into(), json!(help));
    }
    param
}

fn operation_json(op: &Operation) -> Value {
    let params: serde_json::Map<String, Value> = op
        .params
        .iter()
        .map(|(name, spec)| (name.clone(), param_json(spec)))
        .collect();
    json!({
        "prompt_max_chars": op.prompt.as_ref().map(|p| p.max_chars),
        "prompt_required": op.prompt.as_ref().is_some_and(|p| p.required),
        "n": { "max_per_request": op.n.max_per_request, "max": op.n.max },
        "inputs": op.inputs.as_ref().map(|i| json!({ "min": i.min, "max": i.max, "formats": i.formats,
            "max_bytes": i.max_bytes, "square": i.square })),
        "mask": op.mask.as_ref().map(|m| json!({ "required": m.required, "formats": m.formats })),
        "outputs": op.outputs,
        "streaming": op.streaming,
        "seed": op.params.contains_key("seed"),
        "negative_prompt": op.params.contains_key("negative_prompt"),
        "params": params,
        "price": { "kind": op.pricing.kind(), "summary": op.pricing.summary(), "source": op.pricing.source() },
    })
}

fn model_json(model: &Model, key: Option<&str>) -> Value {
    let details: serde_json::Map<String, Value> = model
        .operations
        .iter()
        .map(|(name, op)| (name.clone(), operation_json(op)))
        .collect();
    json!({
        "id": model.id,
        "provider": model.provider,
        "label": model.label,
        "summary": model.summary,
        "operations": model.operations.keys().collect::<Vec<_>>(),
        "default_operation": model.default_operation(),
        "deprecated": model.is_deprecated(),
        "deprecation": model.deprecated.as_ref().map(|d| json!({
            "announced": d.announced, "shutdown": d.shutdown, "replacement": d.replacement, "source": d.source })),
        "key": key,
        "details": details,
    })
}
