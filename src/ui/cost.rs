//! The cost screen: the last 30 days as a bar chart, totals by day, model or
//! provider with estimate against actual, success rate and median latency.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph};

use super::widgets::{duration, pane};
use crate::app::State;
use crate::config::theme::Theme;
use crate::money::Micros;
use crate::store::GroupBy;

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let [chart_area, table_area] =
        Layout::vertical([Constraint::Length(10), Constraint::Min(4)]).areas(area);
    let Some(data) = &state.cost.data else {
        frame.render_widget(
            Paragraph::new(" reading the ledger…").block(pane(" Cost ", true, theme)),
            area,
        );
        return;
    };

    let bars: Vec<Bar<'_>> = data
        .daily
        .iter()
        .map(|day| {
            let spent = day.actual_micros.max(day.estimated_micros).max(0);
            Bar::default()
                .value(u64::try_from(spent).unwrap_or(0))
                .text_value(String::new())
                .label(Line::from(day.day.get(8..).unwrap_or("").to_string()))
                .style(theme.style("cost"))
        })
        .collect();
    let total: i64 = data
        .daily
        .iter()
        .map(|d| d.actual_micros.max(d.estimated_micros))
        .sum();
    let chart_block = pane(format!(" Last 30 days · {} ", Micros(total)), false, theme);
    let inner_width = chart_block.inner(chart_area).width as usize;
    let bar_width = ((inner_width / bars.len().max(1)).saturating_sub(1)).clamp(1, 3) as u16;
    let chart = BarChart::default()
        .block(chart_block)
        .data(BarGroup::default().bars(&bars))
        .bar_width(bar_width)
        .bar_gap(1)
        .bar_style(theme.style("cost"));
    frame.render_widget(chart, chart_area);

    let group = match state.cost.group {
        GroupBy::Day => "day",
        GroupBy::Model => "model",
        GroupBy::Provider => "provider",
    };
    let stats = &data.stats;
    let rate = if stats.finished > 0 {
        format!(
            "{}% of {} jobs succeeded",
            stats.succeeded * 100 / stats.finished,
            stats.finished
        )
    } else {
        "no finished jobs".into()
    };
    let latency = stats
        .median_latency_ms
        .map(|ms| format!(" · median {}", duration(ms)))
        .unwrap_or_default();
    let title = format!(" By {group} (b switches) · {rate}{latency} ");
    let block = pane(title, true, theme);
    let inner = block.inner(table_area);
    frame.render_widget(block, table_area);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            " {:<26} {:>7} {:>7} {:>11} {:>11} {:>8}",
            group, "calls", "images", "estimated", "actual", "unpriced"
        ),
        theme.style("muted"),
    ))];
    if let Some(report) = &data.report {
        let height = inner.height.saturating_sub(2) as usize;
        let top = (state.cost.selected + 1).saturating_sub(height);
        for (i, row) in report.rows.iter().enumerate().skip(top).take(height) {
            let line = Line::from(format!(
                " {:<26} {:>7} {:>7} {:>11} {:>11} {:>8}",
                crate::text::truncate(&row.key, 26),
                row.requests,
                row.images,
                Micros(row.estimated_cost_micros).to_string(),
                Micros(row.actual_cost_micros).to_string(),
                row.without_actual
            ));
            lines.push(if i == state.cost.selected {
                line.style(theme.style("selection"))
            } else {
                line.style(theme.style("text"))
            });
        }
        let t = &report.total;
        lines.push(Line::from(Span::styled(
            format!(
                " {:<26} {:>7} {:>7} {:>11} {:>11} {:>8}",
                "total, 30 days",
                t.requests,
                t.images,
                Micros(t.estimated_cost_micros).to_string(),
                Micros(t.actual_cost_micros).to_string(),
                t.without_actual
            ),
            theme.style("title"),
        )));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
