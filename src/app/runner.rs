//! Does the I/O the state asks for: sends requests through the engine, asks
//! the store on its blocking pool, hands images to the preview worker. Each
//! piece of work runs as a task and reports back with a `Msg`; the UI thread
//! only starts them.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::effect::Effect;
use super::gallery::{GallerySource, Review};
use super::jobs::JobMeta;
use super::msg::{CostData, Msg};
use super::submit::{Rerun, Submission, prepare_rerun};
use crate::catalog::Catalog;
use crate::engine::Engine;
use crate::money::Micros;
use crate::preview::PreviewWorker;
use crate::preview::contact_sheet::SheetLayout;
use crate::store::{GroupBy, SharedStore, Since};
use crate::text::strip_controls;

pub struct Runner {
    pub engine: Engine,
    pub catalog: Arc<Catalog>,
    pub tx: UnboundedSender<Msg>,
    pub preview: PreviewWorker,
    pub presets_dir: PathBuf,
    pub exports_dir: PathBuf,
}

impl Runner {
    fn store(&self) -> SharedStore {
        self.engine.store().clone()
    }

    fn send(tx: &UnboundedSender<Msg>, msg: Msg) {
        // The studio is gone when nobody receives: nothing left to tell.
        let _ = tx.send(msg);
    }

    /// Starts the work for one effect. Effects that need the terminal
    /// (suspend, $EDITOR, copy, quit) are the loop's, not the runner's.
    #[allow(clippy::too_many_lines)] // one arm per kind, each short
    pub fn run(&self, effect: Effect) {
        let tx = self.tx.clone();
        match effect {
            Effect::Submit(submission) => {
                let engine = self.engine.clone();
                tokio::spawn(async move { submit(&engine, submission, &tx).await });
            }
            Effect::Rerun(rerun) => {
                let (store, catalog) = (self.store(), Arc::clone(&self.catalog));
                tokio::spawn(async move {
                    let msg = match rebuild(&store, &catalog, &rerun).await {
                        Ok(submission) => Msg::Prepared(submission),
                        Err(error) => Msg::Error(error),
                    };
                    Self::send(&tx, msg);
                });
            }
            Effect::Cancel(job) => {
                if !self.engine.cancel_job(job) {
                    Self::send(&tx, Msg::Info(format!("job {job} had already finished")));
                }
            }
            Effect::CancelRequests(requests) => {
                let canceled = self.engine.cancel_requests(&requests);
                Self::send(
                    &tx,
                    Msg::Info(format!("canceling {canceled} job(s) of the batch")),
                );
            }
            Effect::LoadImages(source) => {
                let store = self.store();
                tokio::spawn(async move {
                    let images = store
                        .run(move |s| match source {
                            GallerySource::Request(id) => s.images_of_request(id),
                            GallerySource::Batch(id) => s.images_of_batch(id),
                        })
                        .await;
                    match images {
                        Ok(images) => Self::send(&tx, Msg::Images { source, images }),
                        Err(e) => {
                            Self::send(&tx, Msg::Error(format!("cannot read the images: {e}")));
                        }
                    }
                });
            }
            Effect::Review(review) => {
                let store = self.store();
                tokio::spawn(async move {
                    let done = store
                        .run(move |s| match review {
                            Review::Mark(id, mark) => s.set_mark(id, mark),
                            Review::Star(id, starred) => s.set_starred(id, starred),
                            Review::Rate(id, rating) => s.set_rating(id, rating),
                        })
                        .await;
                    if let Err(e) = done {
                        Self::send(&tx, Msg::Error(format!("the mark was not saved: {e}")));
                    }
                });
            }
            Effect::Preview(job) => self.preview.request(job),
            Effect::QueryHistory { generation, query } => {
                let store = self.store();
                tokio::spawn(async move {
                    let rows = store
                        .run(move |s| s.history(&query))
                        .await
                        .map_err(|e| e.to_string());
                    Self::send(&tx, Msg::History { generation, rows });
                });
            }
            Effect::QueryCost(group) => {
                let store = self.store();
                tokio::spawn(async move {
                    Self::send(&tx, Msg::Cost(Box::new(cost_data(&store, group).await)));
                });
            }
            Effect::RefreshSpend => {
                let store = self.store();
                tokio::spawn(async move {
                    let today = chrono::Local::now().date_naive();
                    let day = today.format("%Y-%m-%d").to_string();
                    let month = today.format("%Y-%m-01").to_string();
                    let spend = store
                        .run(move |s| Ok((s.spend_since(&day)?, s.spend_since(&month)?)))
                        .await;
                    if let Ok((today, month)) = spend {
                        Self::send(&tx, Msg::Spend { today, month });
                    }
                });
            }
            Effect::UseAsInput { path, operation } => {
                tokio::task::spawn_blocking(move || {
                    let msg = match crate::catalog::input::probe(&path) {
                        Ok(input) => Msg::Input { input, operation },
                        Err(error) => Msg::Error(error),
                    };
                    Self::send(&tx, msg);
                });
            }
            Effect::Open(path) => open_in_viewer(&path, &tx),
            Effect::Export(items) => {
                let base = self.exports_dir.clone();
                tokio::task::spawn_blocking(move || {
                    let dir = crate::preview::export::export_dir(&base, chrono::Local::now());
                    let msg = match crate::preview::export::export_images(
                        &items,
                        &dir,
                        &SheetLayout::default(),
                    ) {
                        Ok(done) => Msg::Info(format!(
                            "exported {} image(s){} to {}{}",
                            done.copied.len(),
                            if done.sheet.is_some() {
                                " and a contact sheet"
                            } else {
                                ""
                            },
                            super::tidy(&done.dir),
                            if done.skipped_missing.is_empty() {
                                String::new()
                            } else {
                                format!("; {} missing on disk", done.skipped_missing.len())
                            }
                        )),
                        Err(e) => Msg::Error(format!("export failed: {e}")),
                    };
                    Self::send(&tx, msg);
                });
            }
            Effect::SavePreset { name, text } => {
                let dir = self.presets_dir.clone();
                tokio::task::spawn_blocking(move || {
                    let path = dir.join(format!("{name}.toml"));
                    let written = std::fs::create_dir_all(&dir).and_then(|()| {
                        crate::engine::output::write_atomically(&path, text.as_bytes())
                    });
                    match written {
                        Ok(()) => {
                            let (presets, _) = crate::presets::load(Some(&dir));
                            Self::send(&tx, Msg::Presets(Arc::new(presets)));
                            Self::send(
                                &tx,
                                Msg::Info(format!("saved preset {name} to {}", super::tidy(&path))),
                            );
                        }
                        Err(e) => Self::send(
                            &tx,
                            Msg::Error(format!("cannot save {}: {e}", path.display())),
                        ),
                    }
                });
            }
            Effect::ExternalEditor(_) | Effect::CopyPath(_) | Effect::Suspend | Effect::Quit => {}
        }
    }
}

async fn submit(engine: &Engine, submission: Submission, tx: &UnboundedSender<Msg>) {
    let several = submission.requests.len() > 1;
    let mut batch = None;
    let mut jobs = Vec::new();
    for (request, cost) in submission.requests {
        let submitted = match engine
            .submit(
                request.clone(),
                cost.clone(),
                submission.preset.clone(),
                batch,
            )
            .await
        {
            Ok(submitted) => submitted,
            Err(e) => {
                Runner::send(
                    tx,
                    Msg::Error(format!("{} not sent: {e}", request.model.id)),
                );
                continue;
            }
        };
        let request_id = submitted.queued.request_id;
        if several && batch.is_none() {
            match engine.store().run(move |s| s.start_batch(request_id)).await {
                Ok(()) => batch = Some(request_id),
                Err(e) => Runner::send(tx, Msg::Error(format!("cannot group the batch: {e}"))),
            }
        }
        let prompt = strip_controls(&request.prompt, true);
        for ((job, n), seed) in submitted
            .queued
            .jobs
            .iter()
            .zip(submitted.queued.seeds.iter())
        {
            let share = i128::from(cost.micros.0) * i128::from(*n) / i128::from(request.n.max(1));
            jobs.push((
                *job,
                JobMeta {
                    request: request_id,
                    batch,
                    model: request.model.id.clone(),
                    provider: request.model.provider.clone(),
                    prompt: prompt.clone(),
                    n: *n,
                    estimate: Micros(i64::try_from(share).unwrap_or(i64::MAX)),
                    seed: *seed,
                    size: request.value("size").map(|v| v.to_string()),
                },
            ));
        }
        // The job tasks run on without anyone waiting on their handles.
        drop(submitted.jobs);
    }
    for (_, meta) in &mut jobs {
        meta.batch = batch;
    }
    Runner::send(
        tx,
        Msg::Submitted {
            jobs,
            batch,
            compare: submission.compare,
        },
    );
}

async fn rebuild(
    store: &SharedStore,
    catalog: &Arc<Catalog>,
    rerun: &Rerun,
) -> Result<Submission, String> {
    let id = rerun.request;
    let stored = store
        .run(move |s| s.stored_request(id))
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("request {id} is no longer in the store"))?;
    let paths: Vec<PathBuf> = serde_json::from_str(&stored.inputs_json).unwrap_or_default();
    let inputs = tokio::task::spawn_blocking(move || {
        paths
            .iter()
            .map(|p| crate::catalog::input::probe(p))
            .collect::<Result<Vec<_>, String>>()
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("the input image is gone: {e}"))?;
    prepare_rerun(catalog, &stored, inputs, rerun)
}

async fn cost_data(store: &SharedStore, group: GroupBy) -> CostData {
    let today = chrono::Local::now().date_naive();
    let first = Since::Days(30).first_day(today).unwrap_or_default();
    let last = today.format("%Y-%m-%d").to_string();
    let since_ms = chrono::Local::now().timestamp_millis() - 30 * 24 * 3600 * 1000;
    let result = store
        .run(move |s| {
            Ok((
                s.cost_report(group, Some(&first))?,
                s.daily_spend(&first, &last)?,
                s.job_stats(since_ms, None, None)?,
            ))
        })
        .await;
    match result {
        Ok((report, daily, stats)) => CostData {
            group: Some(group),
            report: Some(report),
            daily,
            stats,
            error: None,
        },
        Err(e) => CostData {
            error: Some(format!("cannot read the ledger: {e}")),
            ..CostData::default()
        },
    }
}

/// The system's viewer: `open` on macOS, `xdg-open` elsewhere; detached,
/// its output discarded so it cannot draw over the studio.
fn open_in_viewer(path: &std::path::Path, tx: &UnboundedSender<Msg>) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let msg = match spawned {
        Ok(mut child) => {
            // Reap it in the background so it leaves no zombie.
            std::thread::spawn(move || child.wait());
            Msg::Info(format!("opening {}", super::tidy(path)))
        }
        Err(e) => Msg::Error(format!(
            "cannot run {opener}: {e} (the path: {})",
            path.display()
        )),
    };
    Runner::send(tx, msg);
}
