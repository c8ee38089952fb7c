//! The user's `config.toml`: default model, budget caps, per-provider keys
//! and base URLs. A bad file never stops tintype: it warns and uses defaults.

pub mod keys;
pub mod paths;
pub mod theme;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::money::Decimal;

pub use keys::{ApiKey, KeySource};
pub use paths::Paths;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The model `gen` uses when none is named.
    #[serde(default)]
    pub default_model: Option<String>,
    /// One of themes/ (dark, light, high-contrast) or a file in the config
    /// dir's themes/; the studio uses it.
    #[serde(default)]
    pub theme: Option<String>,
    #[serde(default)]
    pub budget: Budget,
    #[serde(default)]
    pub retry: RetryConfig,
    #[serde(default)]
    pub jobs: JobsConfig,
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderConfig>,
    /// The studio's key bindings: `[keys.gallery] keep = "K"` (or a list of
    /// keys) rebinds an action in a pane; only the actions named change.
    #[serde(default)]
    pub keys: BTreeMap<String, BTreeMap<String, toml::Value>>,
    /// How the studio draws images: auto, kitty, sixel, iterm2, halfblocks or none.
    #[serde(default)]
    pub graphics: Option<String>,
}

/// How many calls run at once across all providers.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsConfig {
    /// Default 8.
    #[serde(default)]
    pub max_concurrent: Option<usize>,
}

/// Spending caps in dollars; `gen` refuses a submission that would pass one.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    #[serde(default)]
    pub daily_usd: Option<Decimal>,
    #[serde(default)]
    pub monthly_usd: Option<Decimal>,
}

/// How failed calls are sent again (rate limits and transient faults only).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryConfig {
    /// Retries after the first attempt (default 3).
    #[serde(default)]
    pub max: Option<u32>,
    #[serde(default)]
    pub first_delay_ms: Option<u64>,
    #[serde(default)]
    pub max_delay_ms: Option<u64>,
}

impl RetryConfig {
    pub fn policy(&self) -> crate::engine::retry::RetryPolicy {
        let default = crate::engine::retry::RetryPolicy::default();
        let millis =
            |v: Option<u64>, d: std::time::Duration| v.map_or(d, std::time::Duration::from_millis);
        crate::engine::retry::RetryPolicy {
            max_retries: self.max.unwrap_or(default.max_retries),
            first_delay: millis(self.first_delay_ms, default.first_delay),
            max_delay: millis(self.max_delay_ms, default.max_delay),
            max_wait: default.max_wait,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Discouraged (the file may be shared); prefer the environment or `api_key_cmd`.
    #[serde(default)]
    pub api_key: Option<String>,
    /// A shell command that prints the key, e.g. `pass show openai`.
    #[serde(default)]
    pub api_key_cmd: Option<String>,
    #[serde(default)]
    pub base_url: Option<String>,
    /// Calls to this provider out at once (default 4).
    #[serde(default)]
    pub max_concurrent: Option<usize>,
    /// Pacing, to your account's limits (the catalog has the documented
    /// defaults where a provider publishes one).
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    #[serde(default)]
    pub images_per_minute: Option<u32>,
}

impl Config {
    /// Reads `path` if it exists. The warning, if any, says what was ignored.
    pub fn load(path: &Path) -> (Config, Option<String>) {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Config::default(), None),
            Err(e) => {
                return (
                    Config::default(),
                    Some(format!(
                        "cannot read {} ({e}); using defaults",
                        path.display()
                    )),
                );
            }
        };
        match toml::from_str(&text) {
            Ok(config) => (config, None),
            Err(e) => (
                Config::default(),
                Some(format!(
                    "ignoring {} ({}); using defaults",
                    path.display(),
                    e.message()
                )),
            ),
        }
    }

    pub fn provider(&self, id: &str) -> Option<&ProviderConfig> {
        self.providers.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_budget_and_providers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "default_model = 'openai/gpt-image-2'\n[budget]\ndaily_usd = '2.50'\n\
             [providers.openai]\napi_key_cmd = 'pass show openai'\nbase_url = 'http://127.0.0.1:4010/v1'\n",
        )
        .unwrap();
        let (config, warning) = Config::load(&path);
        assert!(warning.is_none());
        assert_eq!(
            config.budget.daily_usd.map(Decimal::micros),
            Some(crate::money::Micros(2_500_000))
        );
        assert_eq!(
            config.provider("openai").unwrap().api_key_cmd.as_deref(),
            Some("pass show openai")
        );
    }

    #[test]
    fn a_bad_file_warns_and_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[budget]\ndaily_usd = 'lots'\n").unwrap();
        let (config, warning) = Config::load(&path);
        assert!(config.budget.daily_usd.is_none());
        assert!(warning.unwrap().contains("using defaults"));
        let (_, none) = Config::load(&dir.path().join("absent.toml"));
        assert!(none.is_none());
    }
}
