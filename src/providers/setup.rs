//! Building a provider's client: its base URL (`TINTYPE_<PROVIDER>_BASE_URL`,
//! then config.toml, then for `OpenAI` `OPENAI_BASE_URL`, then the catalog) and
//! its key (environment, config file or `api_key_cmd`).

use super::http::{Connection, Limits};
use super::{Provider, gemini, openai, removebg, replicate, sandbox, stability};
use crate::catalog::Catalog;
use crate::config::Config;
use crate::config::keys::{Env, key_source, resolve_key};

/// `TINTYPE_OPENAI_BASE_URL` and friends.
pub fn base_url_variable(provider: &str) -> String {
    format!(
        "TINTYPE_{}_BASE_URL",
        provider.to_ascii_uppercase().replace('-', "_")
    )
}

pub fn base_url(
    provider: &str,
    catalog: &Catalog,
    config: &Config,
    env: Env<'_>,
) -> Option<String> {
    let set = |v: Option<String>| v.filter(|u| !u.trim().is_empty());
    set(env(&base_url_variable(provider)))
        .or_else(|| set(config.provider(provider).and_then(|p| p.base_url.clone())))
        .or_else(|| {
            if provider == "openai" {
                set(env("OPENAI_BASE_URL"))
            } else {
                None
            }
        })
        .or_else(|| set(catalog.provider(provider).map(|p| p.base_url.clone())))
}

/// A connection for `provider`, or a sentence saying what is missing.
pub fn connect(
    provider: &str,
    catalog: &Catalog,
    config: &Config,
    env: Env<'_>,
    limits: Limits,
) -> Result<Connection, String> {
    let spec = catalog
        .provider(provider)
        .ok_or_else(|| format!("the catalog has no provider {provider:?}"))?;
    let source = key_source(provider, spec, config, env).ok_or_else(|| {
        let vars: Vec<String> = spec.key_env.iter().map(|v| format!("${v}")).collect();
        format!(
            "no API key for {}: set {}, or api_key / api_key_cmd under [providers.{provider}] in config.toml",
            spec.label,
            vars.join(" or ")
        )
    })?;
    let key = resolve_key(provider, &source, config, env)?;
    let url = base_url(provider, catalog, config, env)
        .ok_or_else(|| format!("no base URL for {provider}"))?;
    Connection::new(&url, key, limits)
}

/// The client for `provider`, ready to call.
pub fn provider(
    provider: &str,
    catalog: &Catalog,
    config: &Config,
    env: Env<'_>,
    limits: Limits,
) -> Result<Box<dyn Provider>, String> {
    if provider == "sandbox" {
        return Ok(Box::new(sandbox::Sandbox::default()));
    }
    let conn = connect(provider, catalog, config, env, limits)?;
    Ok(match provider {
        "openai" => Box::new(openai::OpenAi::new(conn)),
        "replicate" => Box::new(replicate::Replicate::new(conn)),
        "stability" => Box::new(stability::Stability::new(conn)),
        "gemini" => Box::new(gemini::Gemini::new(conn)),
        "removebg" => Box::new(removebg::RemoveBg::new(conn)),
        other => return Err(format!("this build has no {other} client")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_follow_their_precedence() {
        let catalog = Catalog::embedded().unwrap();
        let config: Config =
            toml::from_str("[providers.openai]\nbase_url = 'http://from-config/v1'\n").unwrap();
        let none = |_: &str| None;
        assert_eq!(
            base_url("openai", &catalog, &Config::default(), &none).as_deref(),
            Some("https://api.openai.com/v1")
        );
        let generic = |n: &str| (n == "OPENAI_BASE_URL").then(|| "http://generic/v1".to_string());
        assert_eq!(
            base_url("openai", &catalog, &Config::default(), &generic).as_deref(),
            Some("http://generic/v1")
        );
        assert_eq!(
            base_url("openai", &catalog, &config, &generic).as_deref(),
            Some("http://from-config/v1")
        );
        let ours = |n: &str| match n {
            "TINTYPE_OPENAI_BASE_URL" => Some("http://127.0.0.1:4010/v1".to_string()),
            "OPENAI_BASE_URL" => Some("http://generic/v1".to_string()),
            _ => None,
        };
        assert_eq!(
            base_url("openai", &catalog, &config, &ours).as_deref(),
            Some("http://127.0.0.1:4010/v1")
        );
        assert_eq!(base_url_variable("removebg"), "TINTYPE_REMOVEBG_BASE_URL");
        assert_eq!(
            base_url("replicate", &catalog, &config, &generic).as_deref(),
            Some("https://api.replicate.com/v1")
        );
    }

    #[test]
    fn a_missing_key_says_where_to_put_one() {
        let catalog = Catalog::embedded().unwrap();
        let error = connect(
            "gemini",
            &catalog,
            &Config::default(),
            &|_| None,
            Limits::default(),
        )
        .unwrap_err();
        assert!(
            error.contains("$GEMINI_API_KEY or $GOOGLE_API_KEY")
                && error.contains("[providers.gemini]"),
            "{error}"
        );
    }
}
