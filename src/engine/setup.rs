//! The engine's settings and provider clients, from config.toml and the
//! catalog: concurrency, pacing (the user's account limits over the
//! catalog's documented defaults), retries.

use std::sync::Arc;
use std::time::Duration;

use super::dispatch::{ClientSource, EngineSettings};
use super::lane::LaneSettings;
use super::pace::Rate;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::config::keys::process_env;
use crate::providers::Provider;
use crate::providers::http::Limits;
use crate::providers::setup::provider;

pub fn settings(config: &Config, catalog: &Catalog) -> EngineSettings {
    let defaults = EngineSettings::default();
    let mut lanes = std::collections::BTreeMap::new();
    for (name, spec) in catalog.providers() {
        let user = config.provider(name);
        let lane = LaneSettings {
            max_concurrent: user
                .and_then(|p| p.max_concurrent)
                .or(spec.max_concurrent)
                .unwrap_or(LaneSettings::default().max_concurrent),
            rate: Rate {
                requests_per_minute: user
                    .and_then(|p| p.requests_per_minute)
                    .or(spec.requests_per_minute),
                images_per_minute: user.and_then(|p| p.images_per_minute),
            },
            rate_limit_pause: spec.rate_limit_pause_secs.map(Duration::from_secs),
        };
        lanes.insert(name.clone(), lane);
    }
    EngineSettings {
        max_concurrent: config
            .jobs
            .max_concurrent
            .unwrap_or(defaults.max_concurrent),
        retry: config.retry.policy(),
        breaker: defaults.breaker,
        lanes,
    }
}

/// Clients already built, by provider.
pub type Clients = std::collections::HashMap<String, Arc<dyn Provider>>;

/// Each provider's client: one of `built`, else made from the process
/// environment, config.toml and the catalog when its first job runs.
pub fn clients(built: Clients, catalog: Arc<Catalog>, config: Arc<Config>) -> ClientSource {
    Box::new(move |name| match built.get(name) {
        Some(client) => Ok(Arc::clone(client)),
        None => provider(name, &catalog, &config, &process_env, Limits::default()).map(Arc::from),
    })
}
