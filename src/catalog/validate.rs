//! `validate`: a `Draft` checked against the catalog becomes a `ValidRequest`,
//! or every problem with it, each a sentence that says what to change.

use super::coerce::coerce;
use super::estimate::split_n;
use super::request::{Draft, ParamError, Sealed, ValidRequest};
use super::spec::{Condition, Model, Operation, Rule};
use super::value::{ParamValue, Params, one_of_list};
use super::{Catalog, input};

impl Catalog {
    /// Checks a draft against the catalog. The CLI, presets and the studio's
    /// form all go through here, so they refuse and accept the same things.
    pub fn validate(&self, draft: &Draft) -> Result<ValidRequest, Vec<ParamError>> {
        let model = self.resolve(&draft.model).map_err(|e| vec![e])?;
        let op_name = draft
            .operation
            .as_deref()
            .map_or_else(|| model.default_operation().to_string(), normalize_op);
        let Some(op) = model.operation(&op_name) else {
            let known: Vec<&String> = model.operations.keys().collect();
            return Err(vec![ParamError::new(
                "operation",
                format!(
                    "{} cannot {op_name}; it can {}",
                    model.id,
                    one_of_list(&known)
                ),
            )]);
        };

        let mut errors = Vec::new();
        let prompt = check_prompt(model, &op_name, op, draft.prompt.as_deref(), &mut errors);
        let mut given = draft.params.clone();
        let n = check_n(model, op, given.remove("n"), draft.split, &mut errors);
        let params = self.check_params(model, &op_name, op, &given, &mut errors);
        check_rules(op, &params, &mut errors);
        input::check_inputs(
            model,
            &op_name,
            op,
            &draft.inputs,
            draft.mask.as_ref(),
            &mut errors,
        );

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ValidRequest {
            model: model.clone(),
            operation: op_name,
            prompt,
            params,
            n,
            calls: split_n(n, op.n.max_per_request),
            inputs: draft.inputs.clone(),
            mask: draft.mask.clone(),
            _sealed: Sealed,
        })
    }

    /// A request already sent, rebuilt from the store to pick up its
    /// result after a restart. Its inputs were read when it was sent and
    /// are not read again (they may have moved since); nothing is re-sent.
    pub fn restore_sent(
        &self,
        model: &str,
        operation: &str,
        prompt: &str,
        params: Params,
        n: u32,
    ) -> Result<ValidRequest, String> {
        let model = self.resolve(model).map_err(|e| e.message)?;
        let op = model
            .operation(operation)
            .ok_or_else(|| format!("{} no longer has the operation {operation}", model.id))?;
        Ok(ValidRequest {
            model: model.clone(),
            operation: operation.to_string(),
            prompt: prompt.to_string(),
            params,
            n,
            calls: split_n(n, op.n.max_per_request),
            inputs: Vec::new(),
            mask: None,
            _sealed: Sealed,
        })
    }

    fn check_params(
        &self,
        model: &Model,
        op_name: &str,
        op: &Operation,
        given: &Params,
        errors: &mut Vec<ParamError>,
    ) -> Params {
        let mut params = Params::new();
        for (name, value) in given {
            let Some(spec) = op.params.get(name) else {
                errors.push(ParamError::new(
                    name,
                    self.unknown_param_message(model, op_name, op, name),
                ));
                continue;
            };
            match coerce(name, spec, value, &model.id) {
                Ok(typed) => {
                    params.insert(name.clone(), typed);
                }
                Err(message) => errors.push(ParamError::new(name, message)),
            }
        }
        for (name, spec) in &op.params {
            if spec.required
                && spec.default.is_none()
                && !params.contains_key(name)
                && !given.contains_key(name)
            {
                let help = spec
                    .help
                    .as_deref()
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                errors.push(ParamError::new(
                    name,
                    format!(
                        "{} {op_name} needs {name}{help}; pass --param {name}=...",
                        model.id
                    ),
                ));
            }
        }
        if let Some(name) = op_at_least_one_missing(op, &params) {
            errors.push(ParamError::new(
                name.clone(),
                name_at_least_one(model, op_name, op),
            ));
        }
        params
    }

    fn unknown_param_message(
        &self,
        model: &Model,
        op_name: &str,
        op: &Operation,
        name: &str,
    ) -> String {
        let head = format!("{} {op_name} has no parameter {name:?}", model.id);
        if name == "seed" {
            return format!(
                "{} does not take a seed, so its results cannot be repeated",
                model.id
            );
        }
        if name == "negative_prompt" {
            return format!("{} does not take a negative prompt", model.id);
        }
        if let Some(other_op) = model
            .operations
            .iter()
            .find(|(_, o)| o.params.contains_key(name))
            .map(|(n, _)| n)
        {
            return format!("{head}; it belongs to its {other_op} operation");
        }
        let elsewhere = self.models_with_param(name);
        if !elsewhere.is_empty() {
            let shown: Vec<&str> = elsewhere.into_iter().take(3).collect();
            return format!("{head}; it is a parameter of {}", one_of_list(&shown));
        }
        let closest = op
            .params
            .keys()
            .map(|known| (strsim::jaro_winkler(name, known), known))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        match closest {
            Some((score, known)) if score > 0.8 => format!("{head}; did you mean {known}?"),
            _ => {
                let known: Vec<&String> = op.params.keys().collect();
                format!("{head}; it takes {}", one_of_list(&known))
            }
        }
    }
}

fn normalize_op(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('_', "-")
}

fn check_prompt(
    model: &Model,
    op_name: &str,
    op: &Operation,
    prompt: Option<&str>,
    errors: &mut Vec<ParamError>,
) -> String {
    let prompt = prompt.map(str::trim).unwrap_or_default().to_string();
    match &op.prompt {
        None if !prompt.is_empty() => errors.push(ParamError::new(
            "prompt",
            format!("{} {op_name} takes no prompt; leave it out", model.id),
        )),
        None => {}
        Some(spec) if spec.required && prompt.is_empty() => errors.push(ParamError::new(
            "prompt",
            format!("{} {op_name} needs a prompt describing the image", model.id),
        )),
        Some(spec) => {
            let length = prompt.chars().count();
            if length > spec.max_chars {
                errors.push(ParamError::new(
                    "prompt",
                    format!(
                        "the prompt is {length} characters long; {} takes at most {}",
                        model.id, spec.max_chars
                    ),
                ));
            }
        }
    }
    prompt
}

fn check_n(
    model: &Model,
    op: &Operation,
    given: Option<ParamValue>,
    split: bool,
    errors: &mut Vec<ParamError>,
) -> u32 {
    let Some(value) = given else { return 1 };
    let Some(n) = value
        .as_i64()
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| *n >= 1)
    else {
        errors.push(ParamError::new(
            "n",
            format!("n is the number of images, at least 1; got {value}"),
        ));
        return 1;
    };
    let per_call = op.n.max_per_request;
    let short = model.id.rsplit('/').next().unwrap_or(&model.id);
    if n > op.n.max {
        errors.push(ParamError::new(
            "n",
            format!(
                "n = {n} is more than tintype queues in one go ({}); ask for fewer",
                op.n.max
            ),
        ));
    } else if n > per_call && !split {
        let calls = split_n(n, per_call).len();
        let limit = if per_call == 1 {
            "one image per request; ask for n = 1".to_string()
        } else {
            format!("at most {per_call} images per request; ask for n = {per_call} or fewer")
        };
        errors.push(ParamError::new(
            "n",
            format!("{short} makes {limit}, or let tintype send {calls} requests (--split)"),
        ));
    }
    n
}

/// What a rule condition sees: the given value, else the default.
fn effective<'a>(op: &'a Operation, params: &'a Params, name: &str) -> Option<&'a ParamValue> {
    params
        .get(name)
        .or_else(|| op.params.get(name).and_then(|spec| spec.default.as_ref()))
}

fn holds(condition: &Condition, op: &Operation, params: &Params) -> bool {
    let value = effective(op, params, &condition.param);
    let set_ok = condition
        .set
        .is_none_or(|want| params.contains_key(&condition.param) == want);
    let in_ok = condition
        .one_of
        .as_ref()
        .is_none_or(|values| value.is_some_and(|v| values.iter().any(|w| w.matches(v))));
    set_ok && in_ok
}

fn check_rules(op: &Operation, params: &Params, errors: &mut Vec<ParamError>) {
    for rule in &op.rules {
        if holds(&rule.when, op, params) && !holds(&rule.then, op, params) {
            errors.push(ParamError::new(
                rule.then.param.clone(),
                rule_message(rule, op, params),
            ));
        }
    }
}

fn describe(condition: &Condition, op: &Operation, params: &Params) -> String {
    match (&condition.one_of, condition.set) {
        (Some(_), _) => match effective(op, params, &condition.param) {
            Some(value) => format!("{} is {value}", condition.param),
            None => format!("{} is set", condition.param),
        },
        (None, Some(false)) => format!("{} is left out", condition.param),
        (None, _) => format!("{} is given", condition.param),
    }
}

fn rule_message(rule: &Rule, op: &Operation, params: &Params) -> String {
    let then = &rule.then;
    let need = match (&then.one_of, then.set) {
        (Some(values), _) => format!("{} must be {}", then.param, one_of_list(values)),
        (None, Some(false)) => format!("{} must be left out", then.param),
        (None, _) => format!("{} must be given", then.param),
    };
    let now = match (&then.one_of, effective(op, params, &then.param)) {
        (Some(_), Some(value)) => format!(" (it is {value})"),
        _ => String::new(),
    };
    let because = rule
        .because
        .as_deref()
        .map(|b| format!(": {b}"))
        .unwrap_or_default();
    format!(
        "when {}, {need}{now}{because}",
        describe(&rule.when, op, params)
    )
}

fn op_at_least_one_missing<'a>(op: &'a Operation, params: &Params) -> Option<&'a String> {
    let any_set = op.at_least_one.iter().any(|name| {
        params
            .get(name)
            .is_some_and(|v| v.as_f64().is_none_or(|number| number != 0.0))
    });
    if op.at_least_one.is_empty() || any_set {
        None
    } else {
        op.at_least_one.first()
    }
}

fn name_at_least_one(model: &Model, op_name: &str, op: &Operation) -> String {
    format!(
        "{} {op_name} needs at least one of {} to be set above zero",
        model.id,
        one_of_list(&op.at_least_one)
    )
}
