//! Procedural drawing for the sandbox provider: the public entry points, and
//! painting a `scene::Scene` (palette, shapes, noise, grain) into pixels.
//!
//! Every image is a pure function of its inputs. Randomness comes only from a
//! `fastrand::Rng` seeded with a SHA-256 of the inputs, drawn through `u32`
//! and `f32` (its `usize` draws differ between 32- and 64-bit targets), and
//! the float maths sticks to IEEE-exact operations (no trig, exp or powf).

use image::RgbaImage;
use sha2::{Digest, Sha256};

use super::label;
use super::scene::{LUT_SIZE, Scene, Shape, ShapeKind, lerp_at, mix32, mood};

pub(crate) use super::scene::hue_chroma_rgb;

/// Draws the labelled placeholder for (`prompt`, `seed`) at the exact size.
pub fn render(prompt: &str, seed: u64, width: u32, height: u32) -> RgbaImage {
    let mut img = RgbaImage::new(width, height);
    if width == 0 || height == 0 {
        return img;
    }
    let hash = stable_seed("render/v1", prompt, seed);
    let mut rng = fastrand::Rng::with_seed(hash);
    let scene = Scene::new(&mut rng, mood(prompt));
    paint_background(&mut img, &scene);
    for shape in &scene.shapes {
        paint_shape(&mut img, shape);
    }
    finish(&mut img, &scene);
    label::draw_placeholder_label(&mut img, Some(seed), prompt);
    img
}

/// A pixelated preview of `final_image`: index 0 uses blocks about 1/8 of the
/// longer side, later indices get finer, and the last still uses 2px blocks.
pub fn render_partial(final_image: &RgbaImage, index: u32, total: u32) -> RgbaImage {
    let (width, height) = final_image.dimensions();
    pixelate(
        final_image,
        partial_block_size(width.max(height), index, total),
    )
}

/// A 64-bit seed from SHA-256, which (unlike std's hashers) is stable across
/// Rust versions and platforms. `domain` keeps different uses independent.
pub(crate) fn stable_seed(domain: &str, text: &str, seed: u64) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(b"tintype/sandbox/");
    hasher.update(domain.as_bytes());
    // Length prefix so (domain, text) pairs can never collide by concatenation.
    hasher.update((text.len() as u64).to_le_bytes());
    hasher.update(text.as_bytes());
    hasher.update(seed.to_le_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

fn paint_background(img: &mut RgbaImage, scene: &Scene) {
    let (width, height) = img.dimensions();
    let (dx, dy) = scene.dir;
    // Normalise the projection so t spans exactly 0..1 over the unit square.
    let t_min = dx.min(0.0) + dy.min(0.0);
    let inv_span = 1.0 / (dx.abs() + dy.abs());
    let ramp: Vec<f32> = (0..width)
        .map(|x| (x as f32 + 0.5) / width as f32 * dx * inv_span)
        .collect();
    let [coarse, fine] = &scene.noise;
    let (coarse_x, fine_x) = (coarse.axis(width), fine.axis(width));
    let last = (LUT_SIZE - 1) as f32;
    for (y, row) in img.chunks_exact_mut(width as usize * 4).enumerate() {
        let offset = ((y as f32 + 0.5) / height as f32 * dy - t_min) * inv_span;
        let (coarse_row, fine_row) = (coarse.row(y as u32, height), fine.row(y as u32, height));
        for (x, px) in row.chunks_exact_mut(4).enumerate() {
            let n = (lerp_at(&coarse_row, coarse_x[x]) + 0.5 * lerp_at(&fine_row, fine_x[x]))
                * (1.0 / 1.5);
            let t = (ramp[x] + offset + scene.warp * (n - 0.5)).clamp(0.0, 1.0);
            let color = scene.lut[(t * last) as usize];
            let shade = 0.88 + 0.24 * n;
            for c in 0..3 {
                px[c] = (color[c] * shade + 0.5) as u8;
            }
            px[3] = 255;
        }
    }
}

fn paint_shape(img: &mut RgbaImage, shape: &Shape) {
    let (width, height) = img.dimensions();
    let scale = width.min(height) as f32;
    let centre = (shape.cx * width as f32, shape.cy * height as f32);
    let radii = (shape.rx * scale, shape.ry * scale);
    let (inv_rx, inv_ry) = (1.0 / radii.0, 1.0 / radii.1);
    let color = shape.color.map(|c| c as i32);
    for (y, row) in img.chunks_exact_mut(width as usize * 4).enumerate() {
        let py = y as f32 + 0.5 - centre.1;
        let Some((x0, x1)) = row_extent(shape, py, centre.0, radii, width) else {
            continue;
        };
        for x in x0..x1 {
            let px = x as f32 + 0.5 - centre.0;
            let coverage = match shape.kind {
                ShapeKind::Band => soft(squared((px * shape.nx + py * shape.ny) * inv_rx)),
                ShapeKind::Blob => soft(squared(px * inv_rx) + squared(py * inv_ry)),
                ShapeKind::Disc => {
                    ((1.0 - squared(px * inv_rx) - squared(py * inv_ry)) * 8.0).clamp(0.0, 1.0)
                }
            };
            // Integer blend with 8-bit alpha: exact, and much cheaper than floats.
            let alpha = (coverage * shape.alpha * 256.0) as i32;
            for (channel, target) in row[x * 4..x * 4 + 3].iter_mut().zip(color) {
                let old = i32::from(*channel);
                *channel = (old + (((target - old) * alpha + 128) >> 8)) as u8;
            }
        }
    }
}

/// The columns of row offset `py` that a shape can touch, or `None`.
fn row_extent(
    shape: &Shape,
    py: f32,
    cx: f32,
    (rx, ry): (f32, f32),
    width: u32,
) -> Option<(usize, usize)> {
    let (lo, hi) = match shape.kind {
        ShapeKind::Band if shape.nx.abs() < 1e-3 => {
            if (py * shape.ny).abs() >= rx {
                return None;
            }
            (0.0, width as f32)
        }
        ShapeKind::Band => {
            let a = (-rx - py * shape.ny) / shape.nx;
            let b = (rx - py * shape.ny) / shape.nx;
            (cx + a.min(b), cx + a.max(b))
        }
        ShapeKind::Blob | ShapeKind::Disc => {
            let inside = 1.0 - squared(py / ry);
            if inside <= 0.0 {
                return None;
            }
            let half = rx * inside.sqrt();
            (cx - half, cx + half)
        }
    };
    let (x0, x1) = (span(lo - 1.0, width), span(hi + 1.0, width));
    (x0 < x1).then_some((x0 as usize, x1 as usize))
}

/// Vignette and film grain last, so the grain also dithers gradient banding.
fn finish(img: &mut RgbaImage, scene: &Scene) {
    let (width, height) = img.dimensions();
    let (inv_w, inv_h) = (1.0 / width as f32, 1.0 / height as f32);
    let spread = u64::from(2 * scene.grain + 1);
    let grain_floor = scene.grain as i32;
    for (y, row) in img.chunks_exact_mut(width as usize * 4).enumerate() {
        let v = (y as f32 + 0.5) * inv_h - 0.5;
        for (x, px) in row.chunks_exact_mut(4).enumerate() {
            let u = (x as f32 + 0.5) * inv_w - 0.5;
            let keep = ((1.0 - scene.vignette * 2.0 * (u * u + v * v)) * 256.0) as i32;
            // Multiply-shift maps the hash onto 0..spread without a division.
            let hash = u64::from(mix32(x as u32, y as u32, scene.grain_seed));
            let grain = ((hash * spread) >> 32) as i32 - grain_floor;
            for channel in &mut px[..3] {
                let shaded = (i32::from(*channel) * keep + 128) >> 8;
                *channel = (shaded + grain).clamp(0, 255) as u8;
            }
        }
    }
}

fn partial_block_size(extent: u32, index: u32, total: u32) -> u32 {
    let coarsest = (extent / 8).max(2);
    let top_exp = u64::from(coarsest.ilog2());
    let last = u64::from(total.max(1) - 1);
    if last == 0 {
        return 1 << top_exp;
    }
    // Halve the block size in even steps from 1/8 of the image down to 2px.
    let index = u64::from(index).min(last);
    let exp = top_exp - (top_exp - 1) * index / last;
    1 << exp
}

fn pixelate(src: &RgbaImage, block: u32) -> RgbaImage {
    let (width, height) = src.dimensions();
    let mut out = RgbaImage::new(width, height);
    for by in (0..height).step_by(block as usize) {
        for bx in (0..width).step_by(block as usize) {
            let (x_end, y_end) = ((bx + block).min(width), (by + block).min(height));
            let mut sum = [0u64; 4];
            for y in by..y_end {
                for x in bx..x_end {
                    let px = src.get_pixel(x, y);
                    sum.iter_mut()
                        .zip(px.0)
                        .for_each(|(s, c)| *s += u64::from(c));
                }
            }
            let count = u64::from((x_end - bx) * (y_end - by));
            let mean = image::Rgba(sum.map(|s| ((s + count / 2) / count) as u8));
            for y in by..y_end {
                for x in bx..x_end {
                    out.put_pixel(x, y, mean);
                }
            }
        }
    }
    out
}

fn squared(v: f32) -> f32 {
    v * v
}

/// Takes a squared distance: 1 at the centre, easing to 0 at distance 1
/// with no visible edge.
fn soft(d2: f32) -> f32 {
    let inside = (1.0 - d2).max(0.0);
    inside * inside
}

/// The pixel column or row containing `pos`, clamped to `0..=len`.
fn span(pos: f32, len: u32) -> u32 {
    (pos.max(0.0) as u32).min(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn differing_fraction(a: &RgbaImage, b: &RgbaImage) -> f64 {
        let differ = a.pixels().zip(b.pixels()).filter(|(p, q)| p != q).count();
        differ as f64 / f64::from(a.width() * a.height())
    }

    fn distinct_colors(img: &RgbaImage) -> usize {
        img.pixels().map(|p| p.0).collect::<HashSet<_>>().len()
    }

    #[test]
    fn render_is_deterministic() {
        let a = render("a lighthouse at dusk", 42, 96, 64);
        assert_eq!(a, render("a lighthouse at dusk", 42, 96, 64));
        assert!(distinct_colors(&a) > 1000, "art should not be flat");
    }

    #[test]
    fn seed_and_prompt_change_the_image() {
        let base = render("a lighthouse at dusk", 42, 128, 128);
        let other_seed = render("a lighthouse at dusk", 43, 128, 128);
        let other_prompt = render("a lighthouse at dawn", 42, 128, 128);
        assert!(differing_fraction(&base, &other_seed) > 0.3);
        assert!(differing_fraction(&base, &other_prompt) > 0.3);
    }

    #[test]
    fn output_has_exact_requested_size() {
        for (w, h) in [(16, 16), (33, 77), (4096, 16), (1024, 1024), (1792, 1024)] {
            let img = render("size check", 1, w, h);
            assert_eq!(img.dimensions(), (w, h));
            assert!(img.pixels().all(|p| p[3] == 255), "{w}x{h} not opaque");
        }
        assert_eq!(render("empty", 1, 0, 9).dimensions(), (0, 9));
    }

    #[test]
    fn label_band_is_drawn_at_128_px() {
        let (prompt, seed) = ("a lighthouse at dusk", 5);
        let img = render(prompt, seed, 128, 128);
        let top = label::placeholder_band_top(128, 128, Some(seed), prompt).expect("fits");
        let in_band = |y: u32| y >= top;
        // Skip the 1px amber rule on the band's top edge at 1x.
        let below_rule = |y: u32| y > top;
        let text = img
            .enumerate_pixels()
            .filter(|(_, y, p)| in_band(*y) && **p == label::TEXT_COLOR)
            .count();
        assert!(text > 50, "only {text} text pixels in the band");
        let unlabelled_band_is_dark = img
            .enumerate_pixels()
            .filter(|(_, y, p)| below_rule(*y) && **p != label::TEXT_COLOR)
            .all(|(_, _, p)| p[0].max(p[1]).max(p[2]) < 240);
        assert!(unlabelled_band_is_dark);
    }

    #[test]
    fn prompt_words_steer_brightness() {
        let luma = |img: &RgbaImage| img.pixels().map(|p| u64::from(p[1])).sum::<u64>();
        let night = (0..4)
            .map(|s| luma(&render("city at night", s, 48, 48)))
            .sum::<u64>();
        let plain = (0..4)
            .map(|s| luma(&render("city at noon", s, 48, 48)))
            .sum::<u64>();
        assert!(night < plain);
    }

    #[test]
    fn partials_get_finer_and_stay_coarser_than_final() {
        let full = render("partial", 3, 128, 96);
        let counts: Vec<usize> = (0..4)
            .map(|i| {
                let partial = render_partial(&full, i, 4);
                assert_eq!(partial.dimensions(), full.dimensions());
                distinct_colors(&partial)
            })
            .collect();
        assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
        assert!(counts[0] * 20 < distinct_colors(&full), "{counts:?}");
        assert!(counts[3] < distinct_colors(&full), "{counts:?}");
        assert_eq!(render_partial(&full, 2, 4), render_partial(&full, 2, 4));
    }

    #[test]
    fn partial_block_sizes() {
        assert_eq!(partial_block_size(1024, 0, 4), 128);
        assert_eq!(partial_block_size(1024, 3, 4), 2);
        assert_eq!(partial_block_size(1024, 99, 4), 2);
        assert_eq!(partial_block_size(1024, 0, 1), 128);
        assert_eq!(partial_block_size(1024, 0, 0), 128);
        assert_eq!(partial_block_size(16, 0, 3), 2);
        assert_eq!(partial_block_size(4096, u32::MAX - 1, u32::MAX), 2);
    }

    #[test]
    #[ignore = "timing probe; run with --release -- --ignored --nocapture"]
    fn time_render_1024() {
        let start = std::time::Instant::now();
        let runs = 10;
        for seed in 0..runs {
            std::hint::black_box(render("timing", seed, 1024, 1024));
        }
        eprintln!(
            "render 1024x1024: {:?} per image",
            start.elapsed() / runs as u32
        );
    }
}
