//! Terminal image encoders for the protocols where bytes matter most over
//! SSH: sixel (a 128-colour palette, no dithering, empty runs trimmed) and
//! kitty (PNG, transmitted once and placed by id). Both the studio and
//! `tintype show` use them, so the benchmark measures what the studio sends.

use std::fmt::Write as _;

use base64::Engine as _;
use image::imageops::FilterType;
use image::{DynamicImage, RgbImage};
use quantette::{ImageBuf, PaletteSize, Pipeline};

/// Colours in a sixel palette. On the benchmark image (BENCHMARKS.md) 128
/// Wu colours in Oklab without dithering show it at 28.9 dB PSNR in 80% of
/// chafa's bytes (chafa: 30.0 dB); 192 would match chafa's fidelity at 97%
/// of its bytes. Over SSH the bytes win: 29 dB is a faithful preview.
/// Dithering noise defeats run-length coding: 40% more bytes.
const SIXEL_COLOURS: u16 = 128;

/// Base64 characters per kitty graphics chunk (the protocol's limit).
const KITTY_CHUNK: usize = 4096;

/// Pixels of one terminal cell, and how a picture of `width` x `height`
/// pixels fits into a box of cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellSize {
    pub width: u16,
    pub height: u16,
}

impl CellSize {
    /// The picture's pixel size scaled to fit `cols` x `rows` cells (up or
    /// down, keeping the aspect ratio), and the cells it then covers.
    pub fn fit(self, width: u32, height: u32, cols: u16, rows: u16) -> Fitted {
        let box_w = u32::from(cols.max(1)) * u32::from(self.width.max(1));
        let box_h = u32::from(rows.max(1)) * u32::from(self.height.max(1));
        let (w, h) = (width.max(1), height.max(1));
        // Compare w/h against box_w/box_h without floats.
        let (pw, ph) = if u64::from(w) * u64::from(box_h) >= u64::from(h) * u64::from(box_w) {
            (
                box_w,
                (u64::from(h) * u64::from(box_w) / u64::from(w)).max(1) as u32,
            )
        } else {
            (
                (u64::from(w) * u64::from(box_h) / u64::from(h)).max(1) as u32,
                box_h,
            )
        };
        Fitted {
            width: pw,
            height: ph,
            cols: pw.div_ceil(u32::from(self.width.max(1))) as u16,
            rows: ph.div_ceil(u32::from(self.height.max(1))) as u16,
        }
    }
}

/// A picture's size once fitted: pixels, and the cells they cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fitted {
    pub width: u32,
    pub height: u32,
    pub cols: u16,
    pub rows: u16,
}

/// `image` resized to `fitted` (a no-op when it already is that size).
pub fn resize(image: &DynamicImage, fitted: Fitted) -> RgbImage {
    if image.width() == fitted.width && image.height() == fitted.height {
        return image.to_rgb8();
    }
    image
        .resize_exact(fitted.width, fitted.height, FilterType::Triangle)
        .to_rgb8()
}

/// A sixel image (DCS … ST) of `pixels`, with square pixels declared so
/// terminals and tmux keep the size.
pub fn sixel(pixels: &RgbImage) -> String {
    let (width, height) = (pixels.width() as usize, pixels.height() as usize);
    let Ok(buffer) = ImageBuf::try_from(pixels.clone()) else {
        return String::new();
    };
    let palette_size = PaletteSize::try_from(SIXEL_COLOURS).unwrap_or(PaletteSize::MAX);
    let indexed = Pipeline::new()
        .palette_size(palette_size)
        .ditherer(None)
        .input_image(buffer.as_ref())
        .output_srgb8_indexed_image();
    let palette = indexed.palette();
    let indices = indexed.indices();

    let mut out = String::with_capacity(width * height / 2);
    let _ = write!(out, "\x1bP0;1;0q\"1;1;{width};{height}");
    for (i, colour) in palette.iter().enumerate() {
        // Sixel colours are percentages.
        let pct = |v: u8| (u32::from(v) * 100 + 127) / 255;
        let _ = write!(
            out,
            "#{i};2;{};{};{}",
            pct(colour.red),
            pct(colour.green),
            pct(colour.blue)
        );
    }
    let colours = palette.len();
    // For one band of six rows: each colour's sixel bits per column.
    let mut bits = vec![0u8; colours * width];
    let mut used = vec![false; colours];
    for top in (0..height).step_by(6) {
        for (colour, was_used) in used.iter_mut().enumerate() {
            if *was_used {
                bits[colour * width..(colour + 1) * width].fill(0);
                *was_used = false;
            }
        }
        for y in top..(top + 6).min(height) {
            let bit = 1u8 << (y - top);
            for (x, &colour) in indices[y * width..(y + 1) * width].iter().enumerate() {
                let colour = usize::from(colour);
                bits[colour * width + x] |= bit;
                used[colour] = true;
            }
        }
        let mut first = true;
        for colour in (0..colours).filter(|&c| used[c]) {
            let row = &bits[colour * width..(colour + 1) * width];
            // Nothing after a colour's last pixel in the band needs sending.
            let end = row.iter().rposition(|&b| b != 0).map_or(0, |e| e + 1);
            if !first {
                out.push('$');
            }
            first = false;
            let _ = write!(out, "#{colour}");
            run_length(&mut out, &row[..end]);
        }
        out.push('-');
    }
    out.push_str("\x1b\\");
    out
}

fn run_length(out: &mut String, row: &[u8]) {
    let mut x = 0;
    while x < row.len() {
        let value = row[x];
        let run = row[x..].iter().take_while(|&&b| b == value).count();
        let ch = char::from(63 + value);
        if run > 3 {
            let _ = write!(out, "!{run}{ch}");
        } else {
            (0..run).for_each(|_| out.push(ch));
        }
        x += run;
    }
}

/// `pixels` as a PNG: kitty and iTerm2 take it as is, and it is a third of
/// the raw RGBA other encoders send. The fast (fdeflate) setting is both
/// quicker and, on the benchmark image, smaller than zlib's default.
pub fn png(pixels: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut bytes,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Adaptive,
    );
    let _ = image::ImageEncoder::write_image(
        encoder,
        pixels.as_raw(),
        pixels.width(),
        pixels.height(),
        image::ExtendedColorType::Rgb8,
    );
    bytes
}

/// Kitty graphics commands that store `png` in the terminal as image `id`
/// without showing it (`a=t`), or show it at the cursor (`a=T`) when
/// `display` names the cells to fill; quiet (`q=2`) so no answer lands in
/// the keyboard input.
pub fn kitty_transmit(png: &[u8], id: u32, display: Option<(u16, u16)>, tmux: bool) -> String {
    let first = match display {
        Some((cols, rows)) => format!("a=T,f=100,i={id},c={cols},r={rows},q=2"),
        None => format!("a=t,f=100,i={id},q=2"),
    };
    chunked(png, &first, tmux)
}

/// Kitty graphics commands that store `png` as image `id` with a virtual
/// placement over `cols` x `rows` cells (`U=1`), shown wherever unicode
/// placeholder cells of that id are: how kitty images work inside tmux.
pub fn kitty_transmit_virtual(png: &[u8], id: u32, (cols, rows): (u16, u16), tmux: bool) -> String {
    chunked(
        png,
        &format!("a=T,U=1,f=100,i={id},c={cols},r={rows},q=2"),
        tmux,
    )
}

/// `png` in base64 chunks of kitty's maximum, `first` holding the first
/// command's keys; each chunk wrapped for tmux on its own, as tmux limits
/// a passthrough sequence's length.
fn chunked(png: &[u8], first: &str, tmux: bool) -> String {
    let data = base64::engine::general_purpose::STANDARD.encode(png);
    let chunks: Vec<&str> = data
        .as_bytes()
        .chunks(KITTY_CHUNK)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    let mut out = String::with_capacity(data.len() + chunks.len() * 32);
    for (i, chunk) in chunks.iter().enumerate() {
        let more = u8::from(i + 1 < chunks.len());
        let command = if i == 0 {
            format!("\x1b_G{first},m={more};{chunk}\x1b\\")
        } else {
            format!("\x1b_Gm={more};{chunk}\x1b\\")
        };
        out.push_str(&for_tmux(&command, tmux));
    }
    out
}

/// A kitty image id to start from. Ids are shared by everything in the
/// terminal window: start somewhere another program is unlikely to be.
pub fn fresh_kitty_id() -> u32 {
    fastrand::u32(1 << 20..1 << 24)
}

/// Shows stored kitty image `id` at the cursor over `cols` x `rows` cells,
/// beneath any text and coloured background (so overlays hide it), leaving
/// the cursor where it was. One placement per image: placing again moves it.
pub fn kitty_place(id: u32, cols: u16, rows: u16, tmux: bool) -> String {
    for_tmux(
        &format!("\x1b_Ga=p,i={id},p=1,c={cols},r={rows},C=1,z=-1073741825,q=2\x1b\\"),
        tmux,
    )
}

/// Removes image `id`'s placement from the screen; `free` also drops its
/// data from the terminal's memory.
pub fn kitty_delete(id: u32, free: bool, tmux: bool) -> String {
    let what = if free { 'I' } else { 'i' };
    for_tmux(&format!("\x1b_Ga=d,d={what},i={id},q=2\x1b\\"), tmux)
}

/// An iTerm2 inline image of `png` over `cols` x `rows` cells.
pub fn iterm2(png: &[u8], cols: u16, rows: u16, tmux: bool) -> String {
    let data = base64::engine::general_purpose::STANDARD.encode(png);
    for_tmux(
        &format!(
            "\x1b]1337;File=inline=1;size={};width={cols};height={rows};preserveAspectRatio=1:{data}\x07",
            png.len()
        ),
        tmux,
    )
}

/// Wraps an escape sequence in tmux's passthrough (its own escapes doubled)
/// so tmux hands it to the outer terminal.
pub fn for_tmux(sequence: &str, tmux: bool) -> String {
    if tmux {
        format!("\x1bPtmux;{}\x1b\\", sequence.replace('\x1b', "\x1b\x1b"))
    } else {
        sequence.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128])
        })
    }

    #[test]
    fn fitting_keeps_the_aspect_ratio_and_counts_the_cells_covered() {
        let cell = CellSize {
            width: 10,
            height: 20,
        };
        let square = cell.fit(1024, 1024, 40, 20);
        assert_eq!(
            (square.width, square.height, square.cols, square.rows),
            (400, 400, 40, 20)
        );
        let wide = cell.fit(1536, 1024, 40, 20);
        assert_eq!(
            (wide.width, wide.height, wide.cols, wide.rows),
            (400, 266, 40, 14)
        );
        let tall = cell.fit(100, 1000, 40, 20);
        assert_eq!(
            (tall.width, tall.height, tall.cols, tall.rows),
            (40, 400, 4, 20)
        );
    }

    #[test]
    fn sixel_bands_hold_every_row_and_skip_empty_tails() {
        let data = sixel(&gradient(64, 13));
        assert!(data.starts_with("\x1bP0;1;0q\"1;1;64;13#0;2;"));
        assert!(data.ends_with("-\x1b\\"));
        // 13 rows make three bands of six.
        assert_eq!(data.matches('-').count(), 3);
        // No colour row ends in an empty sixel run.
        assert!(!data.contains("?$") && !data.contains("?-"));
        let colours = data.matches(";2;").count();
        assert!(colours > 1 && colours <= usize::from(SIXEL_COLOURS));
    }

    #[test]
    fn a_one_colour_image_is_a_few_run_length_codes() {
        let flat = RgbImage::from_pixel(300, 12, image::Rgb([200, 10, 10]));
        let data = sixel(&flat);
        // Two full bands of one colour: `#0!300~` each.
        assert_eq!(data.matches("#0!300~").count(), 2, "{data}");
        assert!(data.len() < 80);
    }

    #[test]
    fn kitty_sends_png_in_quiet_chunks_and_places_by_id() {
        let noise = RgbImage::from_fn(200, 200, |x, y| {
            let v = (x * 7919 + y * 104_729) % 251;
            image::Rgb([v as u8, (v * 3 % 256) as u8, (v * 7 % 256) as u8])
        });
        let png = png(&noise);
        assert_eq!(&png[1..4], b"PNG");
        let sent = kitty_transmit(&png, 7, None, false);
        assert!(sent.starts_with("\x1b_Ga=t,f=100,i=7,q=2,m="));
        let chunks = sent.matches("\x1b_G").count();
        assert_eq!(chunks, (png.len().div_ceil(3) * 4).div_ceil(KITTY_CHUNK));
        assert!(chunks > 1);
        assert_eq!(sent.matches("m=1;").count(), chunks - 1);
        assert_eq!(sent.matches("m=0;").count(), 1);
        assert_eq!(
            kitty_place(7, 14, 7, false),
            "\x1b_Ga=p,i=7,p=1,c=14,r=7,C=1,z=-1073741825,q=2\x1b\\"
        );
        let wrapped = kitty_place(7, 14, 7, true);
        assert!(wrapped.starts_with("\x1bPtmux;\x1b\x1b_Ga=p"));
        assert!(wrapped.ends_with("\x1b\x1b\\\x1b\\"));
    }
}
