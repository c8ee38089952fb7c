//! Bitmap text and the "not AI" placeholder band stamped on sandbox images.

use font8x8::legacy::BASIC_LEGACY;
use image::{Rgba, RgbaImage};

/// Colour of the headline; the band darkens everything beneath it, so this
/// pure white can only come from the label itself.
pub const TEXT_COLOR: Rgba<u8> = Rgba([255, 255, 255, 255]);
/// The full headline; narrower images fall back to shorter forms of it.
pub const HEADLINE: &str = "SANDBOX PLACEHOLDER - NOT AI";

const HEADLINES: [&str; 3] = [HEADLINE, "SANDBOX - NOT AI", "SANDBOX"];
const DETAIL_COLOR: Rgba<u8> = Rgba([214, 214, 220, 255]);
const BAND_RGB: [u8; 3] = [10, 10, 16];
const BAND_ALPHA: u8 = 170;
/// Re-labelling uses an opaque band: even at 94% opacity the old label's
/// white text (with a now wrong seed and caption) ghosts through.
const RELABEL_BAND_ALPHA: u8 = 255;
/// An amber rule on the band's top edge so the label reads as an overlay
/// rather than part of the picture.
const ACCENT_RGB: [u8; 3] = [255, 176, 32];
/// Below this width even "SANDBOX" at 1x would be cramped, so no label.
const MIN_LABEL_WIDTH: u32 = 64;
/// One font scale step per this many pixels of width (1024 px -> 2x).
const WIDTH_PER_SCALE: u32 = 384;
const MAX_SCALE: u32 = 8;

/// Width in pixels of `text` drawn at `scale` (every char is one 8px cell).
pub fn text_width(text: &str, scale: u32) -> u32 {
    let chars = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
    chars.saturating_mul(8).saturating_mul(scale)
}

/// Draws `text` with its top-left corner at (`x`, `y`), each font pixel
/// becoming a `scale` x `scale` square; anything past the edges is clipped.
pub fn draw_text(img: &mut RgbaImage, x: u32, y: u32, scale: u32, text: &str, color: Rgba<u8>) {
    let cell = 8 * u64::from(scale);
    for (i, ch) in text.chars().enumerate() {
        let left = u64::from(x) + i as u64 * cell;
        if left >= u64::from(img.width()) {
            break;
        }
        for (row, bits) in glyph(ch).iter().enumerate() {
            for col in 0..8u64 {
                // font8x8 stores the leftmost pixel in the lowest bit.
                if bits >> col & 1 == 1 {
                    let px = left + col * u64::from(scale);
                    let py = u64::from(y) + row as u64 * u64::from(scale);
                    fill_square(img, px, py, scale, color);
                }
            }
        }
    }
}

/// Stamps the translucent band with the headline and, when there is room, a
/// second line of `seed <seed> - <caption>` (caption shortened with "...").
/// Returns the band's top row, or `None` when the image is too small to label.
pub fn draw_placeholder_label(
    img: &mut RgbaImage,
    seed: Option<u64>,
    caption: &str,
) -> Option<u32> {
    stamp(img, seed, caption, BAND_ALPHA)
}

/// [`draw_placeholder_label`] for images derived from a labelled one: the
/// band is opaque so the previous label does not show through.
pub fn redraw_placeholder_label(
    img: &mut RgbaImage,
    seed: Option<u64>,
    caption: &str,
) -> Option<u32> {
    stamp(img, seed, caption, RELABEL_BAND_ALPHA)
}

fn stamp(img: &mut RgbaImage, seed: Option<u64>, caption: &str, band_alpha: u8) -> Option<u32> {
    let layout = Layout::new(img.width(), img.height(), seed, caption)?;
    let accent_end = layout.band_top + layout.accent;
    for y in layout.band_top..img.height() {
        let (rgb, alpha) = if y < accent_end {
            (ACCENT_RGB, 255)
        } else {
            (BAND_RGB, band_alpha)
        };
        for x in 0..img.width() {
            blend_over(img.get_pixel_mut(x, y), rgb, alpha);
        }
    }
    let line_step = 10 * layout.scale;
    let first_y = accent_end + layout.pad;
    draw_text(
        img,
        layout.pad,
        first_y,
        layout.scale,
        layout.headline,
        TEXT_COLOR,
    );
    if let Some(detail) = &layout.detail {
        let y = first_y + line_step;
        draw_text(img, layout.pad, y, layout.scale, detail, DETAIL_COLOR);
    }
    Some(layout.band_top)
}

/// Where [`draw_placeholder_label`] would put the band's top row, without drawing.
pub fn placeholder_band_top(
    width: u32,
    height: u32,
    seed: Option<u64>,
    caption: &str,
) -> Option<u32> {
    Layout::new(width, height, seed, caption).map(|layout| layout.band_top)
}

/// Source-over compositing of an `rgb` colour at `alpha` onto `dst`, correct
/// for translucent destinations too (edits may start from cut-outs).
pub(crate) fn blend_over(dst: &mut Rgba<u8>, rgb: [u8; 3], alpha: u8) {
    let sa = u32::from(alpha);
    let da = u32::from(dst[3]);
    let out_a = sa * 255 + da * (255 - sa);
    if out_a == 0 {
        *dst = Rgba([0, 0, 0, 0]);
        return;
    }
    for (channel, src) in dst.0.iter_mut().zip(rgb) {
        let mixed = u32::from(src) * sa * 255 + u32::from(*channel) * da * (255 - sa);
        *channel = u8::try_from((mixed + out_a / 2) / out_a).unwrap_or(u8::MAX);
    }
    dst[3] = u8::try_from((out_a + 127) / 255).unwrap_or(u8::MAX);
}

struct Layout {
    scale: u32,
    pad: u32,
    accent: u32,
    band_top: u32,
    headline: &'static str,
    detail: Option<String>,
}

impl Layout {
    fn new(width: u32, height: u32, seed: Option<u64>, caption: &str) -> Option<Self> {
        if width < MIN_LABEL_WIDTH {
            return None;
        }
        let target = (width / WIDTH_PER_SCALE).clamp(1, MAX_SCALE);
        let (headline, scale) = pick_headline(width, target)?;
        let pad = 2 * scale;
        let accent = scale.div_ceil(2);
        let one_line = accent + 2 * pad + 8 * scale;
        if one_line > height {
            return None;
        }
        let two_lines = one_line + 10 * scale;
        let detail = if two_lines <= height / 2 {
            let columns = (width - 2 * pad) / (8 * scale);
            detail_line(seed, caption, columns as usize)
        } else {
            None
        };
        let band = if detail.is_some() {
            two_lines
        } else {
            one_line
        };
        Some(Self {
            scale,
            pad,
            accent,
            band_top: height - band,
            headline,
            detail,
        })
    }
}

/// The longest headline that fits, preferring the full text at a smaller
/// scale over a shorter text at a larger one.
fn pick_headline(width: u32, target: u32) -> Option<(&'static str, u32)> {
    HEADLINES.iter().find_map(|&text| {
        (1..=target)
            .rev()
            .find(|&scale| text_width(text, scale) + 4 * scale <= width)
            .map(|scale| (text, scale))
    })
}

fn detail_line(seed: Option<u64>, caption: &str, columns: usize) -> Option<String> {
    let caption = sanitize(caption);
    let mut line = match seed {
        Some(seed) => format!("seed {seed}"),
        None => String::new(),
    };
    if line.len() > columns {
        return None;
    }
    let separator = if line.is_empty() { "" } else { " - " };
    let room = columns - line.len();
    if !caption.is_empty() && room >= separator.len() + 4 {
        let room = room - separator.len();
        line.push_str(separator);
        if caption.len() <= room {
            line.push_str(&caption);
        } else {
            // `sanitize` leaves only ASCII, so byte slicing is char slicing.
            line.push_str(caption[..room - 3].trim_end());
            line.push_str("...");
        }
    }
    (!line.is_empty()).then_some(line)
}

/// One line of printable ASCII: whitespace runs collapse to a space and
/// anything the font cannot show becomes '?'.
fn sanitize(text: &str) -> String {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|word| {
            word.chars()
                .map(|c| if c.is_ascii_graphic() { c } else { '?' })
                .collect()
        })
        .collect();
    words.join(" ")
}

fn glyph(ch: char) -> [u8; 8] {
    let shown = match ch {
        c if c.is_ascii_graphic() => c,
        c if c.is_whitespace() => ' ',
        _ => '?',
    };
    BASIC_LEGACY[shown as usize]
}

fn fill_square(img: &mut RgbaImage, x: u64, y: u64, size: u32, color: Rgba<u8>) {
    let x_end = (x + u64::from(size)).min(u64::from(img.width()));
    let y_end = (y + u64::from(size)).min(u64::from(img.height()));
    let rgb = [color[0], color[1], color[2]];
    for py in y..y_end {
        for px in x..x_end {
            // Both coordinates are below the image's u32 dimensions here.
            let pixel = img.get_pixel_mut(px as u32, py as u32);
            blend_over(pixel, rgb, color[3]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_color(img: &RgbaImage, rows: std::ops::Range<u32>, color: Rgba<u8>) -> usize {
        img.enumerate_pixels()
            .filter(|(_, y, p)| rows.contains(y) && **p == color)
            .count()
    }

    #[test]
    fn text_width_is_eight_pixels_per_char_per_scale() {
        assert_eq!(text_width("", 3), 0);
        assert_eq!(text_width("abc", 1), 24);
        assert_eq!(text_width("abc", 2), 48);
        assert_eq!(text_width("é?", 1), 16);
    }

    #[test]
    fn draw_text_matches_font_bitmap() {
        let mut img = RgbaImage::new(16, 16);
        draw_text(&mut img, 0, 0, 2, "H", TEXT_COLOR);
        let bitmap = BASIC_LEGACY['H' as usize];
        for (x, y, px) in img.enumerate_pixels() {
            let lit = bitmap[(y / 2) as usize] >> (x / 2) & 1 == 1;
            assert_eq!(*px == TEXT_COLOR, lit, "pixel ({x}, {y})");
        }
    }

    #[test]
    fn non_ascii_draws_as_question_mark() {
        let mut accented = RgbaImage::new(8, 8);
        let mut question = RgbaImage::new(8, 8);
        draw_text(&mut accented, 0, 0, 1, "é", TEXT_COLOR);
        draw_text(&mut question, 0, 0, 1, "?", TEXT_COLOR);
        assert_eq!(accented, question);
        assert!(question.pixels().any(|p| *p == TEXT_COLOR));
    }

    #[test]
    fn draw_text_clips_at_edges() {
        let mut img = RgbaImage::new(20, 20);
        draw_text(&mut img, 17, 17, 3, "WWWW", TEXT_COLOR);
        draw_text(&mut img, 19, 0, 9, "M", TEXT_COLOR);
        draw_text(&mut img, u32::MAX, u32::MAX, u32::MAX, "X", TEXT_COLOR);
        draw_text(&mut img, 0, 0, 0, "zero scale", TEXT_COLOR);
        assert_eq!(img.dimensions(), (20, 20));
        assert!(img.get_pixel(19, 19)[3] > 0 || img.get_pixel(19, 0)[3] > 0);
    }

    #[test]
    fn label_band_holds_headline_at_128_px() {
        let mut img = RgbaImage::from_pixel(128, 128, Rgba([200, 40, 40, 255]));
        let top = draw_placeholder_label(&mut img, Some(42), "a red test").expect("label fits");
        assert!(count_color(&img, top..128, TEXT_COLOR) > 50);
        assert_eq!(count_color(&img, 0..top, TEXT_COLOR), 0);
        assert_eq!(*img.get_pixel(5, top - 1), Rgba([200, 40, 40, 255]));
        let layout = Layout::new(128, 128, Some(42), "a red test").expect("label fits");
        assert!(layout.headline.starts_with("SANDBOX"));
        assert_eq!(layout.detail.as_deref(), Some("seed 42 - a..."));
    }

    #[test]
    fn wide_images_get_full_headline_and_truncated_prompt() {
        let prompt = "a very long prompt ".repeat(40);
        let layout = Layout::new(1024, 1024, Some(7), &prompt).expect("label fits");
        assert_eq!((layout.headline, layout.scale), (HEADLINE, 2));
        let detail = layout.detail.expect("two lines fit");
        assert!(detail.starts_with("seed 7 - a very long prompt"));
        assert!(detail.ends_with("..."));
        assert!(text_width(&detail, 2) + 2 * layout.pad <= 1024);
    }

    #[test]
    fn redraw_hides_the_previous_label() {
        let white = RgbaImage::from_pixel(128, 64, Rgba([255, 255, 255, 255]));
        let max_band_glow = |redraw: bool| {
            let mut img = white.clone();
            let top = if redraw {
                redraw_placeholder_label(&mut img, Some(1), "new")
            } else {
                draw_placeholder_label(&mut img, Some(1), "new")
            };
            let below_rule = top.expect("label fits") + 1;
            let band = img.enumerate_pixels().filter(|(_, y, _)| *y > below_rule);
            band.filter(|(_, _, p)| **p != TEXT_COLOR && **p != DETAIL_COLOR)
                .map(|(_, _, p)| p[0])
                .max()
        };
        assert!(max_band_glow(true).expect("band pixels") < 40);
        assert!(max_band_glow(false).expect("band pixels") > 60);
    }

    #[test]
    fn tiny_images_are_left_unlabelled() {
        let mut img = RgbaImage::new(32, 32);
        assert_eq!(draw_placeholder_label(&mut img, Some(1), "x"), None);
        assert!(img.pixels().all(|p| p.0 == [0, 0, 0, 0]));
        assert_eq!(placeholder_band_top(4096, 4, Some(1), "x"), None);
    }

    #[test]
    fn blend_over_opaque_and_transparent() {
        let mut px = Rgba([0, 0, 0, 0]);
        blend_over(&mut px, [10, 20, 30], 128);
        assert_eq!(px, Rgba([10, 20, 30, 128]));
        let mut px = Rgba([200, 200, 200, 255]);
        blend_over(&mut px, [0, 0, 0], 255);
        assert_eq!(px, Rgba([0, 0, 0, 255]));
    }
}
