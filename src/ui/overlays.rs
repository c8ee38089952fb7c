//! Overlays, drawn last over the panes: help for the focused pane, a
//! question, the preset picker and its variables, small inputs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::widgets::pane;
use crate::app::State;
use crate::app::keymap::KeyContext;
use crate::app::overlay::Overlay;
use crate::config::theme::Theme;
use crate::text::{strip_controls, truncate};

#[allow(clippy::too_many_lines)] // one arm per kind, each short
pub fn draw(frame: &mut Frame<'_>, area: Rect, state: &State, theme: &Theme) {
    let Some(overlay) = &state.overlay else {
        return;
    };
    let (title, lines, width, height) = match overlay {
        Overlay::Help => help(state, theme),
        Overlay::Confirm(confirm) => {
            let lines = confirm
                .lines
                .iter()
                .map(|l| Line::from(Span::styled(format!(" {l}"), theme.style("text"))))
                .collect();
            (
                format!(" {} ", confirm.title),
                lines,
                70,
                confirm.lines.len() as u16 + 4,
            )
        }
        Overlay::Presets(picker) => {
            let mut lines = vec![Line::from(vec![
                Span::styled(" > ", theme.style("key")),
                Span::styled(picker.query.clone(), theme.style("text")),
                Span::styled("▏", theme.style("accent")),
            ])];
            for (i, name) in picker.matches.iter().enumerate().take(14) {
                let Some(preset) = state.presets.get(name) else {
                    continue;
                };
                let text = format!(
                    " {:<22} {:<28} {}",
                    truncate(name, 22),
                    truncate(&preset.model, 28),
                    preset.title
                );
                let line = Line::from(text);
                lines.push(if i == picker.selected {
                    line.style(theme.style("selection"))
                } else {
                    line.style(theme.style("text"))
                });
            }
            if let Some(preset) = picker.chosen().and_then(|n| state.presets.get(n)) {
                lines.push(Line::default());
                lines.push(Line::from(Span::styled(
                    format!(" {}", strip_controls(&preset.description, true)),
                    theme.style("muted"),
                )));
            }
            (
                " Presets · type to filter, enter picks ".to_string(),
                lines,
                96,
                20,
            )
        }
        Overlay::Fill(fill) => {
            let mut lines = Vec::new();
            for (i, var) in fill.vars.iter().enumerate() {
                let cursor = if i == fill.selected { "▏" } else { "" };
                let style = if i == fill.selected {
                    theme.style("accent")
                } else {
                    theme.style("text")
                };
                lines.push(Line::from(vec![
                    Span::styled(format!(" {{{}}} ", var.name), theme.style("variable")),
                    Span::styled(format!("{}{cursor}", var.value), style),
                ]));
                if let Some(help) = &var.help {
                    lines.push(Line::from(Span::styled(
                        format!("   {help}"),
                        theme.style("muted"),
                    )));
                }
            }
            lines.push(Line::from(Span::styled(
                " enter next/apply · ctrl-u clear · esc cancel",
                theme.style("muted"),
            )));
            (
                format!(" Preset {} ", fill.preset),
                lines,
                90,
                fill.vars.len() as u16 * 2 + 4,
            )
        }
        Overlay::SaveAs(name) => (
            " Save as preset ".into(),
            vec![
                Line::from(vec![
                    Span::styled(" name: ", theme.style("muted")),
                    Span::raw(name.clone()),
                    Span::styled("▏", theme.style("accent")),
                ]),
                Line::from(Span::styled(
                    " letters, digits, - and _; enter saves to your presets dir",
                    theme.style("muted"),
                )),
            ],
            64,
            5,
        ),
        Overlay::EditField { row, text } => {
            let name = state
                .form
                .fields
                .get(row - crate::app::form::FIRST_PARAM_ROW)
                .map(|f| f.name.clone())
                .unwrap_or_default();
            (
                format!(" {name} "),
                vec![
                    Line::from(vec![
                        Span::raw(format!(" {text}")),
                        Span::styled("▏", theme.style("accent")),
                    ]),
                    Line::from(Span::styled(
                        " enter sets, empty resets, esc cancels",
                        theme.style("muted"),
                    )),
                ],
                50,
                5,
            )
        }
    };
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(pane(title, true, theme)),
        rect,
    );
}

fn help<'a>(state: &State, theme: &Theme) -> (String, Vec<Line<'a>>, u16, u16) {
    let context = state.key_context();
    let mut lines = Vec::new();
    for (heading, ctx) in [
        (context.name(), context),
        ("everywhere", KeyContext::Global),
    ] {
        lines.push(Line::from(Span::styled(
            format!(" {heading}"),
            theme.style("title"),
        )));
        for (keys, action) in state.keymap.listing(ctx) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<18}", truncate(&keys, 18)), theme.style("key")),
                Span::styled(action.help(), theme.style("text")),
            ]));
        }
    }
    if context == KeyContext::Prompt {
        lines.push(Line::from(Span::styled(
            " insert mode: type; esc for normal mode; ctrl-u undo, ctrl-r redo, alt-f/alt-b words, ctrl-x ctrl-e $EDITOR",
            theme.style("muted"),
        )));
    }
    let height = (lines.len() as u16 + 2).min(40);
    (
        " Help · esc closes · rebind in config.toml [keys.<pane>] ".into(),
        lines,
        84,
        height,
    )
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width.saturating_sub(2));
    let height = height.min(area.height.saturating_sub(2));
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}
