//! The catalog's data model, exactly as written in `catalog.toml`.
//!
//! Every struct denies unknown fields so a typo in the shipped catalog fails a
//! test, and a typo in a user's overlay is reported instead of silently ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::pricing::PricingSpec;
use super::value::ParamValue;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    /// When the shipped prices were last checked (an ISO date).
    pub version: String,
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderSpec>,
    #[serde(default)]
    pub models: BTreeMap<String, Model>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    pub label: String,
    /// Default API root; config and `TINTYPE_<PROVIDER>_BASE_URL` override it.
    pub base_url: String,
    /// Environment variables that may hold the key, first match wins.
    #[serde(default)]
    pub key_env: Vec<String>,
    /// The model `gen` picks for this provider when none is named.
    #[serde(default)]
    pub default_model: Option<String>,
    /// A documented account-wide request limit; tintype paces to it.
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    /// How long the provider shuts a caller out after a 429 that carries no
    /// Retry-After; every job on the provider waits that long.
    #[serde(default)]
    pub rate_limit_pause_secs: Option<u64>,
    /// Calls out at once, when the provider wants fewer than the default.
    #[serde(default)]
    pub max_concurrent: Option<usize>,
    /// Where the limits above come from.
    #[serde(default)]
    pub limits_source: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Filled from the table key (`openai/dall-e-3`) after parsing.
    #[serde(skip)]
    pub id: String,
    pub provider: String,
    /// The name the provider's API knows the model by.
    pub remote: String,
    /// Replicate version id, for models pinned to one version.
    #[serde(default)]
    pub version: Option<String>,
    pub label: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub deprecated: Option<Deprecation>,
    pub operations: BTreeMap<String, Operation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deprecation {
    #[serde(default)]
    pub announced: Option<String>,
    /// ISO date after which the provider stops serving the model.
    #[serde(default)]
    pub shutdown: Option<String>,
    #[serde(default)]
    pub replacement: Option<String>,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    /// Path (or path template) the provider module calls.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Absent when the operation takes no prompt (variations, upscales...).
    #[serde(default)]
    pub prompt: Option<PromptSpec>,
    #[serde(default)]
    pub n: NSpec,
    #[serde(default)]
    pub inputs: Option<InputSpec>,
    #[serde(default)]
    pub mask: Option<MaskSpec>,
    #[serde(default)]
    pub outputs: Vec<String>,
    /// Whether partial images can be streamed while the image renders.
    #[serde(default)]
    pub streaming: bool,
    /// The provider answers with an id to poll instead of the image.
    #[serde(default)]
    pub async_result: bool,
    #[serde(default)]
    pub params: BTreeMap<String, ParamSpec>,
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// At least one of these parameters must be set to a non-zero value.
    #[serde(default)]
    pub at_least_one: Vec<String>,
    /// Sent with every request, not chosen by the user (e.g. Stability's `model`).
    #[serde(default)]
    pub fixed: BTreeMap<String, ParamValue>,
    pub pricing: PricingSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptSpec {
    #[serde(default = "yes")]
    pub required: bool,
    pub max_chars: usize,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NSpec {
    /// The most images one provider call returns; more are split across calls.
    #[serde(default = "one")]
    pub max_per_request: u32,
    /// The most images tintype queues for one submission.
    #[serde(default = "default_n_max")]
    pub max: u32,
    /// The provider's name for the count (`n`, `num_outputs`).
    #[serde(default)]
    pub wire: Option<String>,
}

fn one() -> u32 {
    1
}

fn default_n_max() -> u32 {
    100
}

impl Default for NSpec {
    fn default() -> Self {
        NSpec {
            max_per_request: one(),
            max: default_n_max(),
            wire: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    #[serde(default = "one")]
    pub min: u32,
    pub max: u32,
    pub formats: Vec<String>,
    #[serde(default)]
    pub max_bytes: Option<u64>,
    #[serde(default)]
    pub square: bool,
    #[serde(default)]
    pub min_side: Option<u32>,
    #[serde(default)]
    pub max_side: Option<u32>,
    #[serde(default)]
    pub min_pixels: Option<u64>,
    #[serde(default)]
    pub max_pixels: Option<u64>,
    /// Longest side over shortest side, e.g. 2.5 for 1:2.5 .. 2.5:1.
    #[serde(default)]
    pub max_aspect: Option<f64>,
    /// The provider's field name for the images, when the module's usual
    /// one does not apply.
    #[serde(default)]
    pub wire: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaskSpec {
    #[serde(default)]
    pub required: bool,
    pub formats: Vec<String>,
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// The mask must have the first input image's dimensions.
    #[serde(default)]
    pub same_size: bool,
    /// Transparent pixels mark the area to edit, so the mask needs alpha.
    #[serde(default)]
    pub needs_alpha: bool,
    #[serde(default)]
    pub wire: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    Enum,
    Int,
    Float,
    Bool,
    Text,
    /// `WxH` from a list of values, optionally any size meeting `custom`.
    Size,
}

impl ParamType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::Enum => "enum",
            ParamType::Int => "int",
            ParamType::Float => "float",
            ParamType::Bool => "bool",
            ParamType::Text => "text",
            ParamType::Size => "size",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamSpec {
    #[serde(rename = "type")]
    pub kind: ParamType,
    #[serde(default)]
    pub values: Vec<ParamValue>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub max_chars: Option<usize>,
    #[serde(default)]
    pub custom: Option<CustomSize>,
    #[serde(default)]
    pub default: Option<ParamValue>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub help: Option<String>,
    /// The provider's field name when it differs from the catalog's.
    #[serde(default)]
    pub wire: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomSize {
    #[serde(default = "one")]
    pub multiple_of: u32,
    #[serde(default)]
    pub min_edge: Option<u32>,
    pub max_edge: u32,
    #[serde(default)]
    pub min_pixels: Option<u64>,
    #[serde(default)]
    pub max_pixels: Option<u64>,
    #[serde(default)]
    pub max_ratio: Option<f64>,
}

/// `if` the first condition holds, `then` the second must hold too.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(rename = "if")]
    pub when: Condition,
    pub then: Condition,
    #[serde(default)]
    pub because: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub param: String,
    /// The parameter's effective value (given or default) is one of these.
    #[serde(default, rename = "in")]
    pub one_of: Option<Vec<ParamValue>>,
    /// The parameter was (true) or was not (false) given explicitly.
    #[serde(default)]
    pub set: Option<bool>,
}
