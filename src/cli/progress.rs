//! Progress of `gen` and `resume` on stderr: a line per job event, and a
//! bar below them when stderr is a terminal.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::engine::JobEvent;
use crate::store::JobId;
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
