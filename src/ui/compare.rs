//! The compare screen: models to send the prompt to, and the results side by
//! side, each cell with its picture, cost and latency.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Drawn;
use super::widgets::{duration, pane};
use crate::app::State;
use crate::config::theme::Theme;
use crate::money::Micros;
use crate::preview::{PictureView, PreviewKey, PreviewSource};
use crate::store::{JobState, Mark};

#[allow(clippy::too_many_lines)] // a screen's layout, top to bottom
pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme, drawn: &mut Drawn) {
    let compare = &state.compare;
    let [list_area, results_area] =
        Layout::horizontal([Constraint::Length(34), Constraint::Min(0)]).areas(area);
    let block = pane(
        format!(" Models and sizes · {} picked ", compare.checked.len()),
        !compare.in_results,
        theme,
    );
    let inner = block.inner(list_area);
    frame.render_widget(block, list_area);
    let height = inner.height as usize;
    let top = (compare.selected + 1).saturating_sub(height);
    let lines: Vec<Line<'_>> = compare
        .models
        .iter()
        .enumerate()
        .skip(top)
        .take(height)
        .map(|(i, model)| {
            let mark = if compare.checked.contains(model) {
                "[x]"
            } else {
                "[ ]"
            };
            let line = Line::from(format!(" {mark} {}", crate::text::truncate(model, 28)));
            if i == compare.selected && !compare.in_results {
                line.style(theme.style("selection"))
            } else if compare.checked.contains(model) {
                line.style(theme.style("accent"))
            } else {
                line.style(theme.style("text"))
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);

    let block = pane(
        " Results · ctrl-s runs the prompt on each · b marks the best ",
        compare.in_results,
        theme,
    );
    let inner = block.inner(results_area);
    frame.render_widget(block, results_area);
    if compare.requests.is_empty() {
        let text = " pick two or more models (space), then ctrl-s: the studio's prompt and parameters go to each";
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.style("muted")))
                .wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    }
    let cells = compare.requests.len();
    let columns = cells.clamp(1, 4) as u16;
    let rows = cells.div_ceil(columns as usize) as u16;
    let cell_width = inner.width / columns;
    let cell_height = inner.height / rows.max(1);
    for (i, request) in compare.requests.iter().enumerate() {
        let rect = Rect::new(
            inner.x + (i as u16 % columns) * cell_width,
            inner.y + (i as u16 / columns) * cell_height,
            cell_width,
            cell_height,
        );
        let jobs: Vec<_> = state
            .jobs
            .iter()
            .filter(|j| j.meta.request == *request)
            .collect();
        let model = jobs
            .first()
            .map(|j| j.meta.model.clone())
            .unwrap_or_default();
        let selected = i == compare.cell && compare.in_results;
        let image = compare.cell_image(*request);
        let best = image.is_some_and(|im| im.starred && im.mark == Mark::Keep);
        let size = jobs
            .first()
            .and_then(|j| j.meta.size.clone())
            .unwrap_or_default();
        let title = format!(
            " {}{} {size} ",
            if best { "★ " } else { "" },
            crate::app::form::short(&model)
        );
        let block = pane(title, selected, theme);
        let cell_inner = block.inner(rect);
        frame.render_widget(block, rect);
        let [picture, info] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(cell_inner);
        if let Some(image) = image {
            let key = PreviewKey {
                source: PreviewSource::File(image.path.clone()),
                cols: picture.width,
                rows: picture.height,
            };
            match state.previews.get(&key) {
                Some(Ok(rendered)) => {
                    let x = picture.x + picture.width.saturating_sub(rendered.cols) / 2;
                    let r = Rect::new(
                        x,
                        picture.y,
                        rendered.cols.min(picture.width),
                        rendered.rows.min(picture.height),
                    );
                    frame.render_widget(PictureView(rendered), r);
                    drawn.pictures.push((key, r));
                }
                Some(Err(why)) => {
                    frame.render_widget(Span::styled(why.clone(), theme.style("error")), picture);
                }
                None => drawn.wants.push(key),
            }
        } else {
            let state_text = jobs.first().map_or("…", |j| j.state.as_str());
            frame.render_widget(
                Span::styled(format!(" {state_text}"), theme.style("muted")),
                picture,
            );
        }
        let estimate: Micros = jobs.iter().map(|j| j.meta.estimate).sum();
        let actual: Option<Micros> = jobs.iter().map(|j| j.actual).sum();
        let latency = jobs.iter().filter_map(|j| j.elapsed_ms(state.now_ms)).max();
        let failed = jobs.iter().any(|j| j.state == JobState::Failed);
        let text = format!(
            " {} · {}{}",
            actual.map_or_else(|| format!("~{estimate}"), |a| a.to_string()),
            latency.map(duration).unwrap_or_default(),
            if failed { " · failed" } else { "" }
        );
        frame.render_widget(Line::from(Span::styled(text, theme.style("cost"))), info);
    }
}
