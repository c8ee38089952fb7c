//! The catalog's rules between parameters, as the form applies them: which
//! values (or whole rows) a rule rules out given the other values.

use super::form::{Field, ParamForm};
use crate::catalog::ParamValue;
use crate::catalog::spec::Condition;

impl ParamForm {
    /// Why this value of this field cannot be picked now, if it cannot: a
    /// catalog rule whose condition holds allows only other values.
    pub fn value_blocked(&self, field: &Field, value: &ParamValue) -> Option<String> {
        for rule in &self.op().rules {
            if rule.then.param != field.name || !self.holds(&rule.when) {
                continue;
            }
            if let Some(allowed) = &rule.then.one_of
                && !allowed.iter().any(|a| a.matches(value))
            {
                let when = rule
                    .when
                    .one_of
                    .as_ref()
                    .and_then(|v| v.first())
                    .map_or_else(
                        || rule.when.param.clone(),
                        |v| format!("{} = {v}", rule.when.param),
                    );
                return Some(
                    rule.because
                        .clone()
                        .unwrap_or_else(|| format!("not with {when}")),
                );
            }
        }
        None
    }

    /// Why the whole field cannot be set now (a rule says it must stay unset).
    pub fn field_blocked(&self, field: &Field) -> Option<String> {
        if let Some(fixed) = &field.fixed {
            return Some(fixed.clone());
        }
        self.op().rules.iter().find_map(|rule| {
            (rule.then.param == field.name
                && rule.then.set == Some(false)
                && self.holds(&rule.when))
            .then(|| {
                rule.because
                    .clone()
                    .unwrap_or_else(|| format!("not taken together with {}", rule.when.param))
            })
        })
    }

    fn holds(&self, condition: &Condition) -> bool {
        let field = self.fields.iter().find(|f| f.name == condition.param);
        let explicit = field.and_then(|f| f.value.as_ref());
        if let Some(set) = condition.set
            && set != explicit.is_some()
        {
            return false;
        }
        match &condition.one_of {
            Some(values) => field
                .and_then(Field::effective)
                .is_some_and(|v| values.iter().any(|c| c.matches(v))),
            None => true,
        }
    }
}
