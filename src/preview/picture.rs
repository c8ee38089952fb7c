//! An encoded preview and how it is drawn. Drawing only copies a ready
//! escape sequence into the frame's first cell and marks the rest of the
//! picture's cells as skipped, so ratatui's diff sends a picture once and
//! never again while it stays put. Kitty pictures send their pixels the first
//! time only and are then placed by id; the terminal is told to forget a
//! placement that left the screen and an image the studio let go.

use std::collections::HashSet;
use std::num::NonZeroU16;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use image::{DynamicImage, RgbImage};
use ratatui::buffer::{Buffer, CellDiffOption};
use ratatui::layout::Rect;
use ratatui::widgets::Widget;
use ratatui_image::Resize;
use ratatui_image::picker::Picker;
use ratatui_image::protocol::Protocol;

use super::detect::{Detected, Graphics};
use super::encode::{self, CellSize};

#[derive(Clone)]
pub enum Picture {
    /// A sixel image, ready to write.
    Sixel(Arc<str>),
    Kitty(Arc<KittyImage>),
    /// Half blocks and iTerm2, through ratatui-image.
    Other(Protocol),
}

/// A PNG the terminal keeps under `id` once sent.
pub struct KittyImage {
    pub id: u32,
    /// The commands that send the PNG, until they are sent: then the
    /// terminal holds the picture and the studio need not.
    transmit: Mutex<Option<String>>,
    /// Inside tmux: unicode placeholder cells (drawn by ratatui-image) that
    /// tmux keeps in its own screen and the outer kitty turns into the
    /// picture; outside, a placement at the cursor.
    placeholders: Option<Protocol>,
}

impl KittyImage {
    /// The command that stores the image in the terminal, the first time
    /// it is asked for; it must reach the terminal before the placement.
    pub fn unsent(&self) -> Option<String> {
        self.transmit.lock().ok()?.take()
    }
}

/// Kitty images dropped by the studio, still to be freed in the terminal.
static KITTY_RELEASED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

impl Drop for KittyImage {
    fn drop(&mut self) {
        let sent = self.transmit.get_mut().map_or(true, |t| t.is_none());
        if sent && let Ok(mut released) = KITTY_RELEASED.lock() {
            released.push(self.id);
        }
    }
}

/// Encodes pictures for one terminal: its protocol and cell size.
pub struct Encoder {
    pub graphics: Graphics,
    pub cell: CellSize,
    pub tmux: bool,
    /// Sixel wrapped for tmux's passthrough: tmux 3.4+ built with sixel
    /// draws sixel itself (and says so in its device attributes), older
    /// tmux only hands it through.
    sixel_passthrough: bool,
    picker: Picker,
    next_kitty_id: AtomicU32,
}

impl Encoder {
    pub fn new(detected: &Detected) -> Encoder {
        Encoder {
            graphics: detected.graphics,
            cell: CellSize {
                width: detected.cell.0,
                height: detected.cell.1,
            },
            tmux: detected.tmux,
            sixel_passthrough: detected.tmux && !detected.tmux_sixel,
            picker: detected.picker(),
            next_kitty_id: AtomicU32::new(encode::fresh_kitty_id()),
        }
    }

    /// The pixels of a box of `cols` x `rows` cells: what a picture is
    /// fitted into, and so half of its thumbnail cache key.
    pub fn box_pixels(&self, cols: u16, rows: u16) -> (u32, u32) {
        (
            u32::from(cols.max(1)) * u32::from(self.cell.width.max(1)),
            u32::from(rows.max(1)) * u32::from(self.cell.height.max(1)),
        )
    }

    /// `image` resized to fit `cols` x `rows` cells.
    pub fn fit(&self, image: &DynamicImage, cols: u16, rows: u16) -> RgbImage {
        encode::resize(
            image,
            self.cell.fit(image.width(), image.height(), cols, rows),
        )
    }

    /// `image` fitted into `cols` x `rows` cells and encoded.
    pub fn encode(&self, image: &DynamicImage, cols: u16, rows: u16) -> Result<Rendered, String> {
        self.encode_fitted(self.fit(image, cols, rows), cols, rows)
    }

    /// Encodes `pixels`, already fitted into `cols` x `rows` cells; the
    /// result's `cols` and `rows` are the cells it covers.
    pub fn encode_fitted(
        &self,
        pixels: RgbImage,
        cols: u16,
        rows: u16,
    ) -> Result<Rendered, String> {
        let covers = |pixels: u32, cell: u16| pixels.div_ceil(u32::from(cell.max(1))) as u16;
        let (drawn_cols, drawn_rows) = (
            covers(pixels.width(), self.cell.width).min(cols.max(1)),
            covers(pixels.height(), self.cell.height).min(rows.max(1)),
        );
        let picture = match self.graphics {
            Graphics::Sixel => Picture::Sixel(
                encode::for_tmux(&encode::sixel(&pixels), self.sixel_passthrough).into(),
            ),
            Graphics::Kitty => {
                let id = self.next_kitty_id.fetch_add(1, Ordering::Relaxed);
                let png = encode::png(&pixels);
                let (transmit, placeholders) = if self.tmux {
                    let placement = (drawn_cols, drawn_rows);
                    (
                        encode::kitty_transmit_virtual(&png, id, placement, true),
                        Some(placeholder_cells(id, placement)?),
                    )
                } else {
                    (encode::kitty_transmit(&png, id, None, false), None)
                };
                Picture::Kitty(Arc::new(KittyImage {
                    id,
                    transmit: Mutex::new(Some(transmit)),
                    placeholders,
                }))
            }
            _ => {
                let area = Rect::new(0, 0, cols.max(1), rows.max(1));
                let protocol = self
                    .picker
                    .new_protocol(
                        DynamicImage::ImageRgb8(pixels),
                        area,
                        Resize::Scale(Some(image::imageops::FilterType::Triangle)),
                    )
                    .map_err(|e| format!("cannot encode the preview: {e}"))?;
                let drawn = protocol.area();
                return Ok(Rendered {
                    picture: Picture::Other(protocol),
                    cols: drawn.width,
                    rows: drawn.height,
                });
            }
        };
        Ok(Rendered {
            picture,
            cols: drawn_cols,
            rows: drawn_rows,
        })
    }
}

/// An encoded preview, ready to draw, and the cells it covers.
#[derive(Clone)]
pub struct Rendered {
    pub picture: Picture,
    pub cols: u16,
    pub rows: u16,
}

impl Rendered {
    /// About how much memory the encoded picture holds.
    pub fn bytes(&self) -> usize {
        match &self.picture {
            Picture::Sixel(data) => data.len(),
            Picture::Kitty(image) => image
                .transmit
                .lock()
                .map_or(0, |t| t.as_ref().map_or(0, String::len)),
            // Half blocks: a styled cell each; iTerm2: the PNG in base64.
            Picture::Other(_) => usize::from(self.cols) * usize::from(self.rows) * 64,
        }
    }
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rendered({}x{})", self.cols, self.rows)
    }
}

/// Back to the picture's first cell, then one on: where the terminal
/// backend believes the cursor is after writing a cell.
const RESTORE: &str = "\x1b8\x1b[C";

/// What the buffer holds under a picture (a private-use character).
const COVERED: &str = "\u{E000}";

/// Draws a rendered preview into the top-left of an area at least its size.
pub struct PictureView<'a>(pub &'a Rendered);

impl Widget for PictureView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let rendered = self.0;
        let rect = Rect::new(area.x, area.y, rendered.cols, rendered.rows);
        if rect.width == 0 || rect.height == 0 || area.intersection(rect) != rect {
            // A picture cut short would spill over its neighbours.
            return;
        }
        let sequence = match &rendered.picture {
            Picture::Other(protocol) => {
                ratatui_image::Image::new(protocol).render(area, buf);
                force_single_width(rect, buf);
                return;
            }
            Picture::Kitty(image) if image.placeholders.is_some() => {
                if let Some(cells) = &image.placeholders {
                    ratatui_image::Image::new(cells).render(area, buf);
                    force_single_width(rect, buf);
                }
                return;
            }
            Picture::Sixel(data) => format!("{}{data}{RESTORE}", blank(rect)),
            // The pixels went ahead of the frame (`KittyImage::unsent`):
            // the cell holds the same placement every frame, so a redraw
            // sends nothing.
            Picture::Kitty(image) => format!(
                "{}{}{RESTORE}",
                blank(rect),
                encode::kitty_place(image.id, rect.width, rect.height, false)
            ),
        };
        for y in rect.top()..rect.bottom() {
            for x in rect.left()..rect.right() {
                if let Some(cell) = buf.cell_mut((x, y)) {
                    // Never drawn while skipped; when the picture goes, no
                    // cell of the next frame equals it, so every one is
                    // rewritten and no pixel of the picture stays behind.
                    cell.reset();
                    cell.set_symbol(COVERED);
                    cell.set_diff_option(CellDiffOption::Skip);
                }
            }
        }
        if let Some(cell) = buf.cell_mut((rect.x, rect.y)) {
            cell.set_symbol(&sequence);
            // The sequence's characters are not cells: without a forced
            // width ratatui's diff takes it for thousands of columns and
            // leaves that many cells after it unwritten.
            cell.set_diff_option(CellDiffOption::ForcedWidth(NonZeroU16::MIN));
        }
    }
}

/// ratatui-image writes escape sequences into cells too: they are one
/// column each, whatever their characters (see `PictureView`).
fn force_single_width(rect: Rect, buf: &mut Buffer) {
    for y in rect.top()..rect.bottom() {
        for x in rect.left()..rect.right() {
            if let Some(cell) = buf.cell_mut((x, y))
                && cell.symbol().contains('\x1b')
            {
                cell.set_diff_option(CellDiffOption::ForcedWidth(NonZeroU16::MIN));
            }
        }
    }
}

/// Placeholder cells for kitty image `id` over `cols` x `rows`, drawn by
/// ratatui-image. It would send its own (raw RGBA) copy of the pixels on its
/// first draw: it is given a one-pixel stand-in, drawn once into a scratch
/// buffer so that copy is spent, and the PNG goes ahead of the frame instead.
fn placeholder_cells(id: u32, (cols, rows): (u16, u16)) -> Result<Protocol, String> {
    let area = Rect::new(0, 0, cols, rows);
    let stand_in = DynamicImage::ImageRgb8(RgbImage::new(1, 1));
    let kitty = ratatui_image::protocol::kitty::Kitty::new(stand_in, area, id, true)
        .map_err(|e| format!("cannot encode the preview: {e}"))?;
    let protocol = Protocol::Kitty(kitty);
    ratatui_image::Image::new(&protocol).render(area, &mut Buffer::empty(area));
    Ok(protocol)
}

/// Saves the cursor and erases the picture's cells to the default
/// background, so no text from the frame before shows through or around the
/// picture; the caller restores the cursor after.
fn blank(rect: Rect) -> String {
    let mut out = String::from("\x1b7\x1b[0m");
    for row in 0..rect.height {
        if row > 0 {
            out.push_str("\x1b[B");
        }
        out.push_str(&format!("\x1b[{}X", rect.width));
    }
    out.push_str("\x1b8\x1b7");
    out
}

/// What the terminal shows of kitty images, kept between frames so
/// placements that left the screen are removed and released images freed.
#[derive(Default)]
pub struct KittyScreen {
    placed: HashSet<u32>,
    tmux: bool,
}

impl KittyScreen {
    pub fn new(tmux: bool) -> KittyScreen {
        KittyScreen {
            placed: HashSet::new(),
            tmux,
        }
    }

    /// The commands to send after a frame whose buffer is `buffer`.
    pub fn after_frame(&mut self, buffer: &Buffer) -> String {
        let tmux = self.tmux;
        let placed: HashSet<u32> = buffer
            .content
            .iter()
            .filter_map(|cell| placed_id(cell.symbol()))
            .collect();
        let mut out = String::new();
        for gone in self.placed.difference(&placed) {
            out.push_str(&encode::kitty_delete(*gone, false, tmux));
        }
        if let Ok(mut released) = KITTY_RELEASED.lock() {
            for id in released.drain(..) {
                out.push_str(&encode::kitty_delete(id, true, tmux));
            }
        }
        self.placed = placed;
        out
    }
}

fn placed_id(symbol: &str) -> Option<u32> {
    if symbol.len() < 16 {
        return None;
    }
    let at = symbol.find("_Ga=p,i=")? + "_Ga=p,i=".len();
    let digits: String = symbol[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoder(graphics: Graphics, tmux: bool, tmux_sixel: bool) -> Encoder {
        Encoder::new(&Detected {
            graphics,
            cell: (10, 20),
            tmux,
            tmux_sixel,
            ssh: false,
            reasons: Vec::new(),
        })
    }

    fn picture() -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(64, 64, |x, y| {
            image::Rgb([x as u8 * 4, y as u8 * 4, 99])
        }))
    }

    fn draw(rendered: &Rendered, area: Rect) -> Buffer {
        let mut buf = Buffer::empty(area);
        PictureView(rendered).render(area, &mut buf);
        buf
    }

    #[test]
    fn a_picture_is_one_column_to_the_diff_so_cells_after_it_are_written() {
        let area = Rect::new(0, 0, 30, 6);
        for graphics in [Graphics::Sixel, Graphics::Kitty] {
            let rendered = encoder(graphics, false, false)
                .encode(&picture(), 8, 4)
                .unwrap();
            // Text beside where the picture is about to go.
            let mut before = Buffer::empty(area);
            before[(20, 0)].set_symbol("…");
            let after = draw(&rendered, area);
            let changed: Vec<(u16, u16)> = before
                .diff(&after)
                .into_iter()
                .map(|(x, y, _)| (x, y))
                .collect();
            assert_eq!(changed, vec![(0, 0), (20, 0)], "{graphics:?}");
            assert!(after.diff(&draw(&rendered, area)).is_empty());
        }
    }

    #[test]
    fn inside_tmux_kitty_sends_png_for_placeholder_cells() {
        let rendered = encoder(Graphics::Kitty, true, false)
            .encode(&picture(), 10, 5)
            .unwrap();
        let Picture::Kitty(image) = &rendered.picture else {
            panic!("not kitty");
        };
        let transmit = image.unsent().unwrap();
        assert!(transmit.starts_with("\x1bPtmux;\x1b\x1b_Ga=T,U=1,f=100,i="));
        assert!(image.unsent().is_none(), "sent once");
        let area = Rect::new(0, 0, 20, 8);
        let first = draw(&rendered, area);
        let cell = &first[(0, 0)];
        assert!(cell.symbol().contains('\u{10EEEE}'), "placeholders");
        assert!(!cell.symbol().contains("f=32"), "no raw RGBA copy");
        assert_eq!(
            cell.diff_option,
            CellDiffOption::ForcedWidth(NonZeroU16::MIN)
        );
        // Drawn again, the same cells: a redraw sends nothing.
        assert!(first.diff(&draw(&rendered, area)).is_empty());
    }

    #[test]
    fn sixel_goes_through_tmux_passthrough_only_when_tmux_cannot_draw_it() {
        let sixel = |tmux, tmux_sixel| {
            let rendered = encoder(Graphics::Sixel, tmux, tmux_sixel)
                .encode(&picture(), 8, 4)
                .unwrap();
            match rendered.picture {
                Picture::Sixel(data) => data.to_string(),
                _ => panic!("not sixel"),
            }
        };
        assert!(sixel(false, false).starts_with("\x1bP0;1;0q"));
        assert!(sixel(true, false).starts_with("\x1bPtmux;\x1b\x1bP0;1;0q"));
        assert!(sixel(true, true).starts_with("\x1bP0;1;0q"));
    }
}
