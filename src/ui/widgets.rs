//! Pieces every view uses: a pane's titled border, key hints, money and
//! durations in a few cells.

use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use crate::app::action::Action;
use crate::app::{Pane, Screen, State};
use crate::config::theme::Theme;

/// A pane's border: its title, and the focused pane's in the accent colour.
pub fn pane<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    let (border, kind) = if focused {
        (theme.style("border_focused"), BorderType::Thick)
    } else {
        (theme.style("border"), BorderType::Rounded)
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(kind)
        .border_style(border)
        .title(title)
        .title_style(theme.style("title"))
}

/// `key action` pairs for the status line when it has nothing to say.
pub fn hints<'a>(state: &State, theme: &Theme) -> Line<'a> {
    let context = state.key_context();
    let actions: &[Action] = match (state.screen, state.focus) {
        (Screen::Studio, Pane::Prompt) if state.prompt.inserting => {
            &[Action::Submit, Action::NextPane]
        }
        (Screen::Studio, Pane::Prompt) => &[
            Action::Insert,
            Action::ExternalEditor,
            Action::SavePreset,
            Action::Help,
            Action::Quit,
        ],
        (Screen::Studio, Pane::Params) => &[
            Action::Right,
            Action::Select,
            Action::ResetParam,
            Action::Submit,
            Action::Help,
        ],
        (Screen::Studio, Pane::Jobs) => &[
            Action::CancelJob,
            Action::CancelBatch,
            Action::RetryJob,
            Action::DropJob,
            Action::Help,
        ],
        (Screen::Studio, Pane::Gallery) => &[
            Action::Keep,
            Action::Reject,
            Action::Star,
            Action::Reroll,
            Action::Export,
            Action::Help,
        ],
        (Screen::History, _) => &[
            Action::Search,
            Action::Load,
            Action::Rerun,
            Action::RerunWithFormModel,
            Action::Back,
        ],
        (Screen::Cost, _) => &[Action::GroupBy, Action::Back],
        (Screen::Compare, _) => &[
            Action::ToggleModel,
            Action::Submit,
            Action::MarkBest,
            Action::NextPane,
            Action::Back,
        ],
    };
    let mut spans = vec![Span::raw(" ")];
    if state.screen == Screen::Studio && state.focus == Pane::Prompt && state.prompt.inserting {
        spans.push(Span::styled("esc", theme.style("key")));
        spans.push(Span::styled(" commands  ", theme.style("muted")));
        spans.push(Span::styled("ctrl-x ctrl-e", theme.style("key")));
        spans.push(Span::styled(" $EDITOR  ", theme.style("muted")));
        spans.push(Span::styled("ctrl-p", theme.style("key")));
        spans.push(Span::styled(" presets  ", theme.style("muted")));
    }
    for action in actions {
        if let Some(key) = state.keymap.key_for(context, *action) {
            spans.push(Span::styled(key, theme.style("key")));
            spans.push(Span::styled(
                format!(" {}  ", action.short()),
                theme.style("muted"),
            ));
        }
    }
    Line::from(spans)
}

/// Milliseconds as `850ms`, `12.4s`, `3m05s`.
pub fn duration(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000)
    }
}
