//! The prompt pane: the editor, the negative prompt when the model takes
//! one, the mode, and the character count against the model's limit.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

use super::widgets::pane;
use crate::app::prompt::PromptField;
use crate::app::{Pane, Screen, State};
use crate::config::theme::Theme;

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let focused = state.screen == Screen::Studio && state.focus == Pane::Prompt;
    let mode = if focused && state.prompt.inserting {
        "INSERT"
    } else {
        "NORMAL"
    };
    let chars = state.prompt.chars();
    let count = match state.form.prompt_limit() {
        Some(limit) if chars > limit => Span::styled(
            format!(" {chars}/{limit} over the limit "),
            theme.style("over_limit"),
        ),
        Some(limit) => Span::styled(format!(" {chars}/{limit} "), theme.style("muted")),
        None => Span::styled(
            format!(" {} takes no prompt ", state.form.model.id),
            theme.style("muted"),
        ),
    };
    let mut title = vec![Span::raw(" Prompt ")];
    if let Some(preset) = &state.preset {
        title.push(Span::styled(format!("· {preset} "), theme.style("muted")));
    }
    let block = pane(Line::from(title), focused, theme).title_bottom(Line::from(vec![
        Span::styled(format!(" {mode} "), theme.style("key")),
        count,
    ]));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if state.form.takes_negative_prompt() {
        let [main, label, negative] = Layout::vertical([
            Constraint::Min(1),
            Constraint::Length(1),
            Constraint::Length(2),
        ])
        .areas(inner);
        frame.render_widget(&state.prompt.prompt, main);
        let active = state.prompt.field == PromptField::Negative;
        let style = if active {
            theme.style("accent")
        } else {
            theme.style("muted")
        };
        frame.render_widget(
            Line::from(Span::styled("negative prompt (n switches)", style)),
            label,
        );
        frame.render_widget(&state.prompt.negative, negative);
    } else {
        frame.render_widget(&state.prompt.prompt, inner);
    }
}
