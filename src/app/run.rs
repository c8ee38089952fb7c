//! The studio's loop (after the first frame): wait for a message, drain every queued one, run the
//! effects, then draw once (at most every 16 ms), inside a synchronized
//! update so the terminal never shows half a frame.

use std::io;
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

const FRAME: Duration = Duration::from_millis(16);

/// What the loop needs besides the state.
pub struct Studio {
    pub state: State,
    pub theme: Theme,
    pub runner: Runner,
    pub inbox: UnboundedReceiver<Msg>,
    pub keys: KeyReader,
}

pub type Term = Terminal<CrosstermBackend<io::Stdout>>;

pub fn draw(terminal: &mut Term, state: &mut State, theme: &Theme) -> io::Result<Vec<Effect>> {
    execute!(io::stdout(), BeginSynchronizedUpdate)?;
    let mut wants = Vec::new();
    let drawn = terminal.draw(|frame| wants = crate::ui::draw(frame, state, theme));
    execute!(io::stdout(), EndSynchronizedUpdate)?;
    drawn?;
    Ok(state.preview_jobs(wants))
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
            let more = draw(terminal, &mut self.state, &self.theme)?;
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
