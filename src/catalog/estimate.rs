//! What a request will cost before it is sent (`estimate`), and what it did
//! cost once the provider reports usage (`actual_cost`). Integer micro-dollars
//! only; every cost names the rule that produced it.

use serde::{Deserialize, Serialize};

use super::pricing::{
    self, CreditPricing, PerImagePricing, PerSecondPricing, PricingSpec, TokenPricing,
};
use super::request::ValidRequest;
use super::size::Size;
use super::value::ParamValue;
use crate::money::{Decimal, Micros, SCALE, div_round, format_scaled};

/// An amount and the rule behind it, e.g. `dall-e-3 hd 1792x1024: $0.12 x 1`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cost {
    pub micros: Micros,
    pub rule: String,
}

/// What a provider reported using, for the actual cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Usage {
    /// Token counts (`OpenAI` GPT image models, Gemini).
    Tokens {
        text_input: u64,
        image_input: u64,
        text_output: u64,
        image_output: u64,
    },
    /// GPU time (Replicate `metrics.predict_time`), in milliseconds.
    Seconds { millis: u64 },
    /// Images delivered, for per-image and per-generation billing.
    Images { count: u32 },
    /// Credits charged as reported (remove.bg `X-Credits-Charged`), scaled by 10^6.
    Credits { micro_credits: i64 },
}

/// `n` images in calls of at most `per_call`: 10 in calls of 4 is [4, 4, 2].
pub fn split_n(n: u32, per_call: u32) -> Vec<u32> {
    let per_call = per_call.max(1);
    let mut calls = vec![per_call; (n / per_call) as usize];
    if !n.is_multiple_of(per_call) {
        calls.push(n % per_call);
    }
    calls
}

/// The cost of the whole submission: every image of every call.
pub fn estimate(request: &ValidRequest) -> Cost {
    let label = short_name(request);
    let images = u64::from(request.n);
    let calls = request.calls.len();
    let value_of = |key: &str| request.value(key);
    let mut cost = match &request.op().pricing {
        PricingSpec::Free { .. } => Cost {
            micros: Micros::ZERO,
            rule: format!("{label}: free (offline placeholders)"),
        },
        PricingSpec::PerImage(p) => per_image_estimate(&label, p, images, &value_of),
        PricingSpec::Credits(p) => credits_estimate(&label, p, images, &value_of),
        PricingSpec::PerSecond(p) => per_second_estimate(&label, p, images),
        PricingSpec::Tokens(p) => tokens_estimate(&label, p, request),
    };
    if calls > 1 {
        cost.rule = format!("{} in {calls} requests", cost.rule);
    }
    cost
}

fn short_name(request: &ValidRequest) -> String {
    request
        .model
        .remote
        .rsplit('/')
        .next()
        .unwrap_or(&request.model.remote)
        .to_string()
}

fn dollars(value: Decimal) -> String {
    format!("${}", format_scaled(value.0, 2))
}

fn with_words(label: &str, words: &str) -> String {
    if words.is_empty() {
        label.to_string()
    } else {
        format!("{label} {words}")
    }
}

type ValueOf<'a> = dyn Fn(&str) -> Option<ParamValue> + 'a;

fn per_image_price(p: &PerImagePricing, value_of: &ValueOf) -> Option<(Decimal, String)> {
    match pricing::find_row(&p.rows, value_of) {
        Some(row) => Some((row.cell.usd, pricing::row_words(row))),
        None => p.usd.map(|usd| (usd, String::new())),
    }
}

fn per_image_estimate(label: &str, p: &PerImagePricing, images: u64, value_of: &ValueOf) -> Cost {
    match per_image_price(p, value_of) {
        Some((usd, words)) => Cost {
            micros: usd.micros().times(images),
            rule: format!("{}: {} x {images}", with_words(label, &words), dollars(usd)),
        },
        None => unpriced(label),
    }
}

fn credits_per_image(p: &CreditPricing, value_of: &ValueOf) -> Option<(Decimal, String)> {
    match pricing::find_row(&p.rows, value_of) {
        Some(row) => Some((row.cell.credits, pricing::row_words(row))),
        None => p.credits.map(|credits| (credits, String::new())),
    }
}

fn credits_micros(micro_credits: i64, usd_per_credit: Decimal) -> Micros {
    Micros(div_round(
        i128::from(micro_credits) * i128::from(usd_per_credit.0),
        i128::from(SCALE),
    ))
}

fn credits_estimate(label: &str, p: &CreditPricing, images: u64, value_of: &ValueOf) -> Cost {
    let Some((credits, words)) = credits_per_image(p, value_of) else {
        return unpriced(label);
    };
    let each = credits_micros(credits.0, p.usd_per_credit);
    Cost {
        micros: each.times(images),
        rule: format!(
            "{}: {credits} credits x {} = {each} x {images}",
            with_words(label, &words),
            dollars(p.usd_per_credit)
        ),
    }
}

fn per_second_estimate(label: &str, p: &PerSecondPricing, images: u64) -> Cost {
    let each = Micros(div_round(
        i128::from(p.expected_seconds.0) * i128::from(p.usd_per_second.0),
        i128::from(SCALE),
    ));
    Cost {
        micros: each.times(images),
        rule: format!(
            "{label} on {}: ~{}s x {}/s = {each} x {images} (billed by GPU time)",
            p.hardware,
            p.expected_seconds,
            dollars(p.usd_per_second)
        ),
    }
}

/// Image-output tokens per image, and the words that say how they were found.
fn output_tokens(p: &TokenPricing, request: &ValidRequest) -> Option<(u64, String)> {
    let mut notes = Vec::new();
    let priced_as = |key: &str| -> Option<ParamValue> {
        let value = request.value(key)?;
        let stand_in = p
            .estimate_as
            .get(key)
            .and_then(|table| table.get(&value.to_string()).cloned());
        Some(stand_in.unwrap_or(value))
    };
    for (key, table) in &p.estimate_as {
        if let Some(value) = request.value(key)
            && let Some(stand_in) = table.get(&value.to_string())
        {
            notes.push(format!("{key} {value} priced as {stand_in}"));
        }
    }
    let note = |words: String| {
        if notes.is_empty() {
            words
        } else {
            format!("{words} ({})", notes.join(", "))
        }
    };
    if let Some(row) = pricing::find_row(&p.output_tokens, &priced_as) {
        return Some((row.cell.tokens, note(pricing::row_words(row))));
    }
    // A size the table does not list: scale the reference size's tokens by area.
    let reference = p.scale_from.as_deref()?;
    let size = Size::parse(priced_as("size")?.as_str()?)?;
    let reference_size = Size::parse(reference)?;
    let at_reference = |key: &str| {
        if key == "size" {
            Some(ParamValue::text(reference))
        } else {
            priced_as(key)
        }
    };
    let row = pricing::find_row(&p.output_tokens, &at_reference)?;
    let scaled = (u128::from(row.cell.tokens) * u128::from(size.pixels()))
        .div_ceil(u128::from(reference_size.pixels()));
    let words = pricing::row_words(row).replace(reference, &size.to_string());
    Some((
        u64::try_from(scaled).unwrap_or(u64::MAX),
        note(format!("{words}, scaled by area from {reference}")),
    ))
}

fn tokens_estimate(label: &str, p: &TokenPricing, request: &ValidRequest) -> Cost {
    let Some((per_image, words)) = output_tokens(p, request) else {
        return unpriced(label);
    };
    let images = u64::from(request.n);
    let calls = request.calls.len() as u64;
    let prompt_chars = (request.prompt.chars().count()
        + request.negative_prompt().map_or(0, |n| n.chars().count())) as u64;
    let prompt_tokens = prompt_chars.div_ceil(u64::from(p.chars_per_token.max(1)));
    let input_images = request.inputs.len() as u64 + u64::from(request.mask.is_some());
    let input_tokens = input_images * p.input_image_tokens;

    // Sum in micro-dollars x 10^6 and round once, so rounding never compounds.
    let scaled = i128::from(per_image) * i128::from(images) * i128::from(p.image_output_per_m.0)
        + i128::from(prompt_tokens) * i128::from(calls) * i128::from(p.text_input_per_m.0)
        + i128::from(input_tokens) * i128::from(calls) * i128::from(p.image_input_per_m.0);
    let each = Micros(div_round(
        i128::from(per_image) * i128::from(p.image_output_per_m.0),
        i128::from(SCALE),
    ));
    let mut rule = format!(
        "{}: {per_image} image tokens x {}/1M = {each} x {images}",
        with_words(label, &words),
        dollars(p.image_output_per_m)
    );
    if prompt_tokens > 0 {
        rule.push_str(&format!(
            ", + ~{prompt_tokens} prompt tokens x {}/1M",
            dollars(p.text_input_per_m)
        ));
    }
    if input_tokens > 0 {
        rule.push_str(&format!(
            ", + {input_images} input images x ~{} tokens x {}/1M",
            p.input_image_tokens,
            dollars(p.image_input_per_m)
        ));
    }
    Cost {
        micros: Micros(div_round(scaled, i128::from(SCALE))),
        rule,
    }
}

fn unpriced(label: &str) -> Cost {
    Cost {
        micros: Micros::ZERO,
        rule: format!("{label}: no price known for these parameters"),
    }
}

/// The cost of one provider call, from the usage it reported.
pub fn actual_cost(request: &ValidRequest, usage: &Usage) -> Cost {
    let label = short_name(request);
    let value_of = |key: &str| request.value(key);
    match (&request.op().pricing, usage) {
        (PricingSpec::Free { .. }, _) => Cost {
            micros: Micros::ZERO,
            rule: format!("{label}: free"),
        },
        (
            PricingSpec::Tokens(p),
            Usage::Tokens {
                text_input,
                image_input,
                text_output,
                image_output,
            },
        ) => {
            let text_out_rate = p.text_output_per_m.unwrap_or(p.image_output_per_m);
            let scaled = i128::from(*text_input) * i128::from(p.text_input_per_m.0)
                + i128::from(*image_input) * i128::from(p.image_input_per_m.0)
                + i128::from(*text_output) * i128::from(text_out_rate.0)
                + i128::from(*image_output) * i128::from(p.image_output_per_m.0);
            Cost {
                micros: Micros(div_round(scaled, i128::from(SCALE))),
                rule: format!(
                    "{label}: {text_input} text in x {}/1M + {image_input} image in x {}/1M + \
                     {text_output} text out x {}/1M + {image_output} image out x {}/1M",
                    dollars(p.text_input_per_m),
                    dollars(p.image_input_per_m),
                    dollars(text_out_rate),
                    dollars(p.image_output_per_m)
                ),
            }
        }
        (PricingSpec::PerSecond(p), Usage::Seconds { millis }) => Cost {
            micros: Micros(div_round(
                i128::from(*millis) * i128::from(p.usd_per_second.0),
                1000,
            )),
            rule: format!(
                "{label} on {}: {}s x {}/s",
                p.hardware,
                format_scaled(i64::try_from(*millis).unwrap_or(i64::MAX) * 1000, 1),
                dollars(p.usd_per_second)
            ),
        },
        (PricingSpec::Credits(p), Usage::Credits { micro_credits }) => Cost {
            micros: credits_micros(*micro_credits, p.usd_per_credit),
            rule: format!(
                "{label}: {} credits charged x {}",
                format_scaled(*micro_credits, 0),
                dollars(p.usd_per_credit)
            ),
        },
        (PricingSpec::Credits(p), Usage::Images { count }) => match credits_per_image(p, &value_of)
        {
            Some((credits, _)) => {
                let each = credits_micros(credits.0, p.usd_per_credit);
                Cost {
                    micros: each.times(u64::from(*count)),
                    rule: format!(
                        "{label}: {credits} credits x {} x {count} delivered",
                        dollars(p.usd_per_credit)
                    ),
                }
            }
            None => unpriced(&label),
        },
        (PricingSpec::PerImage(p), Usage::Images { count }) => {
            match per_image_price(p, &value_of) {
                Some((usd, _)) => Cost {
                    micros: usd.micros().times(u64::from(*count)),
                    rule: format!("{label}: {} x {count} delivered", dollars(usd)),
                },
                None => unpriced(&label),
            }
        }
        (_, usage) => {
            // The provider did not report what this rule bills by; charge the
            // estimate for the images delivered and say so.
            let delivered = match usage {
                Usage::Images { count } => *count,
                _ => request.calls.first().copied().unwrap_or(1),
            };
            let per_image = estimate(request).micros.0 / i64::from(request.n.max(1));
            Cost {
                micros: Micros(per_image).times(u64::from(delivered)),
                rule: format!(
                    "{label}: usage not reported, charged at the estimate for {delivered} images"
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_n_into_calls() {
        assert_eq!(split_n(1, 1), vec![1]);
        assert_eq!(split_n(4, 1), vec![1, 1, 1, 1]);
        assert_eq!(split_n(10, 4), vec![4, 4, 2]);
        assert_eq!(split_n(8, 4), vec![4, 4]);
        assert_eq!(split_n(12, 10), vec![10, 2]);
        assert_eq!(split_n(3, 0), vec![1, 1, 1]);
    }
}
