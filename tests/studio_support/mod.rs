//! Builds a studio state without a terminal, feeds it keys, and draws it to
//! ratatui's `TestBackend` as text.

#![allow(dead_code)] // each test file uses a different part

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tintype::app::jobs::JobMeta;
use tintype::app::keymap::Keymap;
use tintype::app::{Effect, Msg, State};
use tintype::catalog::{Catalog, Cost};
use tintype::config::theme::Theme;
use tintype::engine::JobEvent;
use tintype::money::Micros;
use tintype::store::{ImageId, ImageRow, JobId, JobState, Mark, RequestId};

/// 2027-01-15 08:00 UTC: a fixed clock so elapsed times draw the same.
pub const NOW_MS: i64 = 1_800_000_000_000;

pub fn state(model: &str) -> State {
    let catalog = Arc::new(Catalog::embedded().unwrap());
    let (presets, warnings) = tintype::presets::load(None);
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut state = State::new(catalog, Keymap::default(), Arc::new(presets), model);
    state.now_ms = NOW_MS;
    state.today = chrono::NaiveDate::from_ymd_opt(2026, 11, 21).unwrap();
    state
}

pub fn press(state: &mut State, code: KeyCode) -> Vec<Effect> {
    state.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn ctrl(state: &mut State, c: char) -> Vec<Effect> {
    state.update(Msg::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )))
}

pub fn shift(state: &mut State, code: KeyCode) -> Vec<Effect> {
    state.update(Msg::Key(KeyEvent::new(code, KeyModifiers::SHIFT)))
}

pub fn type_text(state: &mut State, text: &str) {
    for c in text.chars() {
        press(state, KeyCode::Char(c));
    }
}

pub fn meta(request: i64, model: &str, prompt: &str) -> JobMeta {
    JobMeta {
        request: RequestId(request),
        batch: None,
        model: model.into(),
        provider: model.split('/').next().unwrap_or("sandbox").into(),
        prompt: prompt.into(),
        n: 1,
        estimate: Micros(40_000),
        seed: Some(42),
        size: None,
    }
}

pub fn event(state: &mut State, event: JobEvent) -> Vec<Effect> {
    state.update(Msg::Job(event))
}

pub fn succeed(state: &mut State, job: i64, micros: i64, elapsed_ms: u64) {
    event(
        state,
        JobEvent::Succeeded {
            job: JobId(job),
            cost: Cost {
                micros: Micros(micros),
                rule: "test".into(),
            },
            elapsed: Duration::from_millis(elapsed_ms),
        },
    );
}

pub fn image(id: i64, job: i64, request: i64) -> ImageRow {
    ImageRow {
        id: ImageId(id),
        job: JobId(job),
        request: RequestId(request),
        index: 0,
        path: PathBuf::from(format!("/nonexistent/tintype-test/{id:06}-fox.png")),
        sha256: format!("{id:064x}"),
        width: 1024,
        height: 1024,
        format: "png".into(),
        seed: Some(1000 + id),
        revised_prompt: None,
        mark: Mark::None,
        starred: false,
        rating: None,
        created_at: NOW_MS,
    }
}

/// A job added as submitted, for list and gallery tests.
pub fn add_job(state: &mut State, job: i64, request: i64, model: &str, prompt: &str) {
    state.update(Msg::Submitted {
        jobs: vec![(JobId(job), meta(request, model, prompt))],
        batch: None,
        compare: false,
    });
}

pub fn job_state(state: &State, job: i64) -> JobState {
    state.jobs.get(JobId(job)).unwrap().state
}

/// The whole screen as text, one line per row (no colours: the `NO_COLOR` theme).
pub fn render(state: &mut State, width: u16, height: u16) -> String {
    let (theme, _) = Theme::load("dark", None, true);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| {
            tintype::ui::draw(frame, state, &theme);
        })
        .unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        for x in 0..buffer.area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
