//! Contact sheets: many images fitted into one captioned PNG grid.

use std::path::{Path, PathBuf};

use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageReader, Rgba, RgbaImage};

use crate::engine::output::write_atomically;
use crate::providers::sandbox::label::{draw_text, text_width};

/// One image on the sheet and the text shown under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetItem {
    pub path: PathBuf,
    pub caption: String,
}

/// How the grid is laid out. Out-of-range values are clamped, not rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetLayout {
    /// Most images per row; a sheet of fewer images is narrower.
    pub columns: u32,
    /// Side in pixels of the square box each image is fitted into.
    pub cell: u32,
    /// Caption lines under each image; longer captions end in "...".
    pub caption_lines: u32,
}

impl Default for SheetLayout {
    fn default() -> Self {
        Self {
            columns: 4,
            cell: 256,
            caption_lines: 2,
        }
    }
}

/// What was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactSheet {
    pub path: PathBuf,
    pub width: u32,
    pub height: u32,
    /// Images drawn on the sheet.
    pub images: usize,
    /// Cells that say "unreadable" because the file could not be decoded.
    pub unreadable: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("none of the images could be read, so there is no contact sheet")]
    NoImages,
    #[error(
        "a contact sheet of {width}x{height} pixels is too large; use fewer images or smaller cells"
    )]
    TooLarge { width: u64, height: u64 },
    #[error("cannot encode the contact sheet: {0}")]
    Encode(String),
    #[error("cannot write the contact sheet {}: {message}", path.display())]
    Write { path: PathBuf, message: String },
}

/// Gap between cells and around the sheet's edge.
const GUTTER: u32 = 12;
const BACKGROUND: Rgba<u8> = Rgba([18, 18, 22, 255]);
/// A shade lighter than the background so letterboxed images show their cell.
const BOX: Rgba<u8> = Rgba([32, 32, 38, 255]);
const CAPTION_COLOR: Rgba<u8> = Rgba([222, 222, 228, 255]);
const UNREADABLE_COLOR: Rgba<u8> = Rgba([150, 150, 160, 255]);
/// Below this an 8px glyph barely fits; above it one cell alone is a poster.
const MIN_CELL: u32 = 32;
const MAX_CELL: u32 = 4096;
/// Cells this wide get 2x text: at 1x a caption would look like dust.
const SCALE_2X_FROM: u32 = 384;
/// Keeps the canvas (4 bytes a pixel) and the PNG encoder's buffers to a few
/// hundred megabytes even when a whole gallery is exported.
const MAX_PIXELS: u64 = 48_000_000;
const MAX_SIDE: u64 = 32_768;

/// Pixel geometry shared by drawing and by the size check.
#[derive(Clone, Copy, Debug)]
struct Geometry {
    columns: u32,
    cell: u32,
    scale: u32,
    caption_lines: u32,
    /// From the top of one cell's image box to the top of the next row's.
    row_height: u32,
    width: u32,
    height: u32,
}

impl Geometry {
    fn new(count: usize, layout: &SheetLayout) -> Result<Self, SheetError> {
        let count = u32::try_from(count).unwrap_or(u32::MAX).max(1);
        let columns = layout.columns.clamp(1, count);
        let rows = count.div_ceil(columns);
        let cell = layout.cell.clamp(MIN_CELL, MAX_CELL);
        let scale = if cell >= SCALE_2X_FROM { 2 } else { 1 };
        let caption_lines = layout.caption_lines.min(cell / (10 * scale));
        let caption_block = if caption_lines == 0 {
            0
        } else {
            4 * scale + caption_lines * 10 * scale
        };
        let row_height = cell + caption_block;
        let width = u64::from(columns) * u64::from(cell + GUTTER) + u64::from(GUTTER);
        let height = u64::from(rows) * u64::from(row_height + GUTTER) + u64::from(GUTTER);
        if width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS {
            return Err(SheetError::TooLarge { width, height });
        }
        Ok(Self {
            columns,
            cell,
            scale,
            caption_lines,
            row_height,
            // Both are at most MAX_SIDE here.
            width: width as u32,
            height: height as u32,
        })
    }

    /// Top-left corner of the `index`th image box.
    fn origin(&self, index: usize) -> (u32, u32) {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        let (col, row) = (index % self.columns, index / self.columns);
        (
            GUTTER + col * (self.cell + GUTTER),
            GUTTER + row * (self.row_height + GUTTER),
        )
    }
}

/// A sheet drawn and encoded but not yet written anywhere.
pub(crate) struct RenderedSheet {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub images: usize,
    pub unreadable: usize,
}

/// One PNG grid: each image fitted (aspect kept, centred) into a cell×cell
/// box on a dark background with its caption (control characters stripped)
/// under it in up to `caption_lines` lines of the 8x8 font. Files that cannot
/// be decoded get a cell saying "unreadable"; only when none can be decoded
/// is that [`SheetError::NoImages`]. Writes `out` atomically and never
/// replaces an existing file.
pub fn contact_sheet(
    items: &[SheetItem],
    layout: &SheetLayout,
    out: &Path,
) -> Result<ContactSheet, SheetError> {
    let rendered = render(items, layout)?;
    write_atomically(out, &rendered.png).map_err(|e| SheetError::Write {
        path: out.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(ContactSheet {
        path: out.to_path_buf(),
        width: rendered.width,
        height: rendered.height,
        images: rendered.images,
        unreadable: rendered.unreadable,
    })
}

/// Draws and encodes the sheet; split from writing so that export can choose
/// a free file name after the (slow) drawing is done.
pub(crate) fn render(
    items: &[SheetItem],
    layout: &SheetLayout,
) -> Result<RenderedSheet, SheetError> {
    if items.is_empty() {
        return Err(SheetError::NoImages);
    }
    // Checked before decoding anything: a sheet that cannot be allocated
    // should fail in microseconds, not after a minute of decoding.
    let geometry = Geometry::new(items.len(), layout)?;
    let mut canvas = RgbaImage::from_pixel(geometry.width, geometry.height, BACKGROUND);
    let mut images = 0;
    for (index, item) in items.iter().enumerate() {
        let (x, y) = geometry.origin(index);
        fill(&mut canvas, x, y, geometry.cell, geometry.cell, BOX);
        // Decoded one at a time and dropped at once: a gallery of 4K images
        // must not sit in memory together.
        match decode(&item.path) {
            Some(picture) => {
                let thumb = fit(&picture, geometry.cell);
                let left = x + (geometry.cell - thumb.width()) / 2;
                let top = y + (geometry.cell - thumb.height()) / 2;
                imageops::overlay(&mut canvas, &thumb, i64::from(left), i64::from(top));
                images += 1;
            }
            None => draw_unreadable(&mut canvas, &geometry, x, y),
        }
        draw_caption(&mut canvas, &geometry, x, y, &item.caption);
    }
    if images == 0 {
        return Err(SheetError::NoImages);
    }
    let mut png = Vec::new();
    DynamicImage::ImageRgba8(canvas)
        .into_rgb8()
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| SheetError::Encode(e.to_string()))?;
    Ok(RenderedSheet {
        png,
        width: geometry.width,
        height: geometry.height,
        images,
        unreadable: items.len() - images,
    })
}

fn decode(path: &Path) -> Option<DynamicImage> {
    ImageReader::open(path)
        .ok()?
        .with_guessed_format()
        .ok()?
        .decode()
        .ok()
}

/// Scales `picture` to fill a `cell` square along its longer side.
fn fit(picture: &DynamicImage, cell: u32) -> RgbaImage {
    let (w, h) = (
        u64::from(picture.width().max(1)),
        u64::from(picture.height().max(1)),
    );
    let side = u64::from(cell);
    let (nw, nh) = if w >= h {
        (side, (h * side / w).max(1))
    } else {
        ((w * side / h).max(1), side)
    };
    // Both are at most `cell` here.
    let (nw, nh) = (nw as u32, nh as u32);
    let scaled = if nw < picture.width() {
        // Averages source pixels in one pass: much faster than a filter on
        // multi-megapixel originals, and shrinking hides its blockiness.
        picture.thumbnail_exact(nw, nh)
    } else {
        picture.resize_exact(nw, nh, FilterType::Triangle)
    };
    scaled.into_rgba8()
}

fn fill(canvas: &mut RgbaImage, x: u32, y: u32, w: u32, h: u32, color: Rgba<u8>) {
    for py in y..(y + h).min(canvas.height()) {
        for px in x..(x + w).min(canvas.width()) {
            canvas.put_pixel(px, py, color);
        }
    }
}

fn draw_unreadable(canvas: &mut RgbaImage, geometry: &Geometry, x: u32, y: u32) {
    let columns = (geometry.cell / (8 * geometry.scale)) as usize;
    let Some(label) = wrap("unreadable", columns, 1).pop() else {
        return;
    };
    let left = x + (geometry.cell - text_width(&label, geometry.scale)) / 2;
    let top = y + (geometry.cell - 8 * geometry.scale) / 2;
    draw_text(canvas, left, top, geometry.scale, &label, UNREADABLE_COLOR);
}

fn draw_caption(canvas: &mut RgbaImage, geometry: &Geometry, x: u32, y: u32, caption: &str) {
    let scale = geometry.scale;
    let columns = (geometry.cell / (8 * scale)) as usize;
    let clean = crate::text::strip_controls(caption, true);
    let lines = wrap(&clean, columns, geometry.caption_lines as usize);
    let mut top = y + geometry.cell + 4 * scale;
    for line in lines {
        // `wrap` keeps every line within the cell, so this never underflows
        // and text never spills into the neighbouring cell.
        let left = x + (geometry.cell - text_width(&line, scale)) / 2;
        draw_text(canvas, left, top, scale, &line, CAPTION_COLOR);
        top += 10 * scale;
    }
}

/// Word-wraps `text` into at most `max_lines` lines of at most `columns`
/// characters, breaking words longer than a line; if text is left over, the
/// last line ends in "...".
fn wrap(text: &str, columns: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<Vec<char>> = Vec::new();
    if columns == 0 || max_lines == 0 {
        return Vec::new();
    }
    let mut current: Vec<char> = Vec::new();
    let mut overflow = false;
    'words: for word in text.split_whitespace() {
        let mut word: &[char] = &word.chars().collect::<Vec<_>>();
        while !word.is_empty() {
            let needed = if current.is_empty() {
                word.len()
            } else {
                current.len() + 1 + word.len()
            };
            if needed <= columns {
                if !current.is_empty() {
                    current.push(' ');
                }
                current.extend_from_slice(word);
                break;
            }
            if current.is_empty() {
                current.extend_from_slice(&word[..columns]);
                word = &word[columns..];
            }
            if lines.len() + 1 == max_lines {
                overflow = true;
                break 'words;
            }
            lines.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if overflow && let Some(last) = lines.last_mut() {
        if columns > 3 {
            last.truncate(columns - 3);
            while last.last() == Some(&' ') {
                last.pop();
            }
            last.extend_from_slice(&['.', '.', '.']);
        } else {
            last.truncate(columns);
        }
    }
    lines.into_iter().map(String::from_iter).collect()
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_at_word_boundaries() {
        assert_eq!(
            wrap("a red cat on a roof", 9, 3),
            ["a red cat", "on a roof"]
        );
        assert_eq!(wrap("  spaced \n out  ", 20, 2), ["spaced out"]);
        assert!(wrap("", 10, 2).is_empty());
        assert!(wrap("text", 10, 0).is_empty());
        assert!(wrap("text", 0, 2).is_empty());
    }

    #[test]
    fn breaks_words_longer_than_a_line() {
        assert_eq!(wrap("abcdefghij", 4, 3), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("ab abcdefgh", 4, 3), ["ab", "abcd", "efgh"]);
    }

    #[test]
    fn truncates_with_an_ellipsis() {
        assert_eq!(wrap("one two three four", 8, 1), ["one t..."]);
        assert_eq!(wrap("one two three four", 8, 2), ["one two", "three..."]);
        assert_eq!(wrap("abcdefghijkl", 4, 2), ["abcd", "e..."]);
        assert_eq!(wrap("abcdef", 3, 1), ["abc"]);
        assert_eq!(wrap("unreadable", 4, 1), ["u..."]);
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(wrap("ééééé", 4, 1), ["é..."]);
    }
}
