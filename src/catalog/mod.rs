//! The capability catalog: every provider, model and operation tintype knows,
//! with its parameters, limits and prices, as data.
//!
//! The shipped `catalog.toml` is embedded in the binary. A user's
//! `catalog.toml` in the config dir is merged over it (add a model, change a
//! price) without a rebuild; a broken overlay is reported and ignored.

mod coerce;
mod consistency;
mod estimate;
pub mod input;
mod merge;
pub mod pricing;
mod request;
pub mod size;
pub mod spec;
mod validate;
pub mod value;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

pub use estimate::{Cost, Usage, actual_cost, estimate, split_n};
pub use request::{Draft, InputImage, ParamError, ValidRequest};
pub use spec::{Model, Operation, ParamSpec, ParamType, ProviderSpec};
pub use value::{ParamValue, Params, text_params};

const EMBEDDED: &str = include_str!("catalog.toml");

/// The file name of the user's overlay in the config dir.
pub const OVERLAY_FILE: &str = "catalog.toml";

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{0}")]
    Toml(#[from] toml::de::Error),
    #[error("{0}")]
    Invalid(String),
}

#[derive(Debug)]
pub struct Catalog {
    version: String,
    providers: BTreeMap<String, ProviderSpec>,
    models: BTreeMap<String, Arc<Model>>,
}

impl Catalog {
    /// The catalog shipped in the binary.
    pub fn embedded() -> Result<Catalog, CatalogError> {
        Catalog::build(EMBEDDED.parse()?)
    }

    /// The shipped catalog with `overlay` (TOML text) merged over it.
    pub fn with_overlay(overlay: &str) -> Result<Catalog, CatalogError> {
        let mut doc: toml::Table = EMBEDDED.parse()?;
        merge::deep_merge(&mut doc, overlay.parse()?);
        Catalog::build(doc)
    }

    /// Loads the shipped catalog and, when present, the user's overlay. A
    /// broken overlay never stops tintype: the warning says what was ignored.
    pub fn load(overlay_path: Option<&Path>) -> Result<(Catalog, Option<String>), CatalogError> {
        let Some(path) = overlay_path.filter(|p| p.exists()) else {
            return Ok((Catalog::embedded()?, None));
        };
        let merged = std::fs::read_to_string(path)
            .map_err(|e| CatalogError::Invalid(e.to_string()))
            .and_then(|text| Catalog::with_overlay(&text));
        match merged {
            Ok(catalog) => Ok((catalog, None)),
            Err(error) => {
                let warning = format!(
                    "ignoring {} ({error}); using the built-in catalog",
                    path.display()
                );
                Ok((Catalog::embedded()?, Some(warning)))
            }
        }
    }

    fn build(mut doc: toml::Table) -> Result<Catalog, CatalogError> {
        merge::resolve_templates(&mut doc).map_err(CatalogError::Invalid)?;
        let file: spec::CatalogFile = toml::Value::Table(doc).try_into()?;
        let mut models = BTreeMap::new();
        for (id, mut model) in file.models {
            model.id.clone_from(&id);
            consistency::check_model(&model, &file.providers).map_err(CatalogError::Invalid)?;
            models.insert(id, Arc::new(model));
        }
        consistency::check_provider_defaults(&file.providers, &models)
            .map_err(CatalogError::Invalid)?;
        Ok(Catalog {
            version: file.version,
            providers: file.providers,
            models,
        })
    }

    /// When the prices were last checked: the shipped catalog's date, or
    /// the one an overlay set.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The first 12 hex digits of the SHA-256 of the shipped catalog text:
    /// two builds with the same version can still differ in their data.
    pub fn embedded_hash() -> String {
        use sha2::{Digest, Sha256};
        let mut hex = String::with_capacity(12);
        for byte in &Sha256::digest(EMBEDDED.as_bytes())[..6] {
            hex.push_str(&format!("{byte:02x}"));
        }
        hex
    }

    /// Every model, ordered by id.
    pub fn models(&self) -> impl Iterator<Item = &Arc<Model>> {
        self.models.values()
    }

    pub fn model(&self, id: &str) -> Option<&Arc<Model>> {
        self.models.get(id)
    }

    pub fn provider(&self, id: &str) -> Option<&ProviderSpec> {
        self.providers.get(id)
    }

    pub fn providers(&self) -> impl Iterator<Item = (&String, &ProviderSpec)> {
        self.providers.iter()
    }

    /// Finds a model by its full id or by an unambiguous tail of it
    /// (`dall-e-3`, `flux-schnell`).
    pub fn resolve(&self, name: &str) -> Result<&Arc<Model>, ParamError> {
        let name = name.trim();
        if let Some(model) = self.models.get(name) {
            return Ok(model);
        }
        let tail = format!("/{name}");
        let matches: Vec<&Arc<Model>> = self
            .models
            .values()
            .filter(|m| m.id.ends_with(&tail))
            .collect();
        match matches.as_slice() {
            [only] => Ok(only),
            [] => Err(ParamError::new("model", self.unknown_model_message(name))),
            many => Err(ParamError::new(
                "model",
                format!(
                    "{name:?} could be {}; give the full id",
                    value::one_of_list(&many.iter().map(|m| &m.id).collect::<Vec<_>>())
                ),
            )),
        }
    }

    fn unknown_model_message(&self, name: &str) -> String {
        let closest = self
            .models
            .keys()
            .map(|id| {
                let short = id.rsplit('/').next().unwrap_or(id);
                let score = strsim::jaro_winkler(name, id).max(strsim::jaro_winkler(name, short));
                (score, id)
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        match closest {
            Some((score, id)) if score > 0.8 => {
                format!(
                    "there is no model {name:?}; did you mean {id}? (`tintype models` lists them all)"
                )
            }
            _ => format!(
                "there is no model {name:?}; `tintype models` lists the models tintype knows"
            ),
        }
    }

    /// The models that have a parameter of this name, for "did you mean" hints.
    pub fn models_with_param(&self, param: &str) -> Vec<&str> {
        self.models
            .values()
            .filter(|m| {
                m.operations
                    .values()
                    .any(|op| op.params.contains_key(param))
            })
            .map(|m| m.id.as_str())
            .collect()
    }
}

impl Model {
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    /// `generate` when the model has it, else its first operation.
    pub fn default_operation(&self) -> &str {
        if self.operations.contains_key("generate") {
            return "generate";
        }
        self.operations
            .keys()
            .next()
            .map_or("generate", String::as_str)
    }

    pub fn is_deprecated(&self) -> bool {
        self.deprecated.is_some()
    }

    /// A sentence about the deprecation as of `today` (ISO date), if any.
    pub fn deprecation_notice(&self, today: &str) -> Option<String> {
        let deprecation = self.deprecated.as_ref()?;
        let mut notice = format!("{} is deprecated", self.id);
        if let Some(shutdown) = &deprecation.shutdown {
            notice = if shutdown.as_str() <= today {
                format!("{notice} and was shut down on {shutdown}: requests will likely fail")
            } else {
                format!("{notice} and shuts down on {shutdown}")
            };
        }
        if let Some(replacement) = &deprecation.replacement {
            notice = format!("{notice}; use {replacement} instead");
        }
        Some(notice)
    }
}
