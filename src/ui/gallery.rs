//! The gallery pane: thumbnails of the shown request or batch in a grid,
//! and the selected image large beside them with its marks and recipe. A
//! running job's streamed partial image shows until its first image lands.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Drawn;
use super::widgets::pane;
use crate::app::{Pane, Screen, State};
use crate::config::theme::Theme;
use crate::preview::{PictureView, PreviewKey, PreviewSource};
use crate::store::{ImageRow, Mark};
use crate::text::{strip_controls, truncate};

const THUMB_COLS: u16 = 14;
const THUMB_ROWS: u16 = 7;

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme, drawn: &mut Drawn) {
    let focused = state.screen == Screen::Studio && state.focus == Pane::Gallery;
    let gallery = &state.gallery;
    let count = gallery.visible_count();
    let title = format!(
        " Gallery {}{} ",
        if gallery.all().is_empty() {
            String::new()
        } else {
            format!("{}/{} ", count, gallery.all().len())
        },
        if gallery.filter == crate::app::gallery::MarkFilter::All {
            String::new()
        } else {
            format!("· {}", gallery.filter.label())
        }
    );
    let block = pane(title, focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    if gallery.all().is_empty() {
        if let Some(job) = state.jobs.selected()
            && let Some(partial) = state.partials.get(&job.id)
        {
            let key = PreviewKey {
                source: PreviewSource::Partial {
                    job: job.id,
                    seq: partial.seq,
                },
                cols: inner.width,
                rows: inner.height.saturating_sub(1),
            };
            let [picture, caption] =
                Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
            picture_in(frame, picture, key, state, theme, drawn);
            let text = format!(" streaming: preview {} of job {}", partial.seq + 1, job.id);
            frame.render_widget(
                Line::from(Span::styled(text, theme.style("job_running"))),
                caption,
            );
            return;
        }
        let hint = match state.jobs.selected() {
            Some(job) if !job.state.is_finished() => " waiting for the first image…",
            Some(_) => " this job made no images",
            None => " images of the selected job show here",
        };
        frame.render_widget(Line::from(Span::styled(hint, theme.style("muted"))), inner);
        return;
    }

    let grid_width = if inner.width >= 60 {
        (inner.width / 2 / THUMB_COLS * THUMB_COLS).max(THUMB_COLS)
    } else {
        inner.width
    };
    let [grid, large] =
        Layout::horizontal([Constraint::Length(grid_width), Constraint::Min(0)]).areas(inner);
    let columns = (grid.width / THUMB_COLS).max(1) as usize;
    gallery.columns.set(columns);
    let rows_fit = (grid.height / THUMB_ROWS).max(1) as usize;
    let selected_row = gallery.selected / columns;
    // Page by page, not row by row: a thumbnail that stays on screen stays
    // put, so a sixel terminal is sent each thumbnail once while paging on
    // (a row-wise scroll moves, and so resends, every one).
    let first_row = selected_row / rows_fit * rows_fit;
    for (i, image) in gallery
        .visible()
        .enumerate()
        .skip(first_row * columns)
        .take(rows_fit * columns)
    {
        let at = i - first_row * columns;
        let cell = Rect::new(
            grid.x + (at % columns) as u16 * THUMB_COLS,
            grid.y + (at / columns) as u16 * THUMB_ROWS,
            THUMB_COLS,
            THUMB_ROWS,
        )
        .intersection(grid);
        thumbnail(
            frame,
            cell,
            image,
            i == gallery.selected,
            focused,
            state,
            theme,
            drawn,
        );
    }
    if large.width > 0
        && let Some(image) = gallery.selected_image()
    {
        let [picture, info] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(large);
        let key = PreviewKey {
            source: PreviewSource::File(image.path.clone()),
            cols: picture.width,
            rows: picture.height,
        };
        picture_in(frame, picture, key, state, theme, drawn);
        frame.render_widget(Paragraph::new(details(image, state, theme)), info);
    }
}

#[allow(clippy::too_many_arguments)] // one cell of the grid needs all of it
fn thumbnail(
    frame: &mut Frame<'_>,
    cell: Rect,
    image: &ImageRow,
    selected: bool,
    focused: bool,
    state: &State,
    theme: &Theme,
    drawn: &mut Drawn,
) {
    if cell.height < 2 || cell.width < 3 {
        return;
    }
    let [picture, caption] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(cell);
    let picture = Rect::new(
        picture.x + 1,
        picture.y,
        picture.width.saturating_sub(2),
        picture.height,
    );
    let key = PreviewKey {
        source: PreviewSource::File(image.path.clone()),
        cols: picture.width,
        rows: picture.height,
    };
    picture_in(frame, picture, key, state, theme, drawn);
    let mut spans = vec![Span::styled(
        if selected { "▸" } else { " " },
        theme.style("accent"),
    )];
    spans.extend(marks(image, theme));
    let line = Line::from(spans);
    let line = if selected && focused {
        line.style(theme.style("selection"))
    } else {
        line
    };
    frame.render_widget(line, caption);
}

fn marks<'a>(image: &ImageRow, theme: &Theme) -> Vec<Span<'a>> {
    let mut spans = vec![match image.mark {
        Mark::Keep => Span::styled("✓keep ", theme.style("mark_keep")),
        Mark::Reject => Span::styled("✗rej ", theme.style("mark_reject")),
        Mark::None => Span::styled(format!("#{} ", image.id), theme.style("muted")),
    }];
    if image.starred {
        spans.push(Span::styled("★", theme.style("star")));
    }
    if let Some(rating) = image.rating {
        spans.push(Span::styled(format!("{rating}/5"), theme.style("star")));
    }
    spans
}

fn details<'a>(image: &ImageRow, state: &State, theme: &Theme) -> Vec<Line<'a>> {
    let model = state
        .jobs
        .get(image.job)
        .map(|j| j.meta.model.clone())
        .unwrap_or_default();
    let seed = image.seed.map(|s| format!(" seed {s}")).unwrap_or_default();
    let name = image
        .path
        .file_name()
        .map(|n| strip_controls(&n.to_string_lossy(), true))
        .unwrap_or_default();
    let mut head = vec![Span::styled(
        format!(
            " #{} {}x{} {}{seed} ",
            image.id,
            image.width,
            image.height,
            crate::app::form::short(&model)
        ),
        theme.style("text"),
    )];
    head.extend(marks(image, theme));
    let mut lines = vec![
        Line::from(head),
        Line::from(Span::styled(
            format!(" {}", truncate(&name, 200)),
            theme.style("muted"),
        )),
    ];
    if let Some(revised) = &image.revised_prompt {
        lines.push(Line::from(Span::styled(
            format!(" revised: {}", strip_controls(revised, true)),
            theme.style("muted"),
        )));
    }
    lines
}

/// Draws the preview for `key` centred in `area`, or says why it cannot
/// yet; a missing preview is added to `drawn.wants`.
fn picture_in(
    frame: &mut Frame<'_>,
    area: Rect,
    key: PreviewKey,
    state: &State,
    theme: &Theme,
    drawn: &mut Drawn,
) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    match state.previews.get(&key) {
        Some(Ok(rendered)) => {
            let x = area.x + area.width.saturating_sub(rendered.cols) / 2;
            let y = area.y + area.height.saturating_sub(rendered.rows) / 2;
            let rect = Rect::new(
                x,
                y,
                rendered.cols.min(area.width),
                rendered.rows.min(area.height),
            );
            frame.render_widget(PictureView(rendered), rect);
            drawn.pictures.push((key, rect));
        }
        Some(Err(why)) => {
            let text = Paragraph::new(Span::styled(
                strip_controls(why, true),
                theme.style("error"),
            ))
            .wrap(ratatui::widgets::Wrap { trim: true });
            frame.render_widget(text, area);
        }
        None => {
            frame.render_widget(Span::styled("…", theme.style("muted")), area);
            drawn.wants.push(key);
        }
    }
}
