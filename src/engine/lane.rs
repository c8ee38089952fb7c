//! One provider's lane: its client, how many of its calls may be out at
//! once, its pacer and its circuit breaker. All jobs of a provider share it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::breaker::{Breaker, BreakerPolicy};
use super::pace::{Pacer, Rate};
use crate::providers::Provider;
use crate::providers::http::rate::LimitObserver;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneSettings {
    pub max_concurrent: usize,
    pub rate: Rate,
    /// How long to hold the whole lane after a 429 that gave no Retry-After
    /// (Stability times a caller out for 60 s); `None`: the job's backoff.
    pub rate_limit_pause: Option<Duration>,
}

impl Default for LaneSettings {
    fn default() -> Self {
        LaneSettings {
            max_concurrent: 4,
            rate: Rate::default(),
            rate_limit_pause: None,
        }
    }
}

pub struct Lane {
    pub name: String,
    pub client: Arc<dyn Provider>,
    pub slots: Arc<Semaphore>,
    pub pacer: Arc<Pacer>,
    pub breaker: Breaker,
    pub settings: LaneSettings,
}

impl Lane {
    pub fn new(
        name: &str,
        client: Arc<dyn Provider>,
        settings: LaneSettings,
        breaker: BreakerPolicy,
    ) -> Lane {
        Lane {
            name: name.to_string(),
            client,
            slots: Arc::new(Semaphore::new(settings.max_concurrent.max(1))),
            pacer: Arc::new(Pacer::new(settings.rate)),
            breaker: Breaker::new(name, breaker),
            settings,
        }
    }

    /// Told by the HTTP layer when a response says the limit is spent.
    pub fn limit_observer(&self) -> LimitObserver {
        let pacer = Arc::clone(&self.pacer);
        Arc::new(move |wait| pacer.hold(wait))
    }
}
