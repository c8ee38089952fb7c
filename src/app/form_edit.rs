//! Changing one parameter row: stepping through allowed values with ←/→, or
//! typing a value that is checked against the row's type and range.

use super::form::{FieldKind, ParamForm, cycle};
use crate::catalog::ParamValue;

impl ParamForm {
    pub(super) fn step_field(&mut self, index: usize, forward: bool) {
        let Some(field) = self.fields.get(index) else {
            return;
        };
        if self.field_blocked(field).is_some() {
            return;
        }
        let next = match &field.kind {
            FieldKind::Choice(values) if !values.is_empty() => {
                let at = field
                    .effective()
                    .and_then(|v| values.iter().position(|c| c.matches(v)));
                // Unset (no default) steps to the first or last value.
                let mut i = at.map_or(if forward { 0 } else { values.len() - 1 }, |i| {
                    cycle(i, values.len(), forward)
                });
                let mut tries = 0;
                while self.value_blocked(field, &values[i]).is_some() && tries < values.len() {
                    i = cycle(i, values.len(), forward);
                    tries += 1;
                }
                Some(values[i].clone())
            }
            FieldKind::Int { min, max } => {
                let now = field.effective().and_then(ParamValue::as_i64);
                Some(ParamValue::Int(match now {
                    None => *min,
                    Some(v) if forward => (v + 1).min(*max),
                    Some(v) => (v - 1).max(*min),
                }))
            }
            FieldKind::Float { min, max, step } => {
                let now = field.effective().and_then(ParamValue::as_f64);
                let v = match now {
                    None => *min,
                    Some(v) if forward => (v + step).min(*max),
                    Some(v) => (v - step).max(*min),
                };
                Some(ParamValue::Float((v * 1000.0).round() / 1000.0))
            }
            FieldKind::Choice(_) | FieldKind::Text { .. } => None,
        };
        if let Some(value) = next {
            self.fields[index].value = Some(value);
            self.notice = None;
        }
    }

    /// Sets a field from typed text (numbers, free text, a seed).
    pub fn set_text(&mut self, index: usize, text: &str) -> Result<(), String> {
        let Some(field) = self.fields.get(index) else {
            return Err("no such row".into());
        };
        if let Some(why) = self.field_blocked(field) {
            return Err(why);
        }
        let text = text.trim();
        let value = if text.is_empty() {
            None
        } else {
            Some(match &field.kind {
                FieldKind::Int { min, max } => {
                    let v: i64 = text
                        .parse()
                        .map_err(|_| format!("{}: `{text}` is not a whole number", field.name))?;
                    if v < *min || v > *max {
                        return Err(format!("{}: {v} is outside {min}..{max}", field.name));
                    }
                    ParamValue::Int(v)
                }
                FieldKind::Float { min, max, .. } => {
                    let v: f64 = text
                        .parse()
                        .map_err(|_| format!("{}: `{text}` is not a number", field.name))?;
                    if !v.is_finite() || v < *min || v > *max {
                        return Err(format!("{}: {text} is outside {min}..{max}", field.name));
                    }
                    ParamValue::Float(v)
                }
                FieldKind::Text { max_chars } => {
                    if text.chars().count() > *max_chars {
                        return Err(format!("{}: at most {max_chars} characters", field.name));
                    }
                    ParamValue::text(text)
                }
                FieldKind::Choice(values) => values
                    .iter()
                    .find(|v| v.matches(&ParamValue::text(text)))
                    .cloned()
                    .ok_or_else(|| format!("{}: `{text}` is not offered", field.name))?,
            })
        };
        self.fields[index].value = value;
        Ok(())
    }
}
