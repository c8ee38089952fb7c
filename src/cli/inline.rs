//! Printing saved images in the terminal after a run (viuer: kitty, iTerm2
//! or sixel), for terminals that can show them.

use std::io::{IsTerminal, Write};

/// Prints the images after their paths when stdout is a terminal that
/// speaks a graphics protocol (kitty, iTerm2, sixel); elsewhere (a pipe,
/// a plain terminal) the paths are enough.
pub fn show_inline(paths: &[String]) {
    if paths.is_empty() || !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return;
    }
    // The probes ask the terminal and read its answer: in raw mode, so the
    // answer is not echoed onto the screen.
    let raw = ratatui::crossterm::terminal::enable_raw_mode().is_ok();
    let graphics = viuer::get_kitty_support() != viuer::KittySupport::None
        || viuer::is_iterm_supported()
        || viuer::is_sixel_supported();
    if raw {
        let _ = ratatui::crossterm::terminal::disable_raw_mode();
    }
    if !graphics {
        return;
    }
    let columns = crossterm_width().min(48);
    let mut out = std::io::stdout();
    for path in paths {
        let Ok(picture) = image::open(path) else {
            continue;
        };
        let config = viuer::Config {
            absolute_offset: false,
            width: Some(columns),
            ..viuer::Config::default()
        };
        // From the left edge, and a line of air below: the cell size viuer
        // assumes can be a little off, and the next picture must not cover
        // the bottom of this one.
        let _ = write!(out, "\r");
        let _ = out.flush();
        if viuer::print(&picture, &config).is_ok() {
            let _ = writeln!(out);
        }
    }
}

fn crossterm_width() -> u32 {
    ratatui::crossterm::terminal::size().map_or(80, |(w, _)| u32::from(w)) / 2
}
