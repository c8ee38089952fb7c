//! What every command may need: paths, the config file, the catalog, the
//! store. Each is loaded only by the commands that use it, so `cost` and
//! `history` never parse the catalog.

use anyhow::Context as _;

use crate::catalog::Catalog;
use crate::config::keys::{Env, key_source};
use crate::config::{Config, KeySource, Paths};
use crate::store::Store;

pub struct Context {
    pub paths: Paths,
    pub config: Config,
}

/// Why `gen` chose the model it chose, for the note it prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefaultReason {
    Configured,
    KeyFound(KeySource),
    NoKeys,
}

/// Providers tried in this order when several have keys.
const PREFERRED: [&str; 4] = ["openai", "gemini", "stability", "replicate"];

impl Context {
    pub fn load() -> anyhow::Result<Context> {
        let paths = Paths::from_env().map_err(anyhow::Error::msg)?;
        let (config, warning) = Config::load(&paths.config_file());
        warn(warning);
        Ok(Context { paths, config })
    }

    pub fn catalog(&self) -> anyhow::Result<Catalog> {
        let (catalog, warning) = Catalog::load(Some(&self.paths.catalog_overlay()))
            .context("the built-in catalog failed to load")?;
        warn(warning);
        Ok(catalog)
    }

    pub fn store(&self) -> Result<Store, crate::store::StoreError> {
        Store::open(&self.paths.database())
    }

    /// The model to use when none is named: the configured one, else the
    /// default of the first provider with a key, else the offline sandbox.
    pub fn default_model(&self, catalog: &Catalog, env: Env<'_>) -> (String, DefaultReason) {
        if let Some(model) = self
            .config
            .default_model
            .as_ref()
            .filter(|m| catalog.resolve(m).is_ok())
        {
            return (model.clone(), DefaultReason::Configured);
        }
        for provider in PREFERRED {
            let Some(spec) = catalog.provider(provider) else {
                continue;
            };
            if let (Some(source), Some(model)) = (
                key_source(provider, spec, &self.config, env),
                &spec.default_model,
            ) {
                return (model.clone(), DefaultReason::KeyFound(source));
            }
        }
        ("sandbox/procedural".into(), DefaultReason::NoKeys)
    }

    /// How the studio draws images, if the user said, and where they said
    /// it: `$TINTYPE_GRAPHICS` beats config.toml's `graphics`, so one
    /// session can try another protocol without editing the file.
    pub fn graphics_setting(&self, env: Env<'_>) -> Option<(String, &'static str)> {
        env("TINTYPE_GRAPHICS")
            .map(|value| (value, "$TINTYPE_GRAPHICS"))
            .or_else(|| {
                self.config
                    .graphics
                    .clone()
                    .map(|value| (value, "config.toml"))
            })
    }

    /// Where the key for `provider` would come from, if anywhere.
    pub fn key_source(&self, catalog: &Catalog, provider: &str, env: Env<'_>) -> Option<KeySource> {
        key_source(provider, catalog.provider(provider)?, &self.config, env)
    }
}

pub fn warn(warning: Option<String>) {
    if let Some(warning) = warning {
        eprintln!("tintype: warning: {warning}");
    }
}

/// A context with `config` as config.toml and paths nowhere, for unit tests.
#[cfg(test)]
pub(crate) fn test_context(config: &str) -> Context {
    Context {
        paths: Paths::under(std::path::Path::new("/nonexistent")),
        config: toml::from_str(config).unwrap(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(config: &str) -> Context {
        test_context(config)
    }

    #[test]
    fn the_environment_graphics_setting_beats_the_config_file() {
        let configured = context("graphics = 'kitty'");
        let none = |_: &str| None;
        let sixel = |name: &str| (name == "TINTYPE_GRAPHICS").then(|| "sixel".to_string());
        assert_eq!(
            configured.graphics_setting(&none),
            Some(("kitty".into(), "config.toml"))
        );
        assert_eq!(
            configured.graphics_setting(&sixel),
            Some(("sixel".into(), "$TINTYPE_GRAPHICS"))
        );
        assert_eq!(context("").graphics_setting(&none), None);
    }

    #[test]
    fn default_model_prefers_config_then_keys_then_sandbox() {
        let catalog = Catalog::embedded().unwrap();
        let none = |_: &str| None;
        assert_eq!(
            context("").default_model(&catalog, &none),
            ("sandbox/procedural".into(), DefaultReason::NoKeys)
        );
        let gemini = |name: &str| (name == "GOOGLE_API_KEY").then(|| "AIza-test".to_string());
        assert_eq!(
            context("").default_model(&catalog, &gemini),
            (
                "gemini/gemini-2.5-flash-image".into(),
                DefaultReason::KeyFound(KeySource::Env("GOOGLE_API_KEY".into()))
            )
        );
        let configured = context("default_model = 'dall-e-2'");
        assert_eq!(
            configured.default_model(&catalog, &gemini),
            ("dall-e-2".into(), DefaultReason::Configured)
        );
        let bogus = context("default_model = 'no-such-model'");
        assert_eq!(
            bogus.default_model(&catalog, &none).1,
            DefaultReason::NoKeys
        );
    }
}
