//! Pricing rules as written in the catalog, and how a rule picks its row.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::value::{ParamValue, Params};
use crate::money::{Decimal, Micros};

/// How a provider bills one operation. Every variant names its `source`: where
/// the numbers come from and when they were read.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PricingSpec {
    Free { source: String },
    PerImage(PerImagePricing),
    Tokens(TokenPricing),
    PerSecond(PerSecondPricing),
    Credits(CreditPricing),
}

/// A flat price per image, or a table of prices keyed by parameter values.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerImagePricing {
    #[serde(default)]
    pub usd: Option<Decimal>,
    #[serde(default)]
    pub rows: Vec<Row<PriceCell>>,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceCell {
    pub usd: Decimal,
}

/// Token-billed models: rates per million tokens, and the image-output token
/// counts per quality and size that make an estimate before the bill arrives.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenPricing {
    pub text_input_per_m: Decimal,
    pub image_input_per_m: Decimal,
    pub image_output_per_m: Decimal,
    #[serde(default)]
    pub text_output_per_m: Option<Decimal>,
    pub output_tokens: Vec<Row<TokenCell>>,
    /// A size the rows list, from which sizes they do not list are scaled by area.
    #[serde(default)]
    pub scale_from: Option<String>,
    /// Values to price as another value, e.g. quality `auto` as `high`.
    #[serde(default)]
    pub estimate_as: BTreeMap<String, Params>,
    #[serde(default = "four")]
    pub chars_per_token: u32,
    /// Tokens one input image is estimated to cost (edits).
    #[serde(default)]
    pub input_image_tokens: u64,
    pub source: String,
}

fn four() -> u32 {
    4
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenCell {
    pub tokens: u64,
}

/// Time-billed models (Replicate community models): seconds of GPU time.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerSecondPricing {
    pub usd_per_second: Decimal,
    pub hardware: String,
    /// Typical GPU seconds per image, for the estimate only.
    pub expected_seconds: Decimal,
    pub source: String,
}

/// Credit-billed services (Stability, remove.bg).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditPricing {
    pub usd_per_credit: Decimal,
    #[serde(default)]
    pub credits: Option<Decimal>,
    #[serde(default)]
    pub rows: Vec<Row<CreditCell>>,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditCell {
    pub credits: Decimal,
}

/// A table row: applies when every parameter in `when` has the given value.
#[derive(Debug, Deserialize)]
pub struct Row<T> {
    #[serde(default)]
    pub when: Params,
    #[serde(flatten)]
    pub cell: T,
}

impl PricingSpec {
    pub fn source(&self) -> &str {
        match self {
            PricingSpec::Free { source } => source,
            PricingSpec::PerImage(p) => &p.source,
            PricingSpec::Tokens(p) => &p.source,
            PricingSpec::PerSecond(p) => &p.source,
            PricingSpec::Credits(p) => &p.source,
        }
    }

    /// The parameters this rule's rows look at, for coverage checks and the form.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = match self {
            PricingSpec::PerImage(p) => row_keys(&p.rows),
            PricingSpec::Tokens(p) => row_keys(&p.output_tokens),
            PricingSpec::Credits(p) => row_keys(&p.rows),
            PricingSpec::Free { .. } | PricingSpec::PerSecond(_) => Vec::new(),
        };
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

fn row_keys<T>(rows: &[Row<T>]) -> Vec<&str> {
    rows.iter()
        .flat_map(|row| row.when.keys().map(String::as_str))
        .collect()
}

/// The first row whose conditions all hold for `value_of`.
pub fn find_row<'r, T>(
    rows: &'r [Row<T>],
    value_of: &dyn Fn(&str) -> Option<ParamValue>,
) -> Option<&'r Row<T>> {
    rows.iter().find(|row| {
        row.when
            .iter()
            .all(|(key, wanted)| value_of(key).is_some_and(|have| have.matches(wanted)))
    })
}

/// The values a matched row was chosen by, as words: `hd 1792x1024`.
pub fn row_words<T>(row: &Row<T>) -> String {
    row.when
        .values()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn dollar_range(low: Micros, high: Micros) -> String {
    if low == high {
        low.dollars_rounded(3)
    } else {
        format!("{}-{}", low.dollars_rounded(3), high.dollars_rounded(3))
    }
}

fn scaled_range(values: impl Iterator<Item = i64>) -> Option<(i64, i64)> {
    values.fold(None, |range, v| match range {
        None => Some((v, v)),
        Some((low, high)) => Some((low.min(v), high.max(v))),
    })
}

fn times_rate(amount: i64, rate: Decimal) -> Micros {
    Micros(crate::money::div_round(
        i128::from(amount) * i128::from(rate.0),
        i128::from(crate::money::SCALE),
    ))
}

impl PricingSpec {
    /// A few words for tables: `$0.04-$0.12/image`, `$0.065/image (6.5 cr)`.
    /// The full rates are in `tintype models --json`.
    pub fn summary(&self) -> String {
        let per_image = |range: Option<(Micros, Micros)>, note: String| {
            range.map_or(note.clone(), |(low, high)| {
                format!("{}/image{note}", dollar_range(low, high))
            })
        };
        match self {
            PricingSpec::Free { .. } => "free".into(),
            PricingSpec::PerImage(p) => {
                let prices = p
                    .rows
                    .iter()
                    .map(|r| r.cell.usd.0)
                    .chain(p.usd.map(|u| u.0));
                per_image(
                    scaled_range(prices).map(|(l, h)| (Micros(l), Micros(h))),
                    String::new(),
                )
            }
            PricingSpec::Tokens(p) => {
                let tokens = p
                    .output_tokens
                    .iter()
                    .map(|r| i64::try_from(r.cell.tokens).unwrap_or(i64::MAX));
                let range = scaled_range(tokens).map(|(l, h)| {
                    (
                        times_rate(l, p.image_output_per_m),
                        times_rate(h, p.image_output_per_m),
                    )
                });
                format!("~{}", per_image(range, " (tokens)".into()))
            }
            PricingSpec::PerSecond(p) => format!(
                "${}/s GPU time",
                crate::money::format_scaled(p.usd_per_second.0, 2)
            ),
            PricingSpec::Credits(p) => {
                let credits = p
                    .rows
                    .iter()
                    .map(|r| r.cell.credits.0)
                    .chain(p.credits.map(|c| c.0));
                let range = scaled_range(credits);
                let count = range.map_or_else(String::new, |(low, high)| {
                    let low_text = crate::money::format_scaled(low, 0);
                    if low == high {
                        format!(" ({low_text} cr)")
                    } else {
                        format!(" ({low_text}-{} cr)", crate::money::format_scaled(high, 0))
                    }
                });
                let dollars = range.map(|(l, h)| {
                    (
                        times_rate(l, p.usd_per_credit),
                        times_rate(h, p.usd_per_credit),
                    )
                });
                per_image(dollars, count)
            }
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            PricingSpec::Free { .. } => "free",
            PricingSpec::PerImage(_) => "per_image",
            PricingSpec::Tokens(_) => "tokens",
            PricingSpec::PerSecond(_) => "per_second",
            PricingSpec::Credits(_) => "credits",
        }
    }
}
