//! The parameter form: rows generated from the catalog for one model and
//! operation. Only the catalog's values can be picked; a row or value the
//! model does not take is disabled with the reason. The form turns into a
//! `Draft`, so it is validated exactly like the CLI and presets.

use std::sync::Arc;

use crate::catalog::{Catalog, Draft, InputImage, Model, Operation, ParamType, ParamValue, Params};

/// How a parameter's value is chosen.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldKind {
    /// One of a list (enums, sizes, booleans).
    Choice(Vec<ParamValue>),
    /// A number stepped by ←/→ or typed.
    Int {
        min: i64,
        max: i64,
    },
    Float {
        min: f64,
        max: f64,
        step: f64,
    },
    Text {
        max_chars: usize,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub name: String,
    pub kind: FieldKind,
    /// Set by the user; `None` means the model's default.
    pub value: Option<ParamValue>,
    pub default: Option<ParamValue>,
    pub help: Option<String>,
    /// Why the row cannot be changed, when it cannot.
    pub fixed: Option<String>,
}

impl Field {
    pub fn effective(&self) -> Option<&ParamValue> {
        self.value.as_ref().or(self.default.as_ref())
    }
}

/// The rows above the parameters.
pub const MODEL_ROW: usize = 0;
pub const OPERATION_ROW: usize = 1;
pub const N_ROW: usize = 2;
pub const FIRST_PARAM_ROW: usize = 3;

#[derive(Clone, Debug)]
pub struct ParamForm {
    catalog: Arc<Catalog>,
    pub model: Arc<Model>,
    pub operation: String,
    pub n: u32,
    pub fields: Vec<Field>,
    pub selected: usize,
    /// Input images for edit, variation, upscale...: set from the gallery.
    pub inputs: Vec<InputImage>,
    pub mask: Option<InputImage>,
    /// What the last model or operation switch changed, said once.
    pub notice: Option<String>,
}

/// Parameters shown elsewhere: the prompt pane has the negative prompt; `n`
/// has its own row.
const NOT_IN_FORM: [&str; 2] = ["negative_prompt", "n"];

impl ParamForm {
    pub fn new(catalog: Arc<Catalog>, model_id: &str) -> ParamForm {
        let model = catalog
            .resolve(model_id)
            .or_else(|_| catalog.resolve("sandbox/procedural"))
            .cloned()
            .unwrap_or_else(|_| {
                catalog
                    .models()
                    .next()
                    .cloned()
                    .expect("the embedded catalog has models")
            });
        let operation = model.default_operation().to_string();
        let mut form = ParamForm {
            catalog,
            model,
            operation,
            n: 1,
            fields: Vec::new(),
            selected: MODEL_ROW,
            inputs: Vec::new(),
            mask: None,
            notice: None,
        };
        form.rebuild(&Params::new(), 1);
        form.notice = None;
        form
    }

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    pub fn op(&self) -> &Operation {
        self.model
            .operation(&self.operation)
            .or_else(|| self.model.operations.values().next())
            .expect("a catalog model has at least one operation")
    }

    pub fn rows(&self) -> usize {
        FIRST_PARAM_ROW + self.fields.len()
    }

    /// Most images one submission may ask for in this form.
    pub fn n_max(&self) -> u32 {
        let spec = &self.op().n;
        spec.max_per_request.min(spec.max).max(1)
    }

    pub fn n_fixed_reason(&self) -> Option<String> {
        (self.n_max() == 1)
            .then(|| format!("fixed at 1: {} makes one image per request", self.model.id))
    }

    pub fn takes_negative_prompt(&self) -> bool {
        self.op().params.contains_key("negative_prompt")
    }

    pub fn prompt_limit(&self) -> Option<usize> {
        self.op().prompt.as_ref().map(|p| p.max_chars)
    }

    /// The values given explicitly, which is what a `Draft` carries.
    pub fn explicit_params(&self) -> Params {
        self.fields
            .iter()
            .filter_map(|f| f.value.clone().map(|v| (f.name.clone(), v)))
            .collect()
    }

    pub fn draft(&self, prompt: &str, negative: &str) -> Draft {
        let mut params = self.explicit_params();
        params.insert("n".into(), ParamValue::Int(i64::from(self.n)));
        if self.takes_negative_prompt() && !negative.trim().is_empty() {
            params.insert("negative_prompt".into(), ParamValue::text(negative.trim()));
        }
        let takes_prompt = self.op().prompt.is_some();
        Draft {
            model: self.model.id.clone(),
            operation: Some(self.operation.clone()),
            prompt: (takes_prompt && !prompt.trim().is_empty()).then(|| prompt.to_string()),
            params,
            inputs: self.inputs.clone(),
            mask: self.mask.clone(),
            split: false,
        }
    }

    /// Moves to another model, keeping each value that still applies and
    /// saying what changed.
    pub fn set_model(&mut self, model_id: &str) {
        let Ok(model) = self.catalog.resolve(model_id).cloned() else {
            self.notice = Some(format!("no model {model_id}"));
            return;
        };
        let before = self.explicit_params();
        let n = self.n;
        let old = self.model.id.clone();
        if model.operations.contains_key(&self.operation) {
            self.notice = None;
        } else {
            let op = model.default_operation().to_string();
            self.notice = Some(format!(
                "{} cannot {}; switched to {op}",
                model.id, self.operation
            ));
            self.operation = op;
        }
        self.model = model;
        let changes = self.rebuild(&before, n);
        self.say_changes(&old, &changes);
    }

    pub fn set_operation(&mut self, operation: &str) {
        if !self.model.operations.contains_key(operation) {
            return;
        }
        let before = self.explicit_params();
        let n = self.n;
        self.operation = operation.to_string();
        self.notice = None;
        let changes = self.rebuild(&before, n);
        let label = format!("{} {}", self.model.id, self.operation);
        self.say_changes(&label, &changes);
    }

    fn say_changes(&mut self, label: &str, changes: &[String]) {
        let head = self.notice.take();
        let text = match (head, changes.is_empty()) {
            (Some(head), true) => Some(head),
            (Some(head), false) => Some(format!("{head}; {}", changes.join("; "))),
            (None, false) => Some(format!(
                "{} ({label} before): {}",
                self.model.id,
                changes.join("; ")
            )),
            (None, true) => None,
        };
        self.notice = text;
    }

    /// Rebuilds the rows for the current model and operation, carrying over
    /// `before` where the new spec accepts it; returns what was dropped or changed.
    fn rebuild(&mut self, before: &Params, n: u32) -> Vec<String> {
        let mut changes = Vec::new();
        let op = self.op();
        let mut fields = Vec::new();
        for (name, spec) in &op.params {
            if NOT_IN_FORM.contains(&name.as_str()) {
                continue;
            }
            let kind = match spec.kind {
                ParamType::Enum | ParamType::Size => FieldKind::Choice(spec.values.clone()),
                ParamType::Bool => {
                    FieldKind::Choice(vec![ParamValue::Bool(false), ParamValue::Bool(true)])
                }
                ParamType::Int => FieldKind::Int {
                    min: spec.min.map_or(0, |v| v as i64),
                    max: spec.max.map_or(i64::from(i32::MAX), |v| v as i64),
                },
                ParamType::Float => {
                    let (min, max) = (spec.min.unwrap_or(0.0), spec.max.unwrap_or(100.0));
                    FieldKind::Float {
                        min,
                        max,
                        step: step_for(min, max),
                    }
                }
                ParamType::Text => FieldKind::Text {
                    max_chars: spec.max_chars.unwrap_or(1000),
                },
            };
            let mut help = spec.help.clone();
            if spec.kind == ParamType::Size
                && !spec.values.is_empty()
                && spec.values.iter().all(is_square)
            {
                help = Some(format!("{} takes only square sizes", short(&self.model.id)));
            }
            let fixed = op
                .fixed
                .get(name)
                .map(|v| format!("fixed at {v} by {}", short(&self.model.id)));
            fields.push(Field {
                name: name.clone(),
                kind,
                value: None,
                default: spec.default.clone(),
                help,
                fixed,
            });
        }
        for (name, value) in before {
            match fields.iter_mut().find(|f| &f.name == name) {
                Some(field) if accepts(field, value) && field.fixed.is_none() => {
                    field.value = Some(value.clone());
                }
                Some(field) => changes.push(match field.effective() {
                    Some(now) => format!("{name} {value} → {now} ({value} not offered)"),
                    None => format!("{name} {value} dropped (not offered)"),
                }),
                None => changes.push(format!("dropped {name} (not taken)")),
            }
        }
        self.fields = fields;
        let max = self.n_max();
        self.n = n.clamp(1, max);
        if self.n != n {
            changes.push(format!("n {n} → {} (at most {max} per request)", self.n));
        }
        self.selected = self.selected.min(self.rows() - 1);
        changes
    }

    /// ←/→ on the selected row: the next allowed value in `direction`.
    pub fn step(&mut self, forward: bool) {
        match self.selected {
            MODEL_ROW => {
                let ids: Vec<String> = self.catalog.models().map(|m| m.id.clone()).collect();
                let at = ids.iter().position(|id| *id == self.model.id).unwrap_or(0);
                let next = cycle(at, ids.len(), forward);
                let id = ids[next].clone();
                self.set_model(&id);
            }
            OPERATION_ROW => {
                let ops: Vec<String> = self.model.operations.keys().cloned().collect();
                let at = ops.iter().position(|o| *o == self.operation).unwrap_or(0);
                let op = ops[cycle(at, ops.len(), forward)].clone();
                self.set_operation(&op);
            }
            N_ROW => {
                let max = self.n_max();
                self.n = if forward {
                    (self.n + 1).min(max)
                } else {
                    self.n.saturating_sub(1).max(1)
                };
            }
            row => self.step_field(row - FIRST_PARAM_ROW, forward),
        }
    }

    pub fn reset_selected(&mut self) {
        if let Some(field) = self
            .selected
            .checked_sub(FIRST_PARAM_ROW)
            .and_then(|i| self.fields.get_mut(i))
        {
            field.value = None;
        }
    }

    /// Loads stored parameters (from history or a preset): model, operation,
    /// n and each value the catalog still accepts.
    pub fn load(&mut self, model: &str, operation: &str, params: &Params, n: u32) {
        self.set_model(model);
        self.set_operation(operation);
        let changes = self.rebuild(params, n);
        self.notice =
            (!changes.is_empty()).then(|| format!("loaded with changes: {}", changes.join("; ")));
    }
}

fn accepts(field: &Field, value: &ParamValue) -> bool {
    match &field.kind {
        FieldKind::Choice(values) => values.iter().any(|v| v.matches(value)),
        FieldKind::Int { min, max } => value.as_i64().is_some_and(|v| (*min..=*max).contains(&v)),
        FieldKind::Float { min, max, .. } => value.as_f64().is_some_and(|v| v >= *min && v <= *max),
        FieldKind::Text { max_chars } => value
            .as_str()
            .is_some_and(|t| t.chars().count() <= *max_chars),
    }
}

fn is_square(value: &ParamValue) -> bool {
    value
        .as_str()
        .and_then(crate::catalog::size::Size::parse)
        .is_some_and(crate::catalog::size::Size::is_square)
}

fn step_for(min: f64, max: f64) -> f64 {
    let span = max - min;
    if span <= 1.0 {
        0.05
    } else if span <= 20.0 {
        0.5
    } else {
        1.0
    }
}

pub(super) fn cycle(at: usize, len: usize, forward: bool) -> usize {
    if len == 0 {
        0
    } else if forward {
        (at + 1) % len
    } else {
        (at + len - 1) % len
    }
}

pub fn short(model: &str) -> &str {
    model.rsplit('/').next().unwrap_or(model)
}
