//! What `gen` prints: progress lines on stderr, saved paths or one JSON
//! object on stdout. Provider text is stripped of control sequences first.

use serde::Serialize;

use super::{CliError, CliResult};
use crate::catalog::{Cost, ValidRequest};
use crate::engine::{JobEvent, JobOutcome, Queued};
use crate::money::Micros;
use crate::store::{JobState, Store};
use crate::text::strip_controls;

/// Progress lines on stderr, one per event.
#[derive(Clone, Copy, Debug)]
pub struct Printer {
    enabled: bool,
}

impl Printer {
    pub fn new(enabled: bool) -> Printer {
        Printer { enabled }
    }

    pub fn show(self, event: &JobEvent) {
        if self.enabled {
            eprintln!("{}", line_for(event));
        }
    }
}

pub fn line_for(event: &JobEvent) -> String {
    let job = event.job();
    let text = match event {
        JobEvent::Queued { n, .. } => {
            format!("queued ({n} image{})", if *n == 1 { "" } else { "s" })
        }
        JobEvent::Started { attempt, .. } => format!("sent (attempt {attempt})"),
        JobEvent::Status { text, .. } => strip_controls(text, true),
        JobEvent::Retrying {
            attempt,
            wait,
            reason,
            ..
        } => format!(
            "retrying in {:.1}s (attempt {attempt}): {}",
            wait.as_secs_f64(),
            strip_controls(reason, true)
        ),
        JobEvent::Partial { image, index, .. } => {
            format!("partial preview {} of image {}", index + 1, image + 1)
        }
        JobEvent::ImageSaved {
            path,
            width,
            height,
            seed,
            ..
        } => {
            let seed = seed.map(|s| format!(", seed {s}")).unwrap_or_default();
            format!("saved {} ({width}x{height}{seed})", path.display())
        }
        JobEvent::Succeeded { cost, elapsed, .. } => {
            format!(
                "done in {:.1}s, {} ({})",
                elapsed.as_secs_f64(),
                cost.micros,
                cost.rule
            )
        }
        JobEvent::Failed { error, .. } => format!(
            "failed [{}]: {}",
            error.class,
            strip_controls(&error.explain(), true)
        ),
        JobEvent::Canceled { .. } => "canceled".into(),
    };
    format!("job {job}: {text}")
}

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

pub fn dry_run(request: &ValidRequest, cost: &Cost, json: bool) {
    if json {
        let body = DryRun {
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
        };
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
}

pub fn report(
    store: &Store,
    request: &ValidRequest,
    cost: &Cost,
    queued: &Queued,
    outcomes: &[JobOutcome],
    json: bool,
) -> CliResult {
    let records = store.jobs_of(queued.request_id)?;
    let states: Vec<JobState> = records.iter().map(|j| j.state).collect();
    let images: Vec<ImageOut> = outcomes
        .iter()
        .flat_map(|o| o.images.iter().zip(&o.seeds))
        .map(|(image, seed)| ImageOut {
            path: image.path.display().to_string(),
            width: image.width,
            height: image.height,
            seed: *seed,
        })
        .collect();
    let actual: Option<Micros> = outcomes
        .iter()
        .filter_map(|o| o.actual.as_ref().map(|c| c.micros))
        .reduce(|a, b| a + b);
    let first_error = outcomes
        .iter()
        .find_map(|o| o.error.as_ref())
        .map(|e| ErrorOut {
            class: e.class.as_str().into(),
            message: strip_controls(&e.explain(), true),
        });
    let failed = outcomes
        .iter()
        .filter(|o| o.state != JobState::Succeeded)
        .count();
    if json {
        let result = GenResult {
            job_id: queued.jobs.first().map_or(0, |j| j.0.0),
            request_id: queued.request_id.0,
            status: crate::store::request_status(&states).into(),
            model: request.model.id.clone(),
            operation: request.operation.clone(),
            images,
            estimated_cost_micros: cost.micros.0,
            actual_cost_micros: actual.map(|m| m.0),
            error: first_error,
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
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&result).map_err(anyhow::Error::from)?
        );
    } else {
        for image in &images {
            println!("{}", image.path);
        }
    }
    if failed > 0 {
        // Always said, even with --quiet: a failure is not progress.
        let reason = outcomes
            .iter()
            .find_map(|o| {
                o.error.as_ref().map(|e| {
                    format!(
                        ": job {} [{}] {}",
                        o.job,
                        e.class,
                        strip_controls(&e.explain(), true)
                    )
                })
            })
            .unwrap_or_default();
        return Err(CliError::Provider(format!(
            "{failed} of {} job{} failed{reason}",
            outcomes.len(),
            if outcomes.len() == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}
