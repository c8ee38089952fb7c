//! The parameters pane: the form's rows, each value the catalog allows,
//! disabled rows and values with their reasons, and the live estimate beside
//! today's and this month's spend and the budget left.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::widgets::pane;
use crate::app::form::{FIRST_PARAM_ROW, Field, FieldKind, MODEL_ROW, N_ROW, OPERATION_ROW};
use crate::app::{Pane, Screen, State};
use crate::config::theme::Theme;
use crate::money::Micros;

const LABEL: usize = 18;

pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let focused = state.screen == Screen::Studio && state.focus == Pane::Params;
    let block = pane(" Parameters ", focused, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [rows_area, money_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(4)]).areas(inner);

    let form = &state.form;
    let mut lines: Vec<Line<'_>> = Vec::new();
    let keyed = state.keyed.contains(&form.model.provider);
    let model_note = if keyed {
        String::new()
    } else {
        format!("  no {} key", form.model.provider)
    };
    lines.push(row(
        state,
        theme,
        MODEL_ROW,
        "model",
        &form.model.id,
        &model_note,
        false,
    ));
    lines.push(row(
        state,
        theme,
        OPERATION_ROW,
        "operation",
        &form.operation,
        "",
        false,
    ));
    let n_reason = form.n_fixed_reason();
    lines.push(row(
        state,
        theme,
        N_ROW,
        "n",
        &form.n.to_string(),
        n_reason.as_deref().unwrap_or(""),
        n_reason.is_some(),
    ));
    for (i, field) in form.fields.iter().enumerate() {
        let blocked = form.field_blocked(field);
        let value = shown_value(field);
        let mut note = blocked.clone().unwrap_or_default();
        if note.is_empty() && field.value.is_none() && field.default.is_some() {
            note = "default".into();
        }
        lines.push(row(
            state,
            theme,
            FIRST_PARAM_ROW + i,
            &field.name,
            &value,
            &note,
            blocked.is_some(),
        ));
    }
    // Keep the selected row in view.
    let height = rows_area.height as usize;
    let top = (form.selected + 1).saturating_sub(height.saturating_sub(2));
    let visible: Vec<Line<'_>> = lines
        .into_iter()
        .skip(top)
        .take(height.saturating_sub(1))
        .collect();
    let mut body = visible;
    body.push(selected_help(state, theme));
    frame.render_widget(Paragraph::new(body), rows_area);
    money(frame, money_area, state, theme);
}

fn shown_value(field: &Field) -> String {
    match (field.effective(), &field.kind) {
        (Some(value), _) => value.to_string(),
        (None, _) if field.name == "seed" => "random".into(),
        (None, FieldKind::Text { .. }) => "—".into(),
        (None, _) => "auto".into(),
    }
}

fn row<'a>(
    state: &State,
    theme: &Theme,
    index: usize,
    name: &str,
    value: &str,
    note: &str,
    disabled: bool,
) -> Line<'a> {
    let selected = state.form.selected == index && state.focus == Pane::Params;
    let name_style = if disabled {
        theme.style("muted")
    } else {
        theme.style("text")
    };
    let value_style = if selected {
        theme.style("selection")
    } else if disabled {
        theme.style("muted")
    } else {
        theme.style("accent")
    };
    let arrows = if disabled {
        ("  ", "  ")
    } else if selected {
        ("‹ ", " ›")
    } else {
        ("  ", "  ")
    };
    let mut spans = vec![
        Span::styled(
            format!(" {:<LABEL$}", crate::text::truncate(name, LABEL)),
            name_style,
        ),
        Span::styled(format!("{}{value}{}", arrows.0, arrows.1), value_style),
    ];
    if !note.is_empty() {
        spans.push(Span::styled(format!("  {note}"), theme.style("muted")));
    }
    Line::from(spans)
}

/// What the selected row accepts: its values, with the disabled ones and why.
fn selected_help<'a>(state: &State, theme: &Theme) -> Line<'a> {
    let form = &state.form;
    if state.focus != Pane::Params {
        return match &form.notice {
            Some(notice) => Line::from(Span::styled(format!(" {notice}"), theme.style("warning"))),
            None => Line::default(),
        };
    }
    let Some(field) = form
        .selected
        .checked_sub(FIRST_PARAM_ROW)
        .and_then(|i| form.fields.get(i))
    else {
        let text = match form.selected {
            MODEL_ROW => format!(" {} models; ←/→ to switch", form.catalog().models().count()),
            OPERATION_ROW => format!(
                " {}",
                form.model
                    .operations
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            _ => format!(" 1..{}", form.n_max()),
        };
        return Line::from(Span::styled(text, theme.style("muted")));
    };
    let mut spans = vec![Span::raw(" ")];
    match &field.kind {
        FieldKind::Choice(values) => {
            for value in values {
                match form.value_blocked(field, value) {
                    Some(why) => spans.push(Span::styled(
                        format!("{value} ({why}) "),
                        theme.style("muted").crossed_out(),
                    )),
                    None => spans.push(Span::styled(format!("{value} "), theme.style("text"))),
                }
            }
        }
        FieldKind::Int { min, max } => {
            spans.push(Span::raw(format!("{min}..{max}; enter to type")));
        }
        FieldKind::Float { min, max, .. } => {
            spans.push(Span::raw(format!("{min}..{max}; enter to type")));
        }
        FieldKind::Text { max_chars } => spans.push(Span::raw(format!(
            "text up to {max_chars} chars; enter to type"
        ))),
    }
    if let Some(help) = &field.help {
        spans.push(Span::styled(format!(" — {help}"), theme.style("muted")));
    }
    Line::from(spans)
}

fn money(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let mut lines = Vec::new();
    match &state.estimate {
        Ok(cost) => lines.push(Line::from(vec![
            Span::styled(" estimate ", theme.style("muted")),
            Span::styled(cost.micros.to_string(), theme.style("cost")),
            Span::styled(format!("  {}", cost.rule), theme.style("muted")),
        ])),
        Err(errors) if errors.is_empty() => lines.push(Line::from(Span::styled(
            " estimate —",
            theme.style("muted"),
        ))),
        Err(errors)
            if state.prompt.text().trim().is_empty() && state.form.op().prompt.is_some() =>
        {
            lines.push(Line::from(Span::styled(
                format!(" estimate — ({})", errors.join("; ")),
                theme.style("muted"),
            )));
        }
        Err(errors) => lines.push(Line::from(vec![
            Span::styled(" cannot send: ", theme.style("error")),
            Span::styled(errors.join("; "), theme.style("warning")),
        ])),
    }
    if state.spend.known {
        let mut spans = vec![
            Span::styled(" today ", theme.style("muted")),
            Span::styled(state.spend.today.to_string(), theme.style("cost")),
            Span::styled("  month ", theme.style("muted")),
            Span::styled(state.spend.month.to_string(), theme.style("cost")),
        ];
        let left =
            |cap: Option<Micros>, spent: Micros| cap.map(|cap| Micros((cap.0 - spent.0).max(0)));
        if let Some(day_left) = left(state.spend.caps.daily, state.spend.today) {
            spans.push(Span::styled("  left today ", theme.style("muted")));
            spans.push(Span::styled(day_left.to_string(), theme.style("cost")));
        }
        if let Some(month_left) = left(state.spend.caps.monthly, state.spend.month) {
            spans.push(Span::styled("  left this month ", theme.style("muted")));
            spans.push(Span::styled(month_left.to_string(), theme.style("cost")));
        }
        if state.spend.caps.daily.is_none() && state.spend.caps.monthly.is_none() {
            spans.push(Span::styled("  no budget set", theme.style("muted")));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
