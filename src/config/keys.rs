//! API keys: found in the environment, the config file or a configured
//! command. A key is only ever shown masked; its `Debug` and `Display` mask it
//! too, so a stray `{:?}` cannot leak it into a log.

use std::fmt;
use std::process::Command;

use super::Config;
use crate::catalog::ProviderSpec;

/// Where a provider's key comes from, known without running anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    Env(String),
    ConfigFile,
    Command(String),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Env(var) => write!(f, "${var}"),
            KeySource::ConfigFile => f.write_str("config.toml"),
            KeySource::Command(_) => f.write_str("api_key_cmd"),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(secret: impl Into<String>) -> ApiKey {
        ApiKey(secret.into())
    }

    /// The key itself, for the request header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `sk-…abcd`: enough to tell keys apart, too little to use one.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() < 12 {
            return "…****".into();
        }
        // Keep a short vendor prefix such as `sk-` or `r8_`.
        let prefix: String = match chars.iter().position(|c| matches!(c, '-' | '_')) {
            Some(end) if end <= 3 => chars[..=end].iter().collect(),
            _ => String::new(),
        };
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{prefix}…{tail}")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.masked())
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Environment lookup, injectable so tests never touch the real environment.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Where `provider`'s key would come from: the environment first, then the
/// config file, then a configured command.
pub fn key_source(
    provider: &str,
    spec: &ProviderSpec,
    config: &Config,
    env: Env<'_>,
) -> Option<KeySource> {
    if let Some(var) = spec
        .key_env
        .iter()
        .find(|var| env(var).is_some_and(|v| !v.trim().is_empty()))
    {
        return Some(KeySource::Env(var.clone()));
    }
    let configured = config.provider(provider)?;
    if configured
        .api_key
        .as_deref()
        .is_some_and(|k| !k.trim().is_empty())
    {
        return Some(KeySource::ConfigFile);
    }
    configured.api_key_cmd.clone().map(KeySource::Command)
}

/// Fetches the key from its source. Errors say where tintype looked, never
/// what it found.
pub fn resolve_key(
    provider: &str,
    source: &KeySource,
    config: &Config,
    env: Env<'_>,
) -> Result<ApiKey, String> {
    match source {
        KeySource::Env(var) => env(var)
            .map(|v| ApiKey::new(v.trim()))
            .ok_or_else(|| format!("${var} is not set")),
        KeySource::ConfigFile => config
            .provider(provider)
            .and_then(|p| p.api_key.clone())
            .map(|k| ApiKey::new(k.trim()))
            .ok_or_else(|| format!("no api_key for {provider} in config.toml")),
        KeySource::Command(command) => {
            let output = Command::new("sh")
                .args(["-c", command])
                .output()
                .map_err(|e| format!("cannot run the api_key_cmd for {provider}: {e}"))?;
            if !output.status.success() {
                return Err(format!(
                    "the api_key_cmd for {provider} ({command}) failed with {}",
                    output.status
                ));
            }
            let key = String::from_utf8_lossy(&output.stdout).trim().to_string();
            if key.is_empty() {
                return Err(format!(
                    "the api_key_cmd for {provider} ({command}) printed nothing"
                ));
            }
            Ok(ApiKey::new(key))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn openai() -> ProviderSpec {
        ProviderSpec {
            label: "OpenAI".into(),
            base_url: String::new(),
            key_env: vec!["OPENAI_API_KEY".into()],
            default_model: None,
            requests_per_minute: None,
            rate_limit_pause_secs: None,
            max_concurrent: None,
            limits_source: None,
        }
    }

    #[test]
    fn keys_are_masked_everywhere() {
        let key = ApiKey::new("sk-proj-abcdefghijklmnop1234");
        assert_eq!(key.masked(), "sk-…1234");
        assert_eq!(format!("{key}"), "sk-…1234");
        assert_eq!(format!("{key:?}"), "ApiKey(sk-…1234)");
        assert!(!format!("{key:?}").contains("abcdefgh"));
        assert_eq!(ApiKey::new("r8_0123456789abcdefXYZW").masked(), "r8_…XYZW");
        assert_eq!(ApiKey::new("AIzaSyA0123456789wxyz").masked(), "…wxyz");
        assert_eq!(ApiKey::new("short").masked(), "…****");
    }

    #[test]
    fn environment_beats_config_beats_command() {
        let with_env = |name: &str| (name == "OPENAI_API_KEY").then(|| "sk-x".to_string());
        let none = |_: &str| None;
        let config: Config = toml::from_str(
            "[providers.openai]\napi_key = 'sk-file'\napi_key_cmd = 'echo sk-cmd'\n",
        )
        .unwrap();
        assert_eq!(
            key_source("openai", &openai(), &config, &with_env),
            Some(KeySource::Env("OPENAI_API_KEY".into()))
        );
        assert_eq!(
            key_source("openai", &openai(), &config, &none),
            Some(KeySource::ConfigFile)
        );
        let command_only: Config =
            toml::from_str("[providers.openai]\napi_key_cmd = 'echo sk-cmd'\n").unwrap();
        let source = key_source("openai", &openai(), &command_only, &none).unwrap();
        assert_eq!(source, KeySource::Command("echo sk-cmd".into()));
        assert_eq!(
            resolve_key("openai", &source, &command_only, &none)
                .unwrap()
                .expose(),
            "sk-cmd"
        );
        assert_eq!(
            key_source("openai", &openai(), &Config::default(), &none),
            None
        );
    }

    #[test]
    fn failing_commands_say_so_without_output() {
        let config: Config =
            toml::from_str("[providers.openai]\napi_key_cmd = 'echo secret >&2; exit 3'\n")
                .unwrap();
        let source = KeySource::Command("echo secret >&2; exit 3".into());
        let error = resolve_key("openai", &source, &config, &|_| None).unwrap_err();
        assert!(error.contains("failed"), "{error}");
        let empty = resolve_key(
            "openai",
            &KeySource::Command("true".into()),
            &config,
            &|_| None,
        )
        .unwrap_err();
        assert!(empty.contains("printed nothing"));
    }
}
