//! Sandbox stand-ins for edit, variation, upscale and background removal.

use image::imageops::{self, FilterType};
use image::{Rgba, RgbaImage};

use super::{label, render};

/// Share (out of 255) of the freshly rendered placeholder where an edit applies.
const EDIT_WEIGHT: u32 = 153;
/// RGB distance under which a pixel connected to the border is background.
const BG_CLEAR: f32 = 48.0;
/// Past this distance a pixel is foreground; in between its alpha ramps, which
/// gives the cut-out a one-pixel soft edge instead of jaggies.
const BG_SOFT: f32 = 96.0;

/// Blends a placeholder rendered for (`prompt`, `seed`) into `input` wherever
/// the mask is transparent (everywhere without a mask), scaling the blend by
/// the mask's transparency so fully opaque mask pixels keep the input exactly.
pub fn edit(input: &RgbaImage, mask: Option<&RgbaImage>, prompt: &str, seed: u64) -> RgbaImage {
    let (width, height) = input.dimensions();
    if width == 0 || height == 0 {
        return input.clone();
    }
    let generated = render::render(prompt, seed, width, height);
    let mask = mask.filter(|m| m.width() > 0 && m.height() > 0).map(|m| {
        if m.dimensions() == (width, height) {
            m.clone()
        } else {
            imageops::resize(m, width, height, FilterType::Nearest)
        }
    });
    let mut out = input.clone();
    for (x, y, px) in out.enumerate_pixels_mut() {
        let keep = mask.as_ref().map_or(0, |m| u32::from(m.get_pixel(x, y)[3]));
        let weight = EDIT_WEIGHT * (255 - keep) / 255;
        if weight > 0 {
            let fresh = generated.get_pixel(x, y);
            for (channel, new) in px.0.iter_mut().zip(fresh.0) {
                let mixed = u32::from(*channel) * (255 - weight) + u32::from(new) * weight;
                *channel = ((mixed + 127) / 255) as u8;
            }
        }
    }
    label::redraw_placeholder_label(&mut out, Some(seed), prompt);
    out
}

/// A related but clearly different image: shifted, softened and hue-rotated
/// by amounts derived from `seed`.
pub fn variation(input: &RgbaImage, seed: u64) -> RgbaImage {
    let mut rng = fastrand::Rng::with_seed(render::stable_seed("variation/v1", "", seed));
    // Keep clear of 0 and 360 so the hue change is always visible.
    let hue_shift = 60.0 + rng.f32() * 240.0;
    let reach = i64::from(1 + input.width().min(input.height()) / 64);
    let shift = (rng.i64(-reach..=reach), rng.i64(-reach..=reach));
    let mut out = blur_shifted(input, shift);
    for px in out.pixels_mut() {
        let [r, g, b] = rotate_hue([px[0], px[1], px[2]], hue_shift);
        *px = Rgba([r, g, b, px[3]]);
    }
    label::redraw_placeholder_label(&mut out, Some(seed), "variation");
    out
}

/// Enlarges by `factor`, clamped to 2..=4, with Catmull-Rom (sharp without
/// Lanczos ringing, and cheaper).
pub fn upscale(input: &RgbaImage, factor: u32) -> RgbaImage {
    let factor = factor.clamp(2, 4);
    let (width, height) = (input.width() * factor, input.height() * factor);
    if width == 0 || height == 0 {
        return RgbaImage::new(width, height);
    }
    let mut out = imageops::resize(input, width, height, FilterType::CatmullRom);
    label::redraw_placeholder_label(&mut out, None, &format!("upscaled {factor}x"));
    out
}

/// A naive cut-out: pixels connected to the border and close in colour to the
/// border's median become transparent. Flooding from the border (rather than
/// keying every matching pixel) keeps background-coloured areas inside the
/// subject. No label is added so the result stays usable as a cut-out.
pub fn remove_background(input: &RgbaImage) -> RgbaImage {
    let mut out = input.clone();
    let (width, height) = input.dimensions();
    if width == 0 || height == 0 {
        return out;
    }
    let background = border_median(input);
    let index = |x: u32, y: u32| y as usize * width as usize + x as usize;
    let mut visited = vec![false; width as usize * height as usize];
    let mut stack = border_coords(width, height);
    while let Some((x, y)) = stack.pop() {
        if std::mem::replace(&mut visited[index(x, y)], true) {
            continue;
        }
        let px = out.get_pixel_mut(x, y);
        let distance = color_distance(*px, background);
        if distance >= BG_SOFT {
            continue;
        }
        if distance > BG_CLEAR {
            // Edge pixel: fade it but do not flood past it into the subject.
            let keep = (distance - BG_CLEAR) / (BG_SOFT - BG_CLEAR);
            px[3] = (f32::from(px[3]) * keep + 0.5) as u8;
            continue;
        }
        px[3] = 0;
        let neighbours = [
            (x.wrapping_sub(1), y),
            (x + 1, y),
            (x, y.wrapping_sub(1)),
            (x, y + 1),
        ];
        for (nx, ny) in neighbours {
            if nx < width && ny < height && !visited[index(nx, ny)] {
                stack.push((nx, ny));
            }
        }
    }
    out
}

/// Each output pixel is the 3x3 mean around the source pixel `shift` away,
/// clamped at the edges.
fn blur_shifted(input: &RgbaImage, (dx, dy): (i64, i64)) -> RgbaImage {
    let (width, height) = input.dimensions();
    let clamp = |v: i64, len: u32| v.clamp(0, i64::from(len) - 1) as u32;
    RgbaImage::from_fn(width, height, |x, y| {
        let mut sum = [0u32; 4];
        for oy in -1..=1 {
            for ox in -1..=1 {
                let sx = clamp(i64::from(x) - dx + ox, width);
                let sy = clamp(i64::from(y) - dy + oy, height);
                let px = input.get_pixel(sx, sy);
                sum.iter_mut()
                    .zip(px.0)
                    .for_each(|(s, c)| *s += u32::from(c));
            }
        }
        Rgba(sum.map(|s| ((s + 4) / 9) as u8))
    })
}

/// HSV hue rotation with IEEE-exact float ops only, so it is reproducible.
// Comparing a channel with the maximum it was taken from is exact by design.
#[allow(clippy::float_cmp)]
fn rotate_hue(rgb: [u8; 3], degrees: f32) -> [u8; 3] {
    let [r, g, b] = rgb.map(f32::from);
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let delta = max - min;
    if delta == 0.0 {
        return rgb;
    }
    let sector = if max == r {
        ((g - b) / delta).rem_euclid(6.0)
    } else if max == g {
        (b - r) / delta + 2.0
    } else {
        (r - g) / delta + 4.0
    };
    let h = (sector + degrees / 60.0).rem_euclid(6.0);
    render::hue_chroma_rgb(h, delta).map(|c| (c + min + 0.5) as u8)
}

fn border_coords(width: u32, height: u32) -> Vec<(u32, u32)> {
    let rows = (0..width).flat_map(|x| [(x, 0), (x, height - 1)]);
    let columns = (0..height).flat_map(|y| [(0, y), (width - 1, y)]);
    rows.chain(columns).collect()
}

/// Per-channel median of the 1-px border: robust to a subject or label band
/// touching part of the edge, unlike the mean.
fn border_median(input: &RgbaImage) -> [u8; 3] {
    let coords = border_coords(input.width(), input.height());
    let mut channels: [Vec<u8>; 3] = Default::default();
    for (x, y) in coords {
        let px = input.get_pixel(x, y);
        for (values, value) in channels.iter_mut().zip(px.0) {
            values.push(value);
        }
    }
    channels.map(|mut values| {
        values.sort_unstable();
        values[values.len() / 2]
    })
}

fn color_distance(px: Rgba<u8>, reference: [u8; 3]) -> f32 {
    let squared: f32 = (0..3)
        .map(|c| {
            let d = f32::from(px[c]) - f32::from(reference[c]);
            d * d
        })
        .sum();
    squared.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_image(width: u32, height: u32) -> RgbaImage {
        RgbaImage::from_fn(width, height, |x, y| {
            Rgba([(x * 255 / width) as u8, (y * 255 / height) as u8, 180, 255])
        })
    }

    fn left_half_opaque_mask(width: u32, height: u32) -> RgbaImage {
        RgbaImage::from_fn(width, height, |x, _| {
            Rgba([0, 0, 0, if x < width / 2 { 255 } else { 0 }])
        })
    }

    #[test]
    fn edit_keeps_masked_pixels_and_changes_the_rest() {
        let (w, h, seed, prompt) = (96, 96, 7, "add a moon");
        let input = sample_image(w, h);
        let out = edit(&input, Some(&left_half_opaque_mask(w, h)), prompt, seed);
        assert_eq!(out.dimensions(), (w, h));
        let top = label::placeholder_band_top(w, h, Some(seed), prompt).expect("label fits");
        let mut changed = 0;
        for y in 0..top {
            for x in 0..w {
                let (before, after) = (input.get_pixel(x, y), out.get_pixel(x, y));
                if x < w / 2 {
                    assert_eq!(before, after, "kept pixel ({x}, {y}) changed");
                } else if before != after {
                    changed += 1;
                }
            }
        }
        assert!(
            changed > (w / 2 * top) as usize * 9 / 10,
            "only {changed} changed"
        );
        assert_eq!(
            out,
            edit(&input, Some(&left_half_opaque_mask(w, h)), prompt, seed)
        );
    }

    #[test]
    fn edit_resizes_mask_and_edits_everywhere_without_one() {
        let input = sample_image(80, 80);
        let top = label::placeholder_band_top(80, 80, Some(1), "p").expect("label fits");
        let opaque = RgbaImage::from_pixel(20, 30, Rgba([0, 0, 0, 255]));
        let kept = edit(&input, Some(&opaque), "p", 1);
        assert!((0..top).all(|y| (0..80).all(|x| kept.get_pixel(x, y) == input.get_pixel(x, y))));
        let unmasked = edit(&input, None, "p", 1);
        let same = input
            .pixels()
            .zip(unmasked.pixels())
            .filter(|(a, b)| a == b)
            .count();
        assert!(same < 80 * 80 / 10);
    }

    #[test]
    fn variation_differs_but_is_deterministic() {
        let input = sample_image(96, 96);
        let a = variation(&input, 3);
        assert_eq!(a.dimensions(), input.dimensions());
        let differ = input
            .pixels()
            .zip(a.pixels())
            .filter(|(p, q)| p != q)
            .count();
        assert!(differ > 96 * 96 * 8 / 10);
        assert_eq!(a, variation(&input, 3));
        assert_ne!(a, variation(&input, 4));
    }

    #[test]
    fn hue_rotation_keeps_greys_and_cycles() {
        assert_eq!(rotate_hue([90, 90, 90], 123.0), [90, 90, 90]);
        assert_eq!(rotate_hue([255, 0, 0], 120.0), [0, 255, 0]);
        assert_eq!(rotate_hue([255, 0, 0], 360.0), [255, 0, 0]);
    }

    #[test]
    fn upscale_multiplies_dimensions() {
        let input = sample_image(40, 30);
        for factor in 2..=4 {
            assert_eq!(
                upscale(&input, factor).dimensions(),
                (40 * factor, 30 * factor)
            );
        }
        assert_eq!(upscale(&input, 9).dimensions(), (160, 120));
        let labelled = upscale(&input, 4);
        assert!(labelled.pixels().any(|p| *p == label::TEXT_COLOR));
    }

    #[test]
    fn remove_background_cuts_out_a_square() {
        let mut input = RgbaImage::from_pixel(64, 64, Rgba([255, 255, 255, 255]));
        for y in 20..44 {
            for x in 20..44 {
                input.put_pixel(x, y, Rgba([220, 20, 20, 255]));
            }
        }
        let out = remove_background(&input);
        for (x, y) in [(0, 0), (63, 0), (0, 63), (63, 63), (10, 32)] {
            assert_eq!(out.get_pixel(x, y)[3], 0, "({x}, {y}) should be clear");
        }
        assert_eq!(*out.get_pixel(32, 32), Rgba([220, 20, 20, 255]));
        assert_eq!(*out.get_pixel(20, 20), Rgba([220, 20, 20, 255]));
    }

    #[test]
    fn remove_background_keeps_enclosed_background_colour() {
        let mut input = RgbaImage::from_pixel(48, 48, Rgba([250, 250, 250, 255]));
        for y in 12..36 {
            for x in 12..36 {
                let ring = !(18..30).contains(&x) || !(18..30).contains(&y);
                if ring {
                    input.put_pixel(x, y, Rgba([20, 20, 200, 255]));
                }
            }
        }
        let out = remove_background(&input);
        assert_eq!(out.get_pixel(0, 0)[3], 0);
        assert_eq!(out.get_pixel(24, 24)[3], 255);
    }

    #[test]
    fn remove_background_softens_edges() {
        let mut input = RgbaImage::from_pixel(32, 32, Rgba([0, 0, 0, 255]));
        input.put_pixel(16, 16, Rgba([70, 0, 0, 255]));
        for y in 17..32 {
            for x in 0..32 {
                input.put_pixel(x, y, Rgba([255, 255, 255, 255]));
            }
        }
        let out = remove_background(&input);
        let alpha = out.get_pixel(16, 16)[3];
        assert!(alpha > 0 && alpha < 255, "edge alpha {alpha}");
    }
}
