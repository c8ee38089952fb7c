//! A request before validation (`Draft`) and after (`ValidRequest`).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use super::size::Size;
use super::spec::{Model, Operation};
use super::value::{ParamValue, Params};

/// One thing wrong with a request, as a sentence a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParamError {
    /// The parameter at fault (`size`, `n`), or `model`, `operation`,
    /// `prompt`, `image`, `mask`.
    pub param: String,
    pub message: String,
}

impl ParamError {
    pub fn new(param: impl Into<String>, message: impl Into<String>) -> Self {
        ParamError {
            param: param.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What tintype knows of an input image without decoding its pixels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputImage {
    pub path: PathBuf,
    /// `png`, `jpeg`, `webp`, `gif`...
    pub format: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub has_alpha: bool,
}

impl InputImage {
    pub fn name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |name| name.to_string_lossy().into_owned(),
        )
    }
}

/// A request as the user wrote it. `params` may carry `n`, `seed` and
/// `negative_prompt` like any other parameter.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub model: String,
    /// The model's default operation when absent.
    pub operation: Option<String>,
    pub prompt: Option<String>,
    pub params: Params,
    pub inputs: Vec<InputImage>,
    pub mask: Option<InputImage>,
    /// Allow more images than one call makes, sent as several calls.
    pub split: bool,
}

/// Proof that a request fits the catalog; only `Catalog::validate` makes one.
#[derive(Clone, Debug)]
pub struct ValidRequest {
    pub model: Arc<Model>,
    pub operation: String,
    /// Empty when the operation takes no prompt.
    pub prompt: String,
    /// The parameters given, in their catalog types, without `n`.
    pub params: Params,
    /// Images asked for in all.
    pub n: u32,
    /// Images asked of each provider call, in order.
    pub calls: Vec<u32>,
    pub inputs: Vec<InputImage>,
    pub mask: Option<InputImage>,
    pub(super) _sealed: Sealed,
}

#[derive(Clone, Copy, Debug)]
pub struct Sealed;

impl ValidRequest {
    pub fn op(&self) -> &Operation {
        self.model
            .operation(&self.operation)
            .expect("a ValidRequest names an operation of its model")
    }

    /// The value given for `name`, else the catalog's default.
    pub fn value(&self, name: &str) -> Option<ParamValue> {
        self.params
            .get(name)
            .cloned()
            .or_else(|| self.op().params.get(name)?.default.clone())
    }

    /// Every parameter the operation takes, with its given or default value.
    pub fn effective_params(&self) -> Params {
        self.op()
            .params
            .keys()
            .filter_map(|name| Some((name.clone(), self.value(name)?)))
            .collect()
    }

    pub fn seed(&self) -> Option<u64> {
        self.params
            .get("seed")
            .and_then(ParamValue::as_i64)
            .and_then(|s| u64::try_from(s).ok())
    }

    pub fn negative_prompt(&self) -> Option<&str> {
        self.params
            .get("negative_prompt")
            .and_then(ParamValue::as_str)
    }

    /// The requested size when it is a concrete `WxH`.
    pub fn size(&self) -> Option<Size> {
        Size::parse(self.value("size")?.as_str()?)
    }

    /// The part of this request one provider call makes: `n` images.
    #[must_use]
    pub fn for_call(&self, n: u32) -> ValidRequest {
        let mut call = self.clone();
        call.n = n;
        call.calls = vec![n];
        call
    }

    /// Whether the model takes a seed, so results can be repeated.
    pub fn takes_seed(&self) -> bool {
        self.op().params.contains_key("seed")
    }

    /// How many seeds the model takes (its `seed` max + 1), when it takes one.
    pub fn seed_span(&self) -> Option<u64> {
        let spec = self.op().params.get("seed")?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        // catalog bounds are small and positive
        let max = spec.max.map_or(u64::from(u32::MAX), |m| m.max(0.0) as u64);
        Some(max + 1)
    }

    /// The same request with an explicit seed, for providers that honour one.
    #[must_use]
    pub fn with_seed(&self, seed: u64) -> ValidRequest {
        let mut copy = self.clone();
        if self.op().params.contains_key("seed") {
            copy.params.insert(
                "seed".into(),
                ParamValue::Int(i64::try_from(seed).unwrap_or(i64::MAX)),
            );
        }
        copy
    }
}
