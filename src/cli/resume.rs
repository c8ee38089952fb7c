//! `tintype resume`: picks up the jobs a stopped tintype left unfinished (a
//! kill, a crash, a dropped SSH session). Remote work with an id (a
//! Replicate prediction, a Stability async result) is followed to its end and
//! saved; the rest is marked interrupted, saying whether it may have been
//! billed. `gen` and the studio do the same when they start.

use std::sync::Arc;

use clap::Args;

use super::progress::Printer;
use super::session::{recover, start_engine};
use super::{CliError, CliResult, Context};
use crate::engine::setup::Clients;
use crate::store::JobState;

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// No progress lines on stderr
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(args: &ResumeArgs) -> CliResult {
    let context = Context::load()?;
    let catalog = Arc::new(context.catalog()?);
    let store = context.store()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)?;
    let printer = Printer::new(!args.quiet, 0);
    let outcomes = runtime.block_on(async {
        let (events, mut updates) = tokio::sync::mpsc::unbounded_channel();
        let show = {
            let printer = printer.clone();
            tokio::spawn(async move {
                let mut seen = 0usize;
                while let Some(event) = updates.recv().await {
                    seen += 1;
                    printer.show(&event);
                }
                seen
            })
        };
        let engine = start_engine(&context, &catalog, store, events, Clients::new())?;
        let resumed = recover(&engine, &catalog, &printer).await?;
        let mut outcomes = Vec::new();
        for handle in resumed {
            outcomes.push(
                handle
                    .await
                    .map_err(|e| anyhow::anyhow!("a job task failed: {e}"))?,
            );
        }
        drop(engine);
        let seen = show.await.unwrap_or(0);
        Ok::<_, CliError>((outcomes, seen))
    });
    printer.finish();
    let (outcomes, seen) = outcomes?;
    if seen == 0 && !args.quiet {
        eprintln!("tintype: no job was left unfinished");
    }
    let failed = outcomes
        .iter()
        .filter(|o| o.state != JobState::Succeeded)
        .count();
    for outcome in &outcomes {
        for image in &outcome.images {
            println!("{}", image.path.display());
        }
    }
    if failed > 0 {
        return Err(CliError::Provider(format!(
            "{failed} of {} resumed job{} did not succeed",
            outcomes.len(),
            if outcomes.len() == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}
