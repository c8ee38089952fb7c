//! The scene a sandbox image is drawn from: palette, shapes, and the noise and
//! grain parameters, all drawn from a seeded RNG (see `render` for the
//! determinism rules this code follows).

pub(super) const LUT_SIZE: usize = 1024;
/// Hue offsets (degrees) of classic harmonies; a palette walks one of them.
const SCHEMES: [[f32; 5]; 4] = [
    [0.0, 28.0, -26.0, 52.0, 12.0],
    [0.0, 180.0, 22.0, 200.0, -14.0],
    [0.0, 120.0, 240.0, 18.0, 138.0],
    [0.0, 150.0, 210.0, 24.0, 180.0],
];

/// Light steering from prompt words: an optional base hue and a lightness
/// multiplier. Everything else stays seed-driven.
pub(super) fn mood(prompt: &str) -> (Option<f32>, f32) {
    let (mut hue, mut light) = (None, 1.0);
    for word in prompt.split(|c: char| !c.is_ascii_alphanumeric()) {
        match word.to_ascii_lowercase().as_str() {
            "night" | "dark" | "midnight" | "space" | "noir" => light = 0.5,
            "bright" | "sunny" | "pastel" | "day" => light = 1.25,
            "sunset" | "fire" | "warm" | "desert" | "autumn" => hue = Some(18.0),
            "ocean" | "sea" | "ice" | "winter" | "water" | "rain" => hue = Some(205.0),
            "forest" | "jungle" | "garden" | "moss" => hue = Some(112.0),
            _ => {}
        }
    }
    (hue, light)
}

#[derive(Clone, Copy)]
pub(super) enum ShapeKind {
    Blob,
    Disc,
    Band,
}

/// Geometry is in unit space: the centre as a fraction of width and height,
/// radii as a fraction of the shorter side. Bands use `rx` as their half-width
/// and (`nx`, `ny`) as their normal.
pub(super) struct Shape {
    pub(super) kind: ShapeKind,
    pub(super) cx: f32,
    pub(super) cy: f32,
    pub(super) rx: f32,
    pub(super) ry: f32,
    pub(super) nx: f32,
    pub(super) ny: f32,
    pub(super) color: [f32; 3],
    pub(super) alpha: f32,
}

pub(super) struct Scene {
    pub(super) lut: Vec<[f32; 3]>,
    pub(super) dir: (f32, f32),
    pub(super) warp: f32,
    pub(super) noise: [ValueNoise; 2],
    pub(super) shapes: Vec<Shape>,
    pub(super) grain: u32,
    pub(super) grain_seed: u32,
    pub(super) vignette: f32,
}

impl Scene {
    pub(super) fn new(rng: &mut fastrand::Rng, mood: (Option<f32>, f32)) -> Self {
        let palette = palette(rng, mood);
        let dir = unit_vector(rng);
        let warp = 0.1 + rng.f32() * 0.3;
        let noise = [
            ValueNoise::new(rng.u32(..), 3),
            ValueNoise::new(rng.u32(..), 7),
        ];
        let shapes = (0..rng.u32(3..=7))
            .map(|_| random_shape(rng, &palette))
            .collect();
        Scene {
            lut: gradient_lut(&palette),
            dir,
            warp,
            noise,
            shapes,
            grain: rng.u32(3..=8),
            grain_seed: rng.u32(..),
            vignette: 0.1 + rng.f32() * 0.25,
        }
    }
}

fn palette(rng: &mut fastrand::Rng, (hue, light_scale): (Option<f32>, f32)) -> Vec<[f32; 3]> {
    let count = rng.u32(3..=5) as usize;
    let base = match hue {
        Some(hue) => hue + rng.f32() * 50.0 - 25.0,
        None => rng.f32() * 360.0,
    };
    let offsets = SCHEMES[rng.u32(..SCHEMES.len() as u32) as usize];
    // Lightness ramps dark to light across the stops so the gradient has depth.
    let dark = 0.12 + rng.f32() * 0.15;
    let light = 0.55 + rng.f32() * 0.25;
    (0..count)
        .map(|i| {
            let t = i as f32 / (count - 1) as f32;
            let hue = base + offsets[i] + rng.f32() * 16.0 - 8.0;
            let saturation = 0.4 + rng.f32() * 0.45;
            let lightness = ((dark + (light - dark) * t) * light_scale).clamp(0.03, 0.92);
            hsl_to_rgb(hue, saturation, lightness)
        })
        .collect()
}

/// Shapes are generated in unit space and scaled at paint time.
fn random_shape(rng: &mut fastrand::Rng, palette: &[[f32; 3]]) -> Shape {
    let kind = match rng.u32(0..10) {
        0..=5 => ShapeKind::Blob,
        6..=7 => ShapeKind::Disc,
        _ => ShapeKind::Band,
    };
    // Discs read as suns or moons, so they stay round and bright.
    let (radius, alpha, whiten, aspect) = match kind {
        ShapeKind::Blob => (
            0.15 + rng.f32() * 0.35,
            0.25 + rng.f32() * 0.3,
            rng.f32() * 0.2,
            0.6 + rng.f32() * 0.8,
        ),
        ShapeKind::Disc => (0.04 + rng.f32() * 0.11, 0.6 + rng.f32() * 0.3, 0.5, 1.0),
        ShapeKind::Band => (0.03 + rng.f32() * 0.09, 0.15 + rng.f32() * 0.2, 0.3, 1.0),
    };
    let base = palette[rng.u32(..palette.len() as u32) as usize];
    let (nx, ny) = unit_vector(rng);
    Shape {
        kind,
        cx: rng.f32(),
        cy: rng.f32(),
        rx: radius,
        ry: radius * aspect,
        nx,
        ny,
        color: base.map(|c| c + (255.0 - c) * whiten),
        alpha,
    }
}

fn unit_vector(rng: &mut fastrand::Rng) -> (f32, f32) {
    let (x, y) = (rng.f32() * 2.0 - 1.0, rng.f32() * 2.0 - 1.0);
    let len = (x * x + y * y).sqrt();
    if len < 0.2 {
        (0.0, 1.0)
    } else {
        (x / len, y / len)
    }
}

fn gradient_lut(palette: &[[f32; 3]]) -> Vec<[f32; 3]> {
    let segments = (palette.len() - 1) as f32;
    (0..LUT_SIZE)
        .map(|i| {
            let pos = i as f32 / (LUT_SIZE - 1) as f32 * segments;
            let k = (pos as usize).min(palette.len() - 2);
            let f = smoothstep(pos - k as f32);
            let (a, b) = (palette[k], palette[k + 1]);
            [0, 1, 2].map(|c| a[c] + (b[c] - a[c]) * f)
        })
        .collect()
}

/// Smooth lattice noise in unit space, so a scene looks the same at any size.
pub(super) struct ValueNoise {
    cells: u32,
    lattice: Vec<f32>,
}

impl ValueNoise {
    fn new(seed: u32, cells: u32) -> Self {
        let side = cells + 1;
        let lattice = (0..side * side)
            .map(|i| (mix32(i % side, i / side, seed) >> 8) as f32 / (1u32 << 24) as f32)
            .collect();
        ValueNoise { cells, lattice }
    }

    /// Per-column lattice cells and eased fractions, computed once per image.
    pub(super) fn axis(&self, len: u32) -> Vec<(usize, f32)> {
        (0..len).map(|i| self.axis_at(i, len)).collect()
    }

    fn axis_at(&self, i: u32, len: u32) -> (usize, f32) {
        let pos = (i as f32 + 0.5) / len as f32 * self.cells as f32;
        let cell = (pos as u32).min(self.cells - 1);
        (cell as usize, smoothstep(pos - cell as f32))
    }

    /// The lattice blended vertically for row `y`; along the row the noise is
    /// then a 1-D interpolation of these values.
    pub(super) fn row(&self, y: u32, height: u32) -> Vec<f32> {
        let (iy, fy) = self.axis_at(y, height);
        let side = self.cells as usize + 1;
        let top = &self.lattice[iy * side..(iy + 1) * side];
        let bottom = &self.lattice[(iy + 1) * side..(iy + 2) * side];
        top.iter()
            .zip(bottom)
            .map(|(a, b)| a + (b - a) * fy)
            .collect()
    }
}

pub(super) fn lerp_at(row: &[f32], (i, f): (usize, f32)) -> f32 {
    row[i] + (row[i + 1] - row[i]) * f
}

fn hsl_to_rgb(hue: f32, saturation: f32, lightness: f32) -> [f32; 3] {
    let chroma = (1.0 - (2.0 * lightness - 1.0).abs()) * saturation;
    let m = lightness - chroma / 2.0;
    hue_chroma_rgb(hue.rem_euclid(360.0) / 60.0, chroma).map(|c| (c + m) * 255.0)
}

/// The shared core of HSL/HSV conversion: RGB with the minimum channel at 0
/// for hue `h` in sixths of a turn (0..6) and the given chroma.
pub(crate) fn hue_chroma_rgb(h: f32, chroma: f32) -> [f32; 3] {
    let x = chroma * (1.0 - (h % 2.0 - 1.0).abs());
    match h as u32 {
        0 => [chroma, x, 0.0],
        1 => [x, chroma, 0.0],
        2 => [0.0, chroma, x],
        3 => [0.0, x, chroma],
        4 => [x, 0.0, chroma],
        _ => [chroma, 0.0, x],
    }
}

fn smoothstep(t: f32) -> f32 {
    t * t * (3.0 - 2.0 * t)
}

/// A cheap integer hash for lattice values and grain (murmur3-style finaliser).
pub(super) fn mix32(x: u32, y: u32, seed: u32) -> u32 {
    let mut h = x.wrapping_mul(0x9E37_79B1) ^ y.wrapping_mul(0x85EB_CA77) ^ seed;
    h ^= h >> 16;
    h = h.wrapping_mul(0x7FEB_352D);
    h ^= h >> 15;
    h = h.wrapping_mul(0x846C_A68B);
    h ^ (h >> 16)
}
