//! What `gen` prints: progress lines on stderr, saved paths or one JSON
//! object on stdout. Provider text is stripped of control sequences first.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::{CliError, CliResult};
use crate::catalog::{Cost, ValidRequest};
use crate::engine::{JobEvent, JobOutcome, Queued};
use crate::money::Micros;
use crate::providers::ProviderError;
use crate::store::{Earlier, JobId, JobState, Store};
use crate::text::strip_controls;

/// Progress on stderr: a line per event, and a bar below them when stderr
/// is a terminal.
#[derive(Clone)]
pub struct Printer {
    enabled: bool,
    bar: Option<ProgressBar>,
    /// Images each job asked for and has saved, to move the bar past the
    /// images of a job that failed.
    jobs: Arc<Mutex<HashMap<JobId, (u32, u32)>>>,
}

impl Printer {
    pub fn new(enabled: bool, images: u32) -> Printer {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(u64::from(images)),
                ProgressDrawTarget::stderr_with_hz(10),
            );
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{bar:30}] {pos}/{len} images  {elapsed}  {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Printer {
            enabled,
            bar,
            jobs: Arc::default(),
        }
    }

    pub fn note(&self, line: &str) {
        if !self.enabled {
            return;
        }
        match &self.bar {
            Some(bar) => bar.println(format!("tintype: {line}")),
            None => eprintln!("tintype: {line}"),
        }
    }

    pub fn show(&self, event: &JobEvent) {
        if !self.enabled {
            return;
        }
        let line = line_for(event);
        let Some(bar) = &self.bar else {
            eprintln!("{line}");
            return;
        };
        // Partial previews come fast; the bar's message is enough for them.
        if matches!(event, JobEvent::Partial { .. } | JobEvent::Status { .. }) {
            bar.set_message(line);
        } else {
            bar.println(line);
        }
        let mut jobs = self
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match event {
            JobEvent::Queued { job, n, .. } => {
                jobs.insert(*job, (*n, 0));
            }
            JobEvent::ImageSaved { job, .. } => {
                if let Some(entry) = jobs.get_mut(job) {
                    entry.1 += 1;
                }
                bar.inc(1);
            }
            JobEvent::Failed { job, .. }
            | JobEvent::Canceled { job }
            | JobEvent::Interrupted { job, .. } => {
                if let Some((n, saved)) = jobs.remove(job) {
                    bar.inc(u64::from(n.saturating_sub(saved)));
                }
            }
            _ => {}
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
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
        JobEvent::Interrupted { message, .. } => strip_controls(message, true),
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

/// Prints the images after their paths when stdout is a terminal that
/// speaks a graphics protocol (kitty, iTerm2, sixel); elsewhere (a pipe,
/// a plain terminal) the paths are enough.
pub fn show_inline(paths: &[String]) {
    if paths.is_empty() || !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return;
    }
    // The probes ask the terminal and read its answer: in raw mode, so the
    // answer is not echoed onto the screen.
    let raw = ratatui::crossterm::terminal::enable_raw_mode().is_ok();
    let graphics = viuer::get_kitty_support() != viuer::KittySupport::None
        || viuer::is_iterm_supported()
        || viuer::is_sixel_supported();
    if raw {
        let _ = ratatui::crossterm::terminal::disable_raw_mode();
    }
    if !graphics {
        return;
    }
    let columns = crossterm_width().min(48);
    let mut out = std::io::stdout();
    for path in paths {
        let Ok(picture) = image::open(path) else {
            continue;
        };
        let config = viuer::Config {
            absolute_offset: false,
            width: Some(columns),
            ..viuer::Config::default()
        };
        // From the left edge, and a line of air below: the cell size viuer
        // assumes can be a little off, and the next picture must not cover
        // the bottom of this one.
        let _ = write!(out, "\r");
        let _ = out.flush();
        if viuer::print(&picture, &config).is_ok() {
            let _ = writeln!(out);
        }
    }
}

fn crossterm_width() -> u32 {
    ratatui::crossterm::terminal::size().map_or(80, |(w, _)| u32::from(w)) / 2
}
