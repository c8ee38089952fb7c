//! The jobs pane: newest first, one line each (state, model, time,
//! attempts, cost, progress or the error); only the rows in view are built,
//! so ten thousand jobs cost what twenty do.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::widgets::{duration, pane};
use crate::app::jobs::JobView;
use crate::app::{Pane, Screen, State};
use crate::config::theme::Theme;
use crate::store::JobState;
use crate::text::truncate;

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let focused = state.screen == Screen::Studio && state.focus == Pane::Jobs;
    let title = format!(
        " Jobs {} ",
        if state.jobs.is_empty() {
            String::new()
        } else {
            format!("({})", state.jobs.len())
        }
    );
    let block = pane(title, focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if state.jobs.is_empty() {
        let hint = Line::from(Span::styled(
            " nothing yet: write a prompt and press ctrl-s",
            theme.style("muted"),
        ));
        frame.render_widget(hint, inner);
        return;
    }
    let height = inner.height as usize;
    let selected = state.jobs.selected;
    let top = (selected + 1).saturating_sub(height);
    let lines: Vec<Line<'_>> = state
        .jobs
        .iter()
        .enumerate()
        .skip(top)
        .take(height)
        .map(|(i, job)| {
            job_line(
                job,
                i == selected && focused,
                i == selected,
                state.now_ms,
                inner.width as usize,
                theme,
            )
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn job_line<'a>(
    job: &JobView,
    focused: bool,
    selected: bool,
    now_ms: i64,
    width: usize,
    theme: &Theme,
) -> Line<'a> {
    let (glyph, role) = match job.state {
        JobState::Queued | JobState::Submitted => ("·", "job_queued"),
        JobState::Running => ("▶", "job_running"),
        JobState::Succeeded => ("✓", "job_succeeded"),
        JobState::Failed => ("✗", "job_failed"),
        JobState::Canceled => ("⊘", "muted"),
        JobState::Interrupted => ("?", "warning"),
    };
    let elapsed = job.elapsed_ms(now_ms).map(duration).unwrap_or_default();
    let cost = match job.actual {
        Some(actual) => actual.to_string(),
        None if job.outcome_unknown() => format!("{}?", job.meta.estimate),
        None => format!("~{}", job.meta.estimate),
    };
    let attempts = if job.attempts > 1 {
        format!(" ×{}", job.attempts)
    } else {
        String::new()
    };
    let model = crate::app::form::short(&job.meta.model);
    let detail = match (&job.error, &job.progress, &job.last_retry) {
        (Some((class, message)), _, _) => format!("{}: {message}", class.as_str()),
        (None, Some(progress), Some(retry)) => format!("{progress} (last: {retry})"),
        (None, Some(progress), None) => progress.clone(),
        (None, None, _) if job.from_before => "from an earlier session".into(),
        (None, None, _) => job.meta.prompt.clone(),
    };
    let head = format!(
        " {glyph} {:>5} {:<18} {:>7}{attempts} {:>8} ",
        job.id.0,
        truncate(model, 18),
        elapsed,
        cost
    );
    let rest = truncate(&detail, width.saturating_sub(crate::text::width(&head)));
    let base = if focused {
        theme.style("selection")
    } else if selected {
        theme.style("accent")
    } else {
        theme.style("text")
    };
    Line::from(vec![
        Span::styled(head, if focused { base } else { theme.style(role) }),
        Span::styled(
            rest,
            if focused {
                base
            } else if job.error.is_some() {
                theme.style("job_failed")
            } else {
                theme.style("muted")
            },
        ),
    ])
    .style(base)
}
