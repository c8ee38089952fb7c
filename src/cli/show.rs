//! `tintype show ID|FILE`: one image printed to stdout with the studio's own
//! encoders, at a chosen cell size and protocol — for scripts, for checking
//! what a terminal can show, and for the benchmarks against chafa.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use image::RgbImage;

use super::{CliError, CliResult, Context};
use crate::config::keys::process_env;
use crate::preview::detect::{
    Graphics, QUERY_TIMEOUT, RawMode, asks_terminal, detect, winsize_cell,
};
use crate::preview::encode::{self, CellSize, Fitted};
use crate::store::RequestId;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A generation id from `tintype history` (its first image; `ID:N` for
    /// the Nth), or an image file
    pub image: String,
    /// kitty, sixel, iterm2 or halfblocks (default: what the terminal speaks)
    #[arg(long, value_name = "P")]
    pub protocol: Option<String>,
    /// The box to fit the image into, in cells (default: the terminal's
    /// width, at most 80, and its height less two lines)
    #[arg(long, value_name = "WxH", value_parser = parse_cells)]
    pub cells: Option<(u16, u16)>,
}

fn parse_cells(text: &str) -> Result<(u16, u16), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{text:?} is not WxH, e.g. 40x20"))?;
    let w: u16 = w
        .trim()
        .parse()
        .map_err(|_| format!("{w:?} is not a width"))?;
    let h: u16 = h
        .trim()
        .parse()
        .map_err(|_| format!("{h:?} is not a height"))?;
    if w == 0 || h == 0 || w > 1000 || h > 1000 {
        return Err(format!("{text}: each side must be 1 to 1000 cells"));
    }
    Ok((w, h))
}

pub fn run(args: &ShowArgs) -> CliResult {
    let context = Context::load()?;
    let path = resolve(&context, &args.image)?;
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();

    let configured = args.protocol.clone().or_else(|| {
        context
            .graphics_setting(&process_env)
            .map(|(value, _)| value)
    });
    if let Some(name) = &args.protocol
        && (Graphics::parse(name).is_none() || name == "none")
    {
        return Err(CliError::Invalid(format!(
            "--protocol {name:?}: use kitty, sixel, iterm2 or halfblocks"
        )));
    }
    // Ask the terminal only when it is there and the answer is needed.
    let raw = (interactive && asks_terminal(configured.as_deref()))
        .then(RawMode::enter)
        .and_then(Result::ok);
    let detected = detect(configured.as_deref(), raw.is_some(), QUERY_TIMEOUT);
    drop(raw);
    let cell = winsize_cell().unwrap_or(detected.cell);
    let cell = CellSize {
        width: cell.0,
        height: cell.1,
    };
    let (cols, rows) = args.cells.unwrap_or_else(default_cells);

    let picture = image::ImageReader::open(&path)
        .and_then(image::ImageReader::with_guessed_format)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?
        .decode()
        .map_err(|e| anyhow::anyhow!("cannot decode {}: {e}", path.display()))?;
    // Half blocks draw two pixels a cell.
    let half_blocks = matches!(detected.graphics, Graphics::Halfblocks | Graphics::Off);
    let cell = if half_blocks {
        CellSize {
            width: 1,
            height: 2,
        }
    } else {
        cell
    };
    let fitted = cell.fit(picture.width(), picture.height(), cols, rows);
    let pixels = encode::resize(&picture, fitted);
    let tmux = detected.tmux;
    let output = match detected.graphics {
        Graphics::Sixel => encode::for_tmux(&encode::sixel(&pixels), tmux && !detected.tmux_sixel),
        Graphics::Kitty => {
            let id = encode::fresh_kitty_id();
            let cells = Some((fitted.cols, fitted.rows));
            encode::kitty_transmit(&encode::png(&pixels), id, cells, tmux)
        }
        Graphics::Iterm2 => encode::iterm2(&encode::png(&pixels), fitted.cols, fitted.rows, tmux),
        Graphics::Halfblocks | Graphics::Off => halfblocks(&pixels, fitted),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(output.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| anyhow::anyhow!("cannot write the image: {e}"))?;
    Ok(())
}

/// The image a generation id (`ID` or `ID:N`) names, or the file given.
fn resolve(context: &Context, target: &str) -> Result<PathBuf, CliError> {
    let file = PathBuf::from(target);
    if file.exists() {
        return Ok(file);
    }
    let (id, nth) = match target.split_once(':') {
        Some((id, nth)) => (id, nth.parse::<usize>().ok()),
        None => (target, Some(1)),
    };
    let (Ok(id), Some(nth)) = (id.parse::<i64>(), nth.filter(|n| *n > 0)) else {
        return Err(CliError::Invalid(format!(
            "{target}: no such file, and not a generation id (ID or ID:N, from `tintype history`)"
        )));
    };
    let images = context.store()?.images_of_request(RequestId(id))?;
    let count = images.len();
    let image = images.into_iter().nth(nth - 1).ok_or_else(|| {
        CliError::Invalid(if count == 0 {
            format!("generation {id} has no images (see `tintype history`)")
        } else {
            format!("generation {id} has {count} image(s); there is no image {nth}")
        })
    })?;
    Ok(image.path)
}

fn default_cells() -> (u16, u16) {
    let (cols, rows) = ratatui::crossterm::terminal::size().unwrap_or((80, 24));
    (cols.clamp(1, 80), rows.saturating_sub(2).max(1))
}

/// Two pixels per cell, upper half in the foreground colour of `▀` and lower
/// half in the background, 24-bit colour.
fn halfblocks(pixels: &RgbImage, fitted: Fitted) -> String {
    let mut out = String::new();
    for row in 0..fitted.height.div_ceil(2) {
        if row > 0 {
            out.push_str("\x1b[0m\n");
        }
        for x in 0..fitted.width {
            let top = pixels.get_pixel(x, row * 2).0;
            let bottom = pixels
                .get_pixel_checked(x, row * 2 + 1)
                .map_or(top, |p| p.0);
            let _ = write!(
                out,
                "\x1b[38;2;{};{};{};48;2;{};{};{}m▀",
                top[0], top[1], top[2], bottom[0], bottom[1], bottom[2]
            );
        }
    }
    out.push_str("\x1b[0m");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_width_by_height() {
        assert_eq!(parse_cells("40x20"), Ok((40, 20)));
        assert_eq!(parse_cells("14X7"), Ok((14, 7)));
        assert!(parse_cells("40").is_err());
        assert!(parse_cells("0x20").is_err());
        assert!(parse_cells("axb").is_err());
    }

    #[test]
    fn halfblocks_put_two_pixel_rows_in_each_line() {
        let pixels = RgbImage::from_fn(3, 4, |_, y| image::Rgb([y as u8 * 60, 0, 0]));
        let fitted = Fitted {
            width: 3,
            height: 4,
            cols: 3,
            rows: 2,
        };
        let text = halfblocks(&pixels, fitted);
        assert_eq!(text.lines().count(), 2);
        assert_eq!(text.matches('▀').count(), 6);
        assert!(text.starts_with("\x1b[38;2;0;0;0;48;2;60;0;0m▀"));
    }
}
