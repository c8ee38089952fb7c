//! The job engine: a validated request is written to the store, then each of
//! its provider calls runs as a job whose every transition is persisted and
//! reported as a `JobEvent`.

pub mod budget;
mod events;
mod identity;
pub mod output;
pub mod retry;
mod run;

pub use events::JobEvent;
pub use identity::request_hash;
pub use run::{JobContext, JobOutcome, Queued, queue, run_job};
