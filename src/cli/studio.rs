//! `tintype` with no command: the studio. Loads what it needs, takes the
//! terminal (restored on quit, panic, SIGTERM and SIGHUP), paints the first
//! frame before any query, then hands over to the loop. On the way out,
//! running jobs are canceled and wait to record how they ended.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::session::start_engine;
use super::{CliError, CliResult, Context};
use crate::app::jobs::JobMeta;
use crate::app::keymap::Keymap;
use crate::app::run::{CountingWriter, Studio, Surface, draw};
use crate::app::runner::Runner;
use crate::app::terminal::{self, KeyReader};
use crate::app::{Effect, Level, Msg, State};
use crate::config::keys::process_env;
use crate::config::theme::{DEFAULT_THEME, Theme, no_color_requested};
use crate::engine::budget::Caps;
use crate::engine::{Engine, Recovery};
use crate::preview::detect::{Graphics, QUERY_TIMEOUT, detect};
use crate::preview::{Encoder, KittyScreen, PreviewWorker, ThumbnailCache};

pub fn run() -> CliResult {
    let context = Context::load()?;
    let catalog = Arc::new(context.catalog()?);
    let store = context.store()?;
    let (state, theme) = build_state(&context, &catalog);
    let graphics = context
        .graphics_setting(&process_env)
        .map(|(value, _)| value);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)?;
    runtime.block_on(async move {
        let (tx, inbox) = unbounded_channel();
        let (events, mut updates) = unbounded_channel();
        let forward = tx.clone();
        tokio::spawn(async move {
            while let Some(event) = updates.recv().await {
                if forward.send(Msg::Job(event)).is_err() {
                    break;
                }
            }
        });
        let engine = start_engine(
            &context,
            &catalog,
            store,
            events,
            std::collections::HashMap::default(),
        )?;

        terminal::restore_on_panic();
        terminal::enter()
            .map_err(|e| CliError::Other(anyhow::anyhow!("cannot take the terminal: {e}")))?;
        let result = studio(
            state,
            theme,
            &engine,
            &catalog,
            &context,
            tx,
            inbox,
            graphics.as_deref(),
        )
        .await;
        let leftover = engine.cancel_all();
        if leftover > 0 {
            // Each canceled job records how it ended before the store closes.
            let deadline = Instant::now() + Duration::from_secs(5);
            while engine.running() > 0 && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        terminal::leave();
        result.map_err(|e| CliError::Other(anyhow::anyhow!("the terminal failed: {e}")))
    })
}

/// The studio's state as it opens: presets, theme, bindings, the model to
/// start with, spend caps, which providers have keys; warnings on the status line.
fn build_state(context: &Context, catalog: &Arc<crate::catalog::Catalog>) -> (State, Theme) {
    let (presets, preset_warnings) = crate::presets::load(Some(&context.paths.presets()));
    let no_color = no_color_requested(std::env::var("NO_COLOR").ok().as_deref());
    let theme_name = context
        .config
        .theme
        .clone()
        .unwrap_or_else(|| DEFAULT_THEME.into());
    let (theme, theme_warnings) = Theme::load(
        &theme_name,
        Some(&context.paths.config_dir.join("themes")),
        no_color,
    );
    let (keymap, key_warnings) = Keymap::with_overrides(&context.config.keys);
    let (model, _) = context.default_model(catalog, &process_env);

    let mut state = State::new(Arc::clone(catalog), keymap, Arc::new(presets), &model);
    state.today = chrono::Local::now().date_naive();
    state.now_ms = chrono::Utc::now().timestamp_millis();
    state.spend.caps = Caps {
        daily: context
            .config
            .budget
            .daily_usd
            .map(crate::money::Decimal::micros),
        monthly: context
            .config
            .budget
            .monthly_usd
            .map(crate::money::Decimal::micros),
    };
    state.keyed = catalog
        .providers()
        .filter(|(id, _)| {
            *id == "sandbox" || context.key_source(catalog, id, &process_env).is_some()
        })
        .map(|(id, _)| id.clone())
        .collect::<HashSet<_>>();
    state.prompt.style(
        theme
            .style("selection")
            .remove_modifier(ratatui::style::Modifier::all())
            .bg(ratatui::style::Color::Reset),
        theme.style("variable"),
    );
    let warnings: Vec<String> = preset_warnings
        .into_iter()
        .chain(theme_warnings)
        .chain(key_warnings)
        .collect();
    if !warnings.is_empty() {
        state.say(Level::Warn, warnings.join("; "));
    }
    (state, theme)
}

#[allow(clippy::too_many_arguments)] // the studio's parts, assembled once
async fn studio(
    mut state: State,
    theme: Theme,
    engine: &Engine,
    catalog: &Arc<crate::catalog::Catalog>,
    context: &Context,
    tx: UnboundedSender<Msg>,
    inbox: tokio::sync::mpsc::UnboundedReceiver<Msg>,
    graphics: Option<&str>,
) -> std::io::Result<()> {
    let out = CountingWriter::new(std::io::stdout());
    let written = out.counter();
    let mut term = Terminal::new(CrosstermBackend::new(out))?;
    term.clear()?;
    // The first frame, before any query; the previews it asks for go to
    // the worker once there is one.
    let mut surface = Surface::new(KittyScreen::default());
    let first_frame = draw(&mut term, &mut state, &theme, &mut surface)?;
    if std::env::var_os("TINTYPE_EXIT_AFTER_FIRST_FRAME").is_some() {
        return Ok(());
    }
    let detected = detect(graphics, true, QUERY_TIMEOUT);
    state.images = detected.graphics != Graphics::Off;
    let deliver = tx.clone();
    let thumbnails = ThumbnailCache::new(context.paths.thumbnails());
    let preview = PreviewWorker::spawn(
        Encoder::new(&detected),
        Some(thumbnails),
        move |key, rendered| {
            let _ = deliver.send(Msg::Preview { key, rendered });
        },
    );
    surface.kitty = KittyScreen::new(detected.tmux);
    let runner = Runner {
        engine: engine.clone(),
        catalog: Arc::clone(catalog),
        tx: tx.clone(),
        preview,
        presets_dir: context.paths.presets(),
        exports_dir: context.paths.exports(),
    };
    for effect in first_frame {
        runner.run(effect);
    }
    runner.run(Effect::RefreshSpend);
    start_up(engine, catalog, &tx);
    signals(&tx);
    let keys = KeyReader::spawn(tx);
    let studio = Studio {
        state,
        theme,
        runner,
        inbox,
        keys,
        surface,
    };
    let ended = studio.run(&mut term).await;
    // For tests and benchmarks: what the session cost in terminal bytes.
    if let Some(path) = std::env::var_os("TINTYPE_BYTES_FILE") {
        let total = written.load(std::sync::atomic::Ordering::Relaxed);
        let _ = std::fs::write(path, format!("{total}\n"));
    }
    ended
}

/// After the first frame: the last used model, and the jobs a stopped
/// tintype left unfinished (resumed at their provider, or marked interrupted).
fn start_up(engine: &Engine, catalog: &Arc<crate::catalog::Catalog>, tx: &UnboundedSender<Msg>) {
    let (engine, catalog, tx) = (engine.clone(), Arc::clone(catalog), tx.clone());
    tokio::spawn(async move {
        if let Ok(Some(model)) = engine.store().run(|s| s.last_model()).await {
            let _ = tx.send(Msg::LastModel(model));
        }
        let recovered = match engine.recover(&catalog).await {
            Ok(recovered) => recovered,
            Err(e) => {
                let _ = tx.send(Msg::Error(format!("cannot look for unfinished jobs: {e}")));
                return;
            }
        };
        let mut found = Vec::new();
        for recovery in recovered {
            let job = match recovery {
                Recovery::Resumed { job, .. } | Recovery::Interrupted { job, .. } => job,
            };
            let record = engine.store().run(move |s| {
                let Some(record) = s.job(job)? else {
                    return Ok(None);
                };
                let request = s.stored_request(record.request_id)?;
                Ok(Some((record, request)))
            });
            if let Ok(Some((record, Some(request)))) = record.await {
                let meta = JobMeta {
                    request: record.request_id,
                    batch: None,
                    model: request.model,
                    provider: request.provider,
                    prompt: crate::text::strip_controls(&request.prompt, true),
                    n: record.n,
                    estimate: crate::money::Micros(request.estimated_micros),
                    seed: None,
                    size: None,
                };
                found.push((job, meta, record.state));
            }
        }
        if !found.is_empty() {
            let _ = tx.send(Msg::Unfinished(found));
        }
    });
}

/// SIGTERM and SIGHUP (an SSH drop) end the studio like a confirmed quit.
fn signals(tx: &UnboundedSender<Msg>) {
    use tokio::signal::unix::{SignalKind, signal};
    for (kind, name) in [
        (SignalKind::terminate(), "SIGTERM"),
        (SignalKind::hangup(), "SIGHUP"),
    ] {
        let tx = tx.clone();
        if let Ok(mut stream) = signal(kind) {
            tokio::spawn(async move {
                if stream.recv().await.is_some() {
                    let _ = tx.send(Msg::Terminate(name));
                }
            });
        }
    }
}
