//! Sending a `gen` plan through the engine: each request submitted (or
//! answered from the store), then every job awaited, Ctrl-C cancelling.

use super::CliError;
use super::gen_cmd::{GenArgs, Plan};
use super::gen_output::RunResult;
use crate::engine::{Engine, JobOutcome, SubmitError, cache};

pub(super) async fn submit_all(
    engine: &Engine,
    plan: Plan,
    args: &GenArgs,
) -> Result<Vec<RunResult>, CliError> {
    let mut results = Vec::new();
    let mut batch = None;
    let several = plan.requests.len() > 1;
    for (request, cost) in plan.requests {
        if !args.no_cache
            && let Some(earlier) = cache::identical(engine.store(), &request).await?
        {
            results.push(RunResult::Cached {
                request,
                estimate: cost,
                earlier,
            });
            continue;
        }
        let submitted = engine
            .submit(request.clone(), cost.clone(), args.preset.clone(), batch)
            .await
            .map_err(|e| match e {
                SubmitError::Store(e) => CliError::from(e),
                SubmitError::Provider(why) => CliError::Provider(why),
            })?;
        if several && batch.is_none() {
            let first = submitted.queued.request_id;
            engine.store().run(move |s| s.start_batch(first)).await?;
            batch = Some(first);
        }
        results.push(RunResult::Ran {
            request,
            estimate: cost,
            queued: submitted.queued,
            handles: submitted.jobs,
            outcomes: Vec::new(),
        });
    }
    Ok(results)
}

/// Waits for every job. Ctrl-C cancels them all (remote ones at their
/// provider) and still waits for each to record how it ended.
pub(super) async fn finish(
    engine: &Engine,
    mut results: Vec<RunResult>,
    resumed: Vec<tokio::task::JoinHandle<JobOutcome>>,
) -> Result<Vec<RunResult>, CliError> {
    let mut interrupted = false;
    let all = async move {
        for result in &mut results {
            if let RunResult::Ran {
                handles, outcomes, ..
            } = result
            {
                for handle in handles.drain(..) {
                    outcomes.push(
                        handle
                            .await
                            .map_err(|e| anyhow::anyhow!("a job task failed: {e}"))?,
                    );
                }
            }
        }
        for handle in resumed {
            let _ = handle.await;
        }
        Ok::<_, CliError>(results)
    };
    tokio::pin!(all);
    let results = loop {
        tokio::select! {
            done = &mut all => break done?,
            _ = tokio::signal::ctrl_c(), if !interrupted => {
                interrupted = true;
                engine.cancel_all();
            }
        }
    };
    if interrupted {
        return Err(CliError::Provider(
            "canceled (Ctrl-C); finished images were kept, the rest were canceled".into(),
        ));
    }
    Ok(results)
}
