//! Checking one parameter value against its spec and turning it into the
//! spec's type. Messages finish a sentence that starts with the parameter.

use super::size::{Size, check_custom};
use super::spec::{ParamSpec, ParamType};
use super::value::{ParamValue, one_of_list};

/// The value in the catalog's type and spelling, or why it does not fit.
/// `owner` names the model in messages (`openai/dall-e-3`).
pub fn coerce(
    name: &str,
    spec: &ParamSpec,
    value: &ParamValue,
    owner: &str,
) -> Result<ParamValue, String> {
    match spec.kind {
        ParamType::Enum => coerce_enum(name, spec, value, owner),
        ParamType::Int => coerce_int(name, spec, value),
        ParamType::Float => coerce_float(name, spec, value),
        ParamType::Bool => value
            .as_bool()
            .map(ParamValue::Bool)
            .ok_or_else(|| format!("{name} is true or false, not {value:?}")),
        ParamType::Text => coerce_text(name, spec, value),
        ParamType::Size => coerce_size(name, spec, value, owner),
    }
}

fn coerce_enum(
    name: &str,
    spec: &ParamSpec,
    value: &ParamValue,
    owner: &str,
) -> Result<ParamValue, String> {
    if let Some(known) = spec.values.iter().find(|v| v.matches(value)) {
        return Ok(known.clone());
    }
    let mut message = format!(
        "{name} {value} is not offered by {owner}; choose {}",
        one_of_list(&spec.values)
    );
    if let Some(help) = &spec.help {
        message = format!("{message} ({help})");
    }
    Err(message)
}

/// ` between 1 and 4`, ` at least 0`, or nothing when unbounded.
fn range_words(spec: &ParamSpec) -> String {
    match (spec.min, spec.max) {
        (Some(min), Some(max)) => format!(" between {min} and {max}"),
        (Some(min), None) => format!(" at least {min}"),
        (None, Some(max)) => format!(" at most {max}"),
        (None, None) => String::new(),
    }
}

fn in_range(spec: &ParamSpec, number: f64) -> bool {
    spec.min.is_none_or(|min| number >= min) && spec.max.is_none_or(|max| number <= max)
}

fn coerce_int(name: &str, spec: &ParamSpec, value: &ParamValue) -> Result<ParamValue, String> {
    let whole = match value {
        ParamValue::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
            #[allow(clippy::cast_possible_truncation)] // checked whole and in range above
            Some(*f as i64)
        }
        other => other.as_i64(),
    };
    #[allow(clippy::cast_precision_loss)] // catalog bounds are far below 2^53
    match whole {
        Some(number) if in_range(spec, number as f64) => Ok(ParamValue::Int(number)),
        _ => Err(format!(
            "{name} must be a whole number{}; got {value}",
            range_words(spec)
        )),
    }
}

fn coerce_float(name: &str, spec: &ParamSpec, value: &ParamValue) -> Result<ParamValue, String> {
    match value.as_f64() {
        Some(number) if in_range(spec, number) => Ok(ParamValue::Float(number)),
        _ => Err(format!(
            "{name} must be a number{}; got {value}",
            range_words(spec)
        )),
    }
}

fn coerce_text(name: &str, spec: &ParamSpec, value: &ParamValue) -> Result<ParamValue, String> {
    let text = value.to_string();
    match spec.max_chars {
        Some(max) if text.chars().count() > max => Err(format!(
            "{name} is {} characters long; at most {max} are allowed",
            text.chars().count()
        )),
        _ => Ok(ParamValue::Text(text)),
    }
}

fn coerce_size(
    name: &str,
    spec: &ParamSpec,
    value: &ParamValue,
    owner: &str,
) -> Result<ParamValue, String> {
    let written = value
        .to_string()
        .trim()
        .to_ascii_lowercase()
        .replace('×', "x");
    if let Some(known) = spec
        .values
        .iter()
        .find(|v| v.matches(&ParamValue::text(&written)))
    {
        return Ok(known.clone());
    }
    let listed = one_of_list(&spec.values);
    let Some(size) = Size::parse(&written) else {
        return Err(format!(
            "{name} {value} is not a size; write WxH like 1024x1024, or choose {listed}"
        ));
    };
    if let Some(rule) = &spec.custom {
        check_custom(size, rule)
            .map(|()| ParamValue::Text(size.to_string()))
            .map_err(|why| format!("{name} {size} {why}"))
    } else {
        let only_square = spec
            .values
            .iter()
            .filter_map(|v| v.as_str().and_then(Size::parse))
            .all(Size::is_square);
        let square_note = if only_square {
            " (it makes square images only)"
        } else {
            ""
        };
        Err(format!(
            "{name} {size} is not offered by {owner}{square_note}; choose {listed}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> ParamSpec {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn enum_values_are_normalized_or_listed() {
        let quality = spec("type = 'enum'\nvalues = ['standard', 'hd']");
        assert_eq!(
            coerce("quality", &quality, &ParamValue::text("HD"), "m"),
            Ok(ParamValue::text("hd"))
        );
        let error = coerce(
            "quality",
            &quality,
            &ParamValue::text("ultra"),
            "openai/dall-e-3",
        )
        .unwrap_err();
        assert_eq!(
            error,
            "quality ultra is not offered by openai/dall-e-3; choose standard or hd"
        );
    }

    #[test]
    fn numbers_are_typed_and_ranged() {
        let steps = spec("type = 'int'\nmin = 1\nmax = 4");
        assert_eq!(
            coerce("steps", &steps, &ParamValue::text("3"), "m"),
            Ok(ParamValue::Int(3))
        );
        assert!(
            coerce("steps", &steps, &ParamValue::text("5"), "m")
                .unwrap_err()
                .contains("between 1 and 4")
        );
        assert!(coerce("steps", &steps, &ParamValue::text("2.5"), "m").is_err());
        let cfg = spec("type = 'float'\nmin = 1.0\nmax = 10.0");
        assert_eq!(
            coerce("cfg", &cfg, &ParamValue::text("4.5"), "m"),
            Ok(ParamValue::Float(4.5))
        );
        assert!(coerce("cfg", &cfg, &ParamValue::text("NaN"), "m").is_err());
        let flag = spec("type = 'bool'");
        assert_eq!(
            coerce("f", &flag, &ParamValue::text("yes"), "m"),
            Ok(ParamValue::Bool(true))
        );
        assert!(coerce("f", &flag, &ParamValue::text("maybe"), "m").is_err());
    }

    #[test]
    fn sizes_from_a_list_or_custom_rules() {
        let square = spec("type = 'size'\nvalues = ['256x256', '512x512', '1024x1024']");
        let error = coerce(
            "size",
            &square,
            &ParamValue::text("1792x1024"),
            "openai/dall-e-2",
        )
        .unwrap_err();
        assert!(error.contains("square images only"), "{error}");
        assert!(
            coerce("size", &square, &ParamValue::text("huge"), "m")
                .unwrap_err()
                .contains("WxH")
        );
        let custom = spec(
            "type = 'size'\nvalues = ['auto']\ncustom = { multiple_of = 16, max_edge = 3840 }",
        );
        assert_eq!(
            coerce("size", &custom, &ParamValue::text("2048X1152"), "m"),
            Ok(ParamValue::text("2048x1152"))
        );
        assert_eq!(
            coerce("size", &custom, &ParamValue::text("AUTO"), "m"),
            Ok(ParamValue::text("auto"))
        );
        assert!(coerce("size", &custom, &ParamValue::text("1000x1000"), "m").is_err());
    }

    #[test]
    fn text_has_a_length_limit() {
        let negative = spec("type = 'text'\nmax_chars = 5");
        assert!(
            coerce(
                "negative_prompt",
                &negative,
                &ParamValue::text("blurry"),
                "m"
            )
            .is_err()
        );
        assert!(coerce("negative_prompt", &negative, &ParamValue::text("blur"), "m").is_ok());
    }
}
