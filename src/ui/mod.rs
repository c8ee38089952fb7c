//! Drawing: a function of the state. Each pane has its own view that
//! borrows the state and the theme; overlays are drawn last, in one order.
//! Drawing returns the previews the frame wanted and did not have yet, so
//! the loop can ask the preview worker for them.

mod compare;
mod cost;
mod gallery;
mod history;
mod jobs;
mod overlays;
mod params;
mod prompt;
pub mod widgets;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::{Level, Screen, State};
use crate::config::theme::Theme;
use crate::preview::PreviewKey;

/// The smallest terminal the studio lays out in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// What a frame drew of the previews: the ones it lacked, to be asked
/// for, and where each one it had went.
#[derive(Debug, Default)]
pub struct Drawn {
    pub wants: Vec<PreviewKey>,
    pub pictures: Vec<(PreviewKey, Rect)>,
}

pub fn draw(frame: &mut Frame<'_>, state: &State, theme: &Theme) -> Drawn {
    let area = frame.area();
    let mut drawn = Drawn::default();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, theme);
        return drawn;
    }
    let [top, main, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    top_bar(frame, top, state, theme);
    match state.screen {
        Screen::Studio => studio(frame, main, state, theme, &mut drawn),
        Screen::History => history::draw(frame, main, state, theme),
        Screen::Cost => cost::draw(frame, main, state, theme),
        Screen::Compare => compare::draw(frame, main, state, theme, &mut drawn),
    }
    status_line(frame, status, state, theme);
    overlays::draw(frame, area, state, theme);
    drawn
}

fn studio(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme, drawn: &mut Drawn) {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(42), Constraint::Percentage(58)]).areas(area);
    let prompt_rows = if state.form.takes_negative_prompt() {
        11
    } else {
        8
    };
    let [prompt_area, params_area] = Layout::vertical([
        Constraint::Length(prompt_rows.min(left.height / 2)),
        Constraint::Min(0),
    ])
    .areas(left);
    let [jobs_area, gallery_area] =
        Layout::vertical([Constraint::Percentage(36), Constraint::Percentage(64)]).areas(right);
    prompt::draw(frame, prompt_area, state, theme);
    params::draw(frame, params_area, state, theme);
    jobs::draw(frame, jobs_area, state, theme);
    gallery::draw(frame, gallery_area, state, theme, drawn);
}

fn top_bar(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let mut spans = vec![
        Span::styled(" tintype ", theme.style("title")),
        Span::raw(" "),
    ];
    for screen in Screen::ALL {
        let style = if screen == state.screen {
            theme.style("selection")
        } else {
            theme.style("muted")
        };
        spans.push(Span::styled(format!(" {} ", screen.title()), style));
    }
    spans.push(Span::styled("  [ ] switch", theme.style("muted")));
    let running = state.running_jobs();
    let mut right = Vec::new();
    if running > 0 {
        right.push(Span::styled(
            format!("{running} running  "),
            theme.style("job_running"),
        ));
    }
    if state.spend.known {
        right.push(Span::styled(
            format!("today {}  month {} ", state.spend.today, state.spend.month),
            theme.style("cost"),
        ));
    }
    let right_width = right.iter().map(Span::width).sum::<usize>() as u16;
    let [l, r] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(Line::from(spans), l);
    frame.render_widget(Line::from(right), r);
}

fn status_line(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let line = match &state.status {
        Some((level, text)) => {
            let role = match level {
                Level::Info => "text",
                Level::Warn => "warning",
                Level::Error => "error",
            };
            Line::from(Span::styled(format!(" {text}"), theme.style(role)))
        }
        None => widgets::hints(state, theme),
    };
    frame.render_widget(line, area);
}

fn too_small(frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let text = vec![
        Line::from(Span::styled("terminal too small", theme.style("warning"))),
        Line::from(format!(
            "{}x{} here; tintype needs {MIN_WIDTH}x{MIN_HEIGHT}",
            area.width, area.height
        )),
        Line::from(Span::styled(
            "enlarge the window, or q to quit",
            theme.style("muted"),
        )),
    ];
    let y = area.height.saturating_sub(3) / 2;
    let rect = Rect::new(area.x, area.y + y, area.width, 3.min(area.height));
    frame.render_widget(
        Paragraph::new(text)
            .alignment(ratatui::layout::Alignment::Center)
            .wrap(Wrap { trim: true }),
        rect,
    );
}
