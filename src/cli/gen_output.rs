//! What `gen` prints on stdout: the saved paths or one JSON object, the dry
//! run, and the exit verdict. Provider text is stripped of control sequences
//! first. Progress on stderr is in `progress`.

use serde::Serialize;

use super::{CliError, CliResult};
use crate::catalog::{Cost, ValidRequest};
use crate::engine::{JobOutcome, Queued};
use crate::money::Micros;
use crate::providers::ProviderError;
use crate::store::{Earlier, JobState, Store};
use crate::text::strip_controls;

#[derive(Serialize)]
struct DryRun<'a> {
    model: &'a str,
    operation: &'a str,
    requests: usize,
    images: u32,
    calls: &'a [u32],
    estimated_cost_micros: i64,
    rule: &'a str,
    price_source: &'a str,
    params: crate::catalog::Params,
    sent: bool,
}

fn dry_run_body<'a>(request: &'a ValidRequest, cost: &'a Cost) -> DryRun<'a> {
    DryRun {
        model: &request.model.id,
        operation: &request.operation,
        requests: request.calls.len(),
        images: request.n,
        calls: &request.calls,
        estimated_cost_micros: cost.micros.0,
        rule: &cost.rule,
        price_source: request.op().pricing.source(),
        params: request.effective_params(),
        sent: false,
    }
}

/// `--dry-run --json` for a variants batch: each request and the total.
pub fn dry_run_batch(requests: &[(ValidRequest, Cost)]) {
    let total: i64 = requests.iter().map(|(_, c)| c.micros.0).sum();
    let body = serde_json::json!({
        "estimated_cost_micros": total,
        "sent": false,
        "requests": requests.iter().map(|(r, c)| dry_run_body(r, c)).collect::<Vec<_>>(),
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&body).unwrap_or_default()
    );
}

pub fn dry_run(request: &ValidRequest, cost: &Cost, json: bool) {
    if json {
        let body = dry_run_body(request, cost);
        println!(
            "{}",
            serde_json::to_string_pretty(&body).unwrap_or_default()
        );
        return;
    }
    let params: Vec<String> = request
        .effective_params()
        .iter()
        .map(|(name, value)| {
            let given = if request.params.contains_key(name) {
                ""
            } else {
                "*"
            };
            format!("{name}={value}{given}")
        })
        .collect();
    println!("model      {} ({})", request.model.id, request.operation);
    let calls = request.calls.len();
    println!(
        "images     {} in {calls} request{}",
        request.n,
        if calls == 1 { "" } else { "s" }
    );
    println!("estimate   {}  ({})", cost.micros, cost.rule);
    println!("prices     {}", request.op().pricing.source());
    println!("params     {}  (* = default)", params.join(" "));
    println!("nothing was sent (--dry-run)");
}

/// What became of one request of a `gen`.
pub enum RunResult {
    Ran {
        request: ValidRequest,
        estimate: Cost,
        queued: Queued,
        handles: Vec<tokio::task::JoinHandle<JobOutcome>>,
        outcomes: Vec<JobOutcome>,
    },
    /// An identical earlier request's images, offered instead of paying again.
    Cached {
        request: ValidRequest,
        estimate: Cost,
        earlier: Earlier,
    },
}

#[derive(Serialize)]
struct ImageOut {
    path: String,
    width: u32,
    height: u32,
    seed: Option<u64>,
}

#[derive(Serialize)]
struct ErrorOut {
    class: String,
    message: String,
}

#[derive(Serialize)]
struct JobOut {
    id: i64,
    status: JobState,
    attempts: u32,
    error: Option<ErrorOut>,
}

#[derive(Serialize)]
struct GenResult {
    job_id: i64,
    request_id: i64,
    status: String,
    model: String,
    operation: String,
    images: Vec<ImageOut>,
    estimated_cost_micros: i64,
    actual_cost_micros: Option<i64>,
    error: Option<ErrorOut>,
    jobs: Vec<JobOut>,
    /// The earlier request whose images these are; nothing was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    cached_from: Option<i64>,
}

/// A variants batch: the totals, and each request as `gen` reports one.
#[derive(Serialize)]
struct BatchResult {
    batch_id: Option<i64>,
    job_id: i64,
    status: String,
    images: Vec<ImageOut>,
    estimated_cost_micros: i64,
    actual_cost_micros: Option<i64>,
    error: Option<ErrorOut>,
    requests: Vec<GenResult>,
}

fn error_out(error: &ProviderError) -> ErrorOut {
    ErrorOut {
        class: error.class.as_str().into(),
        message: strip_controls(&error.explain(), true),
    }
}

fn result_of(store: &Store, result: &RunResult) -> Result<GenResult, CliError> {
    Ok(match result {
        RunResult::Cached {
            request, earlier, ..
        } => GenResult {
            job_id: earlier.images.first().map_or(0, |i| i.job.0),
            request_id: earlier.request.0,
            status: "cached".into(),
            model: request.model.id.clone(),
            operation: request.operation.clone(),
            images: earlier
                .images
                .iter()
                .map(|i| ImageOut {
                    path: i.path.clone(),
                    width: i.width,
                    height: i.height,
                    seed: i.seed.and_then(|s| u64::try_from(s).ok()),
                })
                .collect(),
            estimated_cost_micros: 0,
            actual_cost_micros: Some(0),
            error: None,
            jobs: Vec::new(),
            cached_from: Some(earlier.request.0),
        },
        RunResult::Ran {
            request,
            estimate,
            queued,
            outcomes,
            ..
        } => {
            let records = store.jobs_of(queued.request_id)?;
            let states: Vec<JobState> = records.iter().map(|j| j.state).collect();
            GenResult {
                job_id: queued.jobs.first().map_or(0, |j| j.0.0),
                request_id: queued.request_id.0,
                status: crate::store::request_status(&states).into(),
                model: request.model.id.clone(),
                operation: request.operation.clone(),
                images: outcomes
                    .iter()
                    .flat_map(|o| o.images.iter().zip(&o.seeds))
                    .map(|(image, seed)| ImageOut {
                        path: image.path.display().to_string(),
                        width: image.width,
                        height: image.height,
                        seed: *seed,
                    })
                    .collect(),
                estimated_cost_micros: estimate.micros.0,
                actual_cost_micros: outcomes
                    .iter()
                    .map(|o| o.actual.as_ref().map(|c| c.micros))
                    .sum::<Option<Micros>>()
                    .map(|m| m.0),
                error: outcomes
                    .iter()
                    .find_map(|o| o.error.as_ref())
                    .map(error_out),
                jobs: records
                    .iter()
                    .map(|j| JobOut {
                        id: j.id.0,
                        status: j.state,
                        attempts: j.attempts,
                        error: j.error.as_ref().map(|e| ErrorOut {
                            class: e.class.clone(),
                            message: strip_controls(&e.message, true),
                        }),
                    })
                    .collect(),
                cached_from: None,
            }
        }
    })
}

/// Prints the saved paths (or the JSON object) and returns the paths.
pub fn report(store: &Store, results: &[RunResult], json: bool) -> Result<Vec<String>, CliError> {
    let mut each = results
        .iter()
        .map(|r| result_of(store, r))
        .collect::<Result<Vec<_>, _>>()?;
    let paths: Vec<String> = each
        .iter()
        .flat_map(|r| r.images.iter().map(|i| i.path.clone()))
        .collect();
    if json {
        let text = if each.len() == 1 {
            serde_json::to_string_pretty(&each.remove(0))
        } else {
            let status = if each
                .iter()
                .all(|r| matches!(r.status.as_str(), "succeeded" | "cached"))
            {
                "succeeded"
            } else if each
                .iter()
                .any(|r| matches!(r.status.as_str(), "succeeded" | "cached"))
            {
                "partial"
            } else {
                "failed"
            };
            let batch = results.iter().find_map(|r| match r {
                RunResult::Ran { queued, .. } => Some(queued.request_id.0),
                RunResult::Cached { .. } => None,
            });
            serde_json::to_string_pretty(&BatchResult {
                batch_id: batch,
                job_id: each.first().map_or(0, |r| r.job_id),
                status: status.into(),
                images: each
                    .iter()
                    .flat_map(|r| &r.images)
                    .map(|i| ImageOut {
                        path: i.path.clone(),
                        width: i.width,
                        height: i.height,
                        seed: i.seed,
                    })
                    .collect(),
                estimated_cost_micros: each.iter().map(|r| r.estimated_cost_micros).sum(),
                actual_cost_micros: each.iter().map(|r| r.actual_cost_micros).sum(),
                error: each.iter().find_map(|r| {
                    r.error.as_ref().map(|e| ErrorOut {
                        class: e.class.clone(),
                        message: e.message.clone(),
                    })
                }),
                requests: each,
            })
        };
        println!("{}", text.map_err(anyhow::Error::from)?);
    } else {
        for result in results {
            if let RunResult::Cached {
                request,
                estimate,
                earlier,
            } = result
            {
                let when = chrono::DateTime::from_timestamp_millis(earlier.created_at)
                    .map(|t| {
                        t.with_timezone(&chrono::Local)
                            .format("%Y-%m-%d %H:%M")
                            .to_string()
                    })
                    .unwrap_or_default();
                eprintln!(
                    "tintype: {} made these for an identical request on {when} (request {}); \
                     reusing them saves {} (--no-cache sends it again)",
                    request.model.id, earlier.request, estimate.micros
                );
            }
        }
        for path in &paths {
            println!("{path}");
        }
    }
    Ok(paths)
}

/// Exit 3 when any job did not succeed, naming the first failure.
pub fn verdict(results: &[RunResult]) -> CliResult {
    let outcomes: Vec<&JobOutcome> = results
        .iter()
        .flat_map(|r| match r {
            RunResult::Ran { outcomes, .. } => outcomes.iter().collect(),
            RunResult::Cached { .. } => Vec::new(),
        })
        .collect();
    let failed: Vec<&&JobOutcome> = outcomes
        .iter()
        .filter(|o| o.state != JobState::Succeeded)
        .collect();
    let Some(first) = failed.first() else {
        return Ok(());
    };
    // Always said, even with --quiet: a failure is not progress.
    let reason = first
        .error
        .as_ref()
        .map(|e| {
            format!(
                ": job {} [{}] {}",
                first.job,
                e.class,
                strip_controls(&e.explain(), true)
            )
        })
        .unwrap_or_default();
    Err(CliError::Provider(format!(
        "{} of {} job{} failed{reason}",
        failed.len(),
        outcomes.len(),
        if outcomes.len() == 1 { "" } else { "s" }
    )))
}
