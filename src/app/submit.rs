//! Turning what the studio holds into requests for the engine: the form's
//! draft, a comparison across models, or a stored request rebuilt for a
//! reroll, retry or re-run. All go through the catalog's validation.

use std::sync::Arc;

use crate::catalog::{Catalog, Cost, InputImage, ParamValue, Params, ValidRequest, estimate};
use crate::engine::budget::{Caps, Verdict, judge};
use crate::money::Micros;
use crate::store::{RequestId, StoredRequest};

use super::form::ParamForm;

/// Requests ready for the engine, with their estimates.
#[derive(Clone, Debug)]
pub struct Submission {
    pub requests: Vec<(ValidRequest, Cost)>,
    pub preset: Option<String>,
    /// A comparison: its results fill the compare grid.
    pub compare: bool,
    /// What it is, for the status line: "reroll of #12".
    pub label: String,
}

impl Submission {
    pub fn total(&self) -> Micros {
        self.requests.iter().map(|(_, c)| c.micros).sum()
    }

    pub fn images(&self) -> u32 {
        self.requests.iter().map(|(r, _)| r.n).sum()
    }

    /// The estimate's rule, or the rules joined for several requests.
    pub fn rule(&self) -> String {
        let rules: Vec<&str> = self.requests.iter().map(|(_, c)| c.rule.as_str()).collect();
        rules.join(" + ")
    }

    pub fn verdict(&self, caps: Caps, today: Micros, month: Micros) -> Verdict {
        judge(caps, today, month, self.total())
    }
}

/// How a rerun picks its seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedChoice {
    /// A new random seed: a different picture.
    New,
    /// This seed: the same picture where the model honours seeds.
    Same(i64),
    /// As the request was stored (its explicit seed, if it had one).
    AsStored,
}

/// A stored request to send again, changed as asked.
#[derive(Clone, Debug, PartialEq)]
pub struct Rerun {
    pub request: RequestId,
    pub model: Option<String>,
    pub seed: SeedChoice,
    /// Images to ask for (a failed call's share); the stored `n` otherwise.
    pub n: Option<u32>,
    pub label: String,
}

/// Rebuilds a stored request as the rerun asks: through a form for the
/// (possibly other) model, so what the model does not take is dropped, then
/// validated and estimated like anything typed.
pub fn prepare_rerun(
    catalog: &Arc<Catalog>,
    stored: &StoredRequest,
    inputs: Vec<InputImage>,
    rerun: &Rerun,
) -> Result<Submission, String> {
    let mut params: Params = serde_json::from_str(&stored.params_json)
        .map_err(|e| format!("request {} has unreadable parameters: {e}", stored.id))?;
    match rerun.seed {
        SeedChoice::New => {
            params.remove("seed");
        }
        SeedChoice::Same(seed) => {
            params.insert("seed".into(), ParamValue::Int(seed));
        }
        SeedChoice::AsStored => {}
    }
    let negative = params
        .remove("negative_prompt")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let model = rerun.model.clone().unwrap_or_else(|| stored.model.clone());
    let mut form = ParamForm::new(Arc::clone(catalog), &model);
    form.load(
        &model,
        &stored.operation,
        &params,
        rerun.n.unwrap_or(stored.n),
    );
    let changed = form.notice.take();
    form.inputs = inputs;
    let draft = form.draft(&stored.prompt, &negative);
    let request = catalog.validate(&draft).map_err(|errors| {
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!(
            "cannot send request {} again: {}",
            stored.id,
            text.join("; ")
        )
    })?;
    let cost = estimate(&request);
    let label = match changed {
        Some(change) => format!("{} ({change})", rerun.label),
        None => rerun.label.clone(),
    };
    Ok(Submission {
        requests: vec![(request, cost)],
        preset: None,
        compare: false,
        label,
    })
}

/// The form's request, or every problem with it.
pub fn from_form(
    catalog: &Catalog,
    form: &ParamForm,
    prompt: &str,
    negative: &str,
) -> Result<(ValidRequest, Cost), Vec<String>> {
    let draft = form.draft(prompt, negative);
    match catalog.validate(&draft) {
        Ok(request) => {
            let cost = estimate(&request);
            Ok((request, cost))
        }
        Err(errors) => Err(errors.iter().map(ToString::to_string).collect()),
    }
}

/// How a size (of the form's model) is named among the comparison's entries.
pub const SIZE_ENTRY: &str = "size ";

/// The prompt across several models, or the form's model at several sizes: each gets the form's values that it
/// takes (the rest at its defaults). Models that cannot take the prompt are
/// left out and named.
pub fn comparison(
    catalog: &Arc<Catalog>,
    form: &ParamForm,
    models: &[String],
    prompt: &str,
    negative: &str,
) -> (Vec<(ValidRequest, Cost)>, Vec<String>) {
    let mut requests = Vec::new();
    let mut refused = Vec::new();
    for model in models {
        let mut each = ParamForm::new(Arc::clone(catalog), &form.model.id);
        each.load(
            &form.model.id,
            &form.operation,
            &form.explicit_params(),
            form.n,
        );
        if let Some(size) = model.strip_prefix(SIZE_ENTRY) {
            if let Some(index) = each.fields.iter().position(|f| f.name == "size")
                && let Err(why) = each.set_text(index, size)
            {
                refused.push(why);
                continue;
            }
        } else {
            each.set_model(model);
        }
        match from_form(catalog, &each, prompt, negative) {
            Ok(pair) => requests.push(pair),
            Err(errors) => refused.push(format!("{model}: {}", errors.join("; "))),
        }
    }
    (requests, refused)
}
