//! What a command that runs jobs sets up: the engine (settings from
//! config.toml and the catalog, clients built on first use, a lock file that
//! names this process the owner of its jobs), and start-up recovery.

use std::sync::Arc;

use super::progress::Printer;
use super::{CliError, Context};
use crate::engine::owner::Owner;
use crate::engine::setup as engine_setup;
use crate::engine::{Engine, JobEvent, JobOutcome, Recovery};
use crate::store::{SharedStore, Store};

/// The engine for this process: settings from config.toml and the catalog,
/// clients built on first use, and a lock file naming it the owner of its jobs.
pub fn start_engine(
    context: &Context,
    catalog: &Arc<crate::catalog::Catalog>,
    store: Store,
    events: tokio::sync::mpsc::UnboundedSender<JobEvent>,
    built: engine_setup::Clients,
) -> Result<Engine, CliError> {
    let owner = Owner::claim(&context.paths.locks()).map_err(|e| {
        CliError::Other(anyhow::anyhow!(
            "cannot create a lock file in {}: {e}",
            context.paths.locks().display()
        ))
    })?;
    Ok(Engine::new(
        SharedStore::new(store),
        context.paths.images(),
        events,
        engine_setup::settings(&context.config, catalog),
        engine_setup::clients(built, Arc::clone(catalog), Arc::new(context.config.clone())),
        owner,
    ))
}

/// Picks up what a stopped tintype left unfinished; returns the resumed jobs.
pub async fn recover(
    engine: &Engine,
    catalog: &crate::catalog::Catalog,
    printer: &Printer,
) -> Result<Vec<tokio::task::JoinHandle<JobOutcome>>, CliError> {
    let mut resumed = Vec::new();
    for recovery in engine.recover(catalog).await? {
        match recovery {
            Recovery::Resumed {
                job,
                remote_id,
                handle,
            } => {
                printer.note(&format!(
                    "job {job}: left running by a stopped tintype; following {remote_id} again"
                ));
                resumed.push(handle);
            }
            // The engine's event says it; nothing more to do here.
            Recovery::Interrupted { .. } => {}
        }
    }
    Ok(resumed)
}
