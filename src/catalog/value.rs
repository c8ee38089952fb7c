//! Parameter values as the user gives them and as the catalog types them.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A parameter value. The CLI hands over text; validation turns it into the
/// type the catalog declares, so `"4"` becomes `Int(4)` for an int parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

/// Parameters by name.
pub type Params = BTreeMap<String, ParamValue>;

impl ParamValue {
    pub fn text(value: impl Into<String>) -> Self {
        ParamValue::Text(value.into())
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            ParamValue::Text(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ParamValue::Int(value) => Some(*value),
            ParamValue::Text(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ParamValue::Float(value) => Some(*value),
            #[allow(clippy::cast_precision_loss)] // catalog ranges are far below 2^53
            ParamValue::Int(value) => Some(*value as f64),
            ParamValue::Text(text) => text.trim().parse().ok().filter(|v: &f64| v.is_finite()),
            ParamValue::Bool(_) => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            ParamValue::Bool(value) => Some(*value),
            ParamValue::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "1" => Some(true),
                "false" | "no" | "off" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// Loose equality used to match rule conditions and price rows: `Text("4")`
    /// matches `Int(4)`, `Text("true")` matches `Bool(true)`.
    pub fn matches(&self, other: &ParamValue) -> bool {
        match (self, other) {
            (ParamValue::Text(a), ParamValue::Text(b)) => a.eq_ignore_ascii_case(b),
            (ParamValue::Bool(a), b) | (b, ParamValue::Bool(a)) => b.as_bool() == Some(*a),
            (a, b) => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => (x - y).abs() < 1e-9,
                _ => false,
            },
        }
    }
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Bool(value) => write!(f, "{value}"),
            ParamValue::Int(value) => write!(f, "{value}"),
            ParamValue::Float(value) => write!(f, "{value}"),
            ParamValue::Text(value) => f.write_str(value),
        }
    }
}

/// Parameters from `(name, text)` pairs, as a command line gives them.
pub fn text_params(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_string(), ParamValue::text(*value)))
        .collect()
}

/// Joins values as prose: `a`, `a or b`, `a, b or c`.
pub fn one_of_list<T: fmt::Display>(values: &[T]) -> String {
    match values {
        [] => String::new(),
        [only] => only.to_string(),
        [init @ .., last] => {
            let head: Vec<String> = init.iter().map(ToString::to_string).collect();
            format!("{} or {last}", head.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_matches_typed_values() {
        assert!(ParamValue::text("4").matches(&ParamValue::Int(4)));
        assert!(ParamValue::text("true").matches(&ParamValue::Bool(true)));
        assert!(ParamValue::text("HD").matches(&ParamValue::text("hd")));
        assert!(!ParamValue::text("hd").matches(&ParamValue::text("standard")));
        assert!(ParamValue::Float(0.5).matches(&ParamValue::text("0.5")));
        assert!(!ParamValue::Bool(false).matches(&ParamValue::text("nope")));
    }

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(one_of_list::<&str>(&[]), "");
        assert_eq!(one_of_list(&["png"]), "png");
        assert_eq!(one_of_list(&["png", "webp"]), "png or webp");
        assert_eq!(one_of_list(&["a", "b", "c"]), "a, b or c");
    }
}
