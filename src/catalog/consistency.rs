//! Load-time checks that a model's entry makes sense on its own terms, so a
//! bad price table or a default outside its own range fails loudly at start.

use std::collections::BTreeMap;

use super::coerce::coerce;
use super::pricing::PricingSpec;
use super::spec::{Model, Operation, ParamType, ProviderSpec};

/// Every provider's default model must exist and belong to it.
pub fn check_provider_defaults(
    providers: &BTreeMap<String, ProviderSpec>,
    models: &BTreeMap<String, std::sync::Arc<Model>>,
) -> Result<(), String> {
    for (id, provider) in providers {
        if let Some(default) = &provider.default_model
            && models.get(default).is_none_or(|m| &m.provider != id)
        {
            return Err(format!(
                "providers.{id}.default_model {default:?} is not one of its models"
            ));
        }
    }
    Ok(())
}

pub fn check_model(
    model: &Model,
    providers: &BTreeMap<String, ProviderSpec>,
) -> Result<(), String> {
    let at = |what: String| format!("models.{:?}: {what}", model.id);
    if !providers.contains_key(&model.provider) {
        return Err(at(format!(
            "provider {:?} is not in [providers]",
            model.provider
        )));
    }
    if !model.id.starts_with(&format!("{}/", model.provider)) {
        return Err(at(format!(
            "the id must start with {:?}",
            format!("{}/", model.provider)
        )));
    }
    if model.operations.is_empty() {
        return Err(at("has no operations".into()));
    }
    for (name, op) in &model.operations {
        check_operation(model, op).map_err(|e| at(format!("operations.{name}: {e}")))?;
    }
    Ok(())
}

fn check_operation(model: &Model, op: &Operation) -> Result<(), String> {
    if op.n.max_per_request == 0 || op.n.max == 0 {
        return Err("n limits must be at least 1".into());
    }
    for (name, spec) in &op.params {
        let needs_values = matches!(spec.kind, ParamType::Enum)
            || (spec.kind == ParamType::Size && spec.custom.is_none());
        if needs_values && spec.values.is_empty() {
            return Err(format!("params.{name} lists no values"));
        }
        if let (Some(min), Some(max)) = (spec.min, spec.max)
            && min > max
        {
            return Err(format!("params.{name} has min above max"));
        }
        if let Some(default) = &spec.default {
            coerce(name, spec, default, &model.id)
                .map_err(|e| format!("params.{name} default: {e}"))?;
        }
        for value in &spec.values {
            coerce(name, spec, value, &model.id)
                .map_err(|e| format!("params.{name} values: {e}"))?;
        }
    }
    for rule in &op.rules {
        for param in [&rule.when.param, &rule.then.param] {
            if !op.params.contains_key(param) {
                return Err(format!("a rule names {param:?}, which is not a parameter"));
            }
        }
    }
    for param in &op.at_least_one {
        if !op.params.contains_key(param) {
            return Err(format!(
                "at_least_one names {param:?}, which is not a parameter"
            ));
        }
    }
    for key in op.pricing.keys() {
        if !op.params.contains_key(key) {
            return Err(format!(
                "pricing rows look at {key:?}, which is not a parameter"
            ));
        }
    }
    if op.pricing.source().trim().is_empty() {
        return Err("pricing needs a source".into());
    }
    if let PricingSpec::PerImage(p) = &op.pricing
        && p.usd.is_none()
        && p.rows.is_empty()
    {
        return Err("per_image pricing needs usd or rows".into());
    }
    if let PricingSpec::Credits(p) = &op.pricing
        && p.credits.is_none()
        && p.rows.is_empty()
    {
        return Err("credits pricing needs credits or rows".into());
    }
    Ok(())
}
