//! The job engine: a validated request is written to the store, then each of
//! its provider calls runs as a job (a tokio task) whose every transition is
//! persisted and reported as a `JobEvent`. Jobs share a global concurrency
//! limit and their provider's lane: a concurrency limit, a pacer and a
//! circuit breaker.

pub mod breaker;
pub mod budget;
pub mod cache;
mod dispatch;
mod events;
mod finish;
mod identity;
pub mod lane;
pub mod output;
pub mod owner;
pub mod pace;
mod queue;
mod recover;
pub mod retry;
mod run;
pub mod setup;

pub use dispatch::{ClientSource, Engine, EngineSettings, SubmitError, Submitted};
pub use events::JobEvent;
pub use identity::request_hash;
pub use queue::{Queued, queue};
pub use recover::Recovery;
pub use run::JobOutcome;
