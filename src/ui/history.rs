//! The history screen: the filter line (words plus model:, provider:,
//! since:, until:, mark:, star), past requests newest first, and the
//! selected one in full.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::widgets::pane;
use crate::app::State;
use crate::config::theme::Theme;
use crate::money::Micros;
use crate::store::HistoryRow;
use crate::text::{strip_controls, truncate};

#[allow(clippy::too_many_lines)] // a screen's layout, top to bottom
pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let history = &state.history;
    let [filter_area, list_area, detail_area] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Min(3),
        Constraint::Length(7),
    ])
    .areas(area);

    let filter_block = pane(
        " Search · / to type, enter to leave ",
        history.editing,
        theme,
    );
    let mut filter = vec![
        Span::styled(" / ", theme.style("key")),
        Span::styled(history.filter.clone(), theme.style("text")),
    ];
    if history.editing {
        filter.push(Span::styled("▏", theme.style("accent")));
    }
    if history.filter.is_empty() && !history.editing {
        filter.push(Span::styled(
            "words, model:…, provider:…, since:7d, until:2026-11-01, mark:keep, star",
            theme.style("muted"),
        ));
    }
    frame.render_widget(
        Paragraph::new(Line::from(filter)).block(filter_block),
        filter_area,
    );

    let title = format!(
        " History ({}{}) ",
        history.rows.len(),
        if history.rows.len() as u32 >= crate::app::screens::HISTORY_LIMIT {
            "+, newest"
        } else {
            ""
        }
    );
    let block = pane(title, !history.editing, theme);
    let inner = block.inner(list_area);
    frame.render_widget(block, list_area);
    if let Some(error) = &history.error {
        frame.render_widget(
            Line::from(Span::styled(format!(" {error}"), theme.style("error"))),
            inner,
        );
    } else if history.rows.is_empty() {
        let text = if history.loaded {
            " nothing matches"
        } else {
            " loading…"
        };
        frame.render_widget(Line::from(Span::styled(text, theme.style("muted"))), inner);
    } else {
        let height = inner.height as usize;
        let top = (history.selected + 1).saturating_sub(height);
        let lines: Vec<Line<'_>> = history
            .rows
            .iter()
            .enumerate()
            .skip(top)
            .take(height)
            .map(|(i, row)| row_line(row, i == history.selected, inner.width as usize, theme))
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }

    let detail = pane(" Request ", false, theme);
    let lines = match history.selected_row() {
        Some(row) => vec![
            Line::from(vec![
                Span::styled(format!(" #{} ", row.id), theme.style("accent")),
                Span::styled(
                    format!(
                        "{} {} · {} · n {}",
                        row.model, row.operation, row.status, row.n
                    ),
                    theme.style("text"),
                ),
                Span::styled(
                    row.seed.map(|s| format!(" · seed {s}")).unwrap_or_default(),
                    theme.style("muted"),
                ),
            ]),
            Line::from(Span::styled(
                format!(" {}", strip_controls(&row.prompt, true)),
                theme.style("text"),
            )),
            Line::from(Span::styled(
                row.negative_prompt
                    .as_deref()
                    .map(|n| format!(" not: {}", strip_controls(n, true)))
                    .unwrap_or_default(),
                theme.style("muted"),
            )),
            Line::from(Span::styled(
                format!(" {}", strip_controls(&row.params_json, true)),
                theme.style("muted"),
            )),
        ],
        None => Vec::new(),
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(detail),
        detail_area,
    );
}

fn row_line<'a>(row: &HistoryRow, selected: bool, width: usize, theme: &Theme) -> Line<'a> {
    let when = chrono::DateTime::from_timestamp_millis(row.created_at)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let cost = Micros(row.actual_cost_micros.unwrap_or(row.estimated_cost_micros));
    let marks = format!(
        "{}{}",
        if row.kept > 0 {
            format!("✓{} ", row.kept)
        } else {
            String::new()
        },
        if row.starred > 0 {
            format!("★{} ", row.starred)
        } else {
            String::new()
        }
    );
    let head = format!(
        " {when} {:<16} {:>9} {:>8} {:<6}",
        truncate(crate::app::form::short(&row.model), 16),
        row.status,
        cost.to_string(),
        marks
    );
    let prompt = truncate(
        &strip_controls(&row.prompt, true),
        width.saturating_sub(crate::text::width(&head) + 1),
    );
    let line = Line::from(vec![
        Span::raw(head),
        Span::raw(" "),
        Span::styled(prompt, theme.style("muted")),
    ]);
    if selected {
        line.style(theme.style("selection"))
    } else {
        line.style(theme.style("text"))
    }
}
