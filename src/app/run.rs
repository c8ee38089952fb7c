//! The studio's loop (after the first frame): wait for a message, drain every queued one, run the
//! effects, then draw once (at most every 16 ms), inside a synchronized
//! update so the terminal never shows half a frame.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use tokio::sync::mpsc::UnboundedReceiver;

use super::effect::Effect;
use super::msg::Msg;
use super::runner::Runner;
use super::state::State;
use super::terminal::{self, KeyReader};
use crate::config::theme::Theme;
use crate::preview::{KittyScreen, Picture};

const FRAME: Duration = Duration::from_millis(16);

/// What the loop needs besides the state.
pub struct Studio {
    pub state: State,
    pub theme: Theme,
    pub runner: Runner,
    pub inbox: UnboundedReceiver<Msg>,
    pub keys: KeyReader,
    pub surface: Surface,
}

/// What the loop keeps about the terminal between frames.
#[derive(Default)]
pub struct Surface {
    pub kitty: KittyScreen,
    /// `TINTYPE_LAYOUT_FILE`: where each picture went, in cells, as JSON
    /// (the real-terminal tests find the preview in a screenshot with it).
    pub layout_file: Option<std::path::PathBuf>,
    last_layout: String,
}

impl Surface {
    pub fn new(kitty: KittyScreen) -> Surface {
        Surface {
            kitty,
            layout_file: std::env::var_os("TINTYPE_LAYOUT_FILE").map(Into::into),
            last_layout: String::new(),
        }
    }

    fn note_layout(&mut self, drawn: &crate::ui::Drawn) {
        let Some(path) = &self.layout_file else {
            return;
        };
        let pictures: Vec<serde_json::Value> = drawn
            .pictures
            .iter()
            .map(|(key, rect)| {
                let source = match &key.source {
                    crate::preview::PreviewSource::File(path) => path.display().to_string(),
                    crate::preview::PreviewSource::Partial { job, seq } => {
                        format!("partial:{}:{seq}", job.0)
                    }
                };
                serde_json::json!({
                    "source": source,
                    "x": rect.x, "y": rect.y, "cols": rect.width, "rows": rect.height,
                })
            })
            .collect();
        let layout = serde_json::json!({ "pictures": pictures }).to_string();
        if layout != self.last_layout {
            // Whole or not at all: a reader never sees half a file.
            let partial = path.with_extension("partial");
            if std::fs::write(&partial, &layout).is_ok() {
                let _ = std::fs::rename(&partial, path);
            }
            self.last_layout = layout;
        }
    }
}

/// Where frames go: any writer, counting the bytes (over SSH every one
/// crosses the network, so tests and benchmarks measure them).
pub struct CountingWriter<W> {
    inner: W,
    written: Arc<AtomicU64>,
}

impl<W: Write> CountingWriter<W> {
    pub fn new(inner: W) -> CountingWriter<W> {
        CountingWriter {
            inner,
            written: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The running total, readable while the terminal writes.
    pub fn counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.written)
    }
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

pub type Term = Terminal<CrosstermBackend<CountingWriter<io::Stdout>>>;

/// Draws one frame inside a synchronized update: the pixels of kitty
/// images new to the terminal first, then the frame (ratatui's diff), then
/// the removal of kitty placements that left the screen. Returns the effects
/// for the previews the frame lacked.
pub fn draw<W: Write>(
    terminal: &mut Terminal<CrosstermBackend<W>>,
    state: &mut State,
    theme: &Theme,
    surface: &mut Surface,
) -> io::Result<Vec<Effect>> {
    execute!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    terminal.autoresize()?;
    let drawn = crate::ui::draw(&mut terminal.get_frame(), state, theme);
    for (key, _) in &drawn.pictures {
        if let Some(Ok(rendered)) = state.previews.get(key)
            && let Picture::Kitty(image) = &rendered.picture
            && let Some(transmit) = image.unsent()
        {
            terminal.backend_mut().write_all(transmit.as_bytes())?;
        }
    }
    // The studio never shows the terminal's cursor (the prompt draws its own).
    let frame = terminal.apply_buffer_with_cursor(None)?;
    let cleanup = surface.kitty.after_frame(frame.buffer);
    terminal.backend_mut().write_all(cleanup.as_bytes())?;
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    surface.note_layout(&drawn);
    state
        .previews
        .shown(drawn.pictures.iter().map(|(key, _)| key));
    Ok(state.preview_jobs(drawn.wants))
}

impl Studio {
    pub async fn run(mut self, terminal: &mut Term) -> io::Result<()> {
        // The first frame is already on screen: wait for something to change.
        let mut last_frame = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let first = tokio::select! {
                msg = self.inbox.recv() => match msg {
                    Some(msg) => msg,
                    None => return Ok(()),
                },
                _ = tick.tick() => {
                    if self.state.running_jobs() == 0 {
                        continue;
                    }
                    Msg::Tick(chrono::Utc::now().timestamp_millis())
                }
            };
            // Coalesce: whatever arrives within a frame is drawn together.
            let wait = FRAME.saturating_sub(last_frame.elapsed());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            let mut effects = self.state.update(first);
            while let Ok(msg) = self.inbox.try_recv() {
                effects.extend(self.state.update(msg));
            }
            self.state.now_ms = chrono::Utc::now().timestamp_millis();
            self.run_effects(effects, terminal)?;
            if self.state.quitting {
                return Ok(());
            }
            let more = draw(terminal, &mut self.state, &self.theme, &mut self.surface)?;
            last_frame = Instant::now();
            self.run_effects(more, terminal)?;
        }
    }

    fn run_effects(&mut self, effects: Vec<Effect>, terminal: &mut Term) -> io::Result<()> {
        let mut seen_loads = Vec::new();
        for effect in effects {
            match effect {
                Effect::Quit => self.state.quitting = true,
                Effect::Suspend => {
                    terminal::suspend(&self.keys)?;
                    terminal.clear()?;
                }
                Effect::ExternalEditor(text) => {
                    let edited = terminal::edit_externally(&self.keys, &text);
                    terminal.clear()?;
                    let more = self.state.update(Msg::Edited(edited));
                    self.run_effects(more, terminal)?;
                }
                Effect::CopyPath(path) => {
                    if let Err(e) = terminal::copy_to_clipboard(&path.display().to_string()) {
                        self.state.update(Msg::Error(format!("cannot copy: {e}")));
                    }
                }
                // A burst of saved images asks for the same list many times.
                Effect::LoadImages(source) => {
                    if !seen_loads.contains(&source) {
                        seen_loads.push(source);
                        self.runner.run(Effect::LoadImages(source));
                    }
                }
                other => self.runner.run(other),
            }
        }
        Ok(())
    }
}
