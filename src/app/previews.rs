//! The encoded previews the studio holds, least recently shown dropped
//! first. A large sixel preview is up to a few hundred kilobytes: the budget
//! keeps a long session's memory bounded without throwing away what is on
//! screen (which would make the terminal be sent it again).

use std::collections::HashMap;

use crate::preview::{PreviewKey, Rendered};

/// Encoded bytes kept: a 200-image gallery paged both ways, thumbnails and
/// large previews, fits several times over.
const BUDGET: usize = 64 << 20;
/// Error messages weigh nothing; still, a bound.
const KEPT: usize = 2048;

pub struct Previews {
    rendered: HashMap<PreviewKey, (Result<Rendered, String>, u64)>,
    /// Frames drawn so far; a preview remembers the last that showed it.
    frame: u64,
    bytes: usize,
    budget: usize,
}

impl Default for Previews {
    fn default() -> Previews {
        Previews::with_budget(BUDGET)
    }
}

fn weight(rendered: &Result<Rendered, String>) -> usize {
    rendered.as_ref().map_or(0, Rendered::bytes)
}

impl Previews {
    pub fn with_budget(budget: usize) -> Previews {
        Previews {
            rendered: HashMap::new(),
            frame: 0,
            bytes: 0,
            budget,
        }
    }

    pub fn get(&self, key: &PreviewKey) -> Option<&Result<Rendered, String>> {
        self.rendered.get(key).map(|(rendered, _)| rendered)
    }

    pub fn contains_key(&self, key: &PreviewKey) -> bool {
        self.rendered.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.rendered.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rendered.is_empty()
    }

    pub fn insert(&mut self, key: PreviewKey, rendered: Result<Rendered, String>) {
        self.bytes += weight(&rendered);
        // Arrived now: as recent as the frame that asked for it.
        if let Some((old, _)) = self.rendered.insert(key, (rendered, self.frame)) {
            self.bytes -= weight(&old);
        }
        while self.rendered.len() > KEPT || (self.bytes > self.budget && self.rendered.len() > 1) {
            let Some(oldest) = self
                .rendered
                .iter()
                .min_by_key(|(_, (_, shown))| *shown)
                .map(|(key, _)| key.clone())
            else {
                break;
            };
            if let Some((old, _)) = self.rendered.remove(&oldest) {
                self.bytes -= weight(&old);
            }
        }
    }

    /// Notes the previews a frame just drew.
    pub fn shown<'a>(&mut self, keys: impl IntoIterator<Item = &'a PreviewKey>) {
        self.frame += 1;
        for key in keys {
            if let Some((_, shown)) = self.rendered.get_mut(key) {
                *shown = self.frame;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preview::PreviewSource;

    fn key(n: usize) -> PreviewKey {
        PreviewKey {
            source: PreviewSource::File(format!("/images/{n}.png").into()),
            cols: 12,
            rows: 6,
        }
    }

    #[test]
    fn the_least_recently_shown_go_first_and_what_is_on_screen_stays() {
        let mut previews = Previews::default();
        for n in 0..KEPT {
            previews.insert(key(n), Err("not decoded".into()));
        }
        // Picture 0 stays on screen while the rest go past.
        for n in KEPT..KEPT + 100 {
            previews.shown([&key(0), &key(n - 1)]);
            previews.insert(key(n), Err("not decoded".into()));
        }
        assert_eq!(previews.len(), KEPT);
        assert!(previews.contains_key(&key(0)));
        assert!((KEPT - 1..KEPT + 100).all(|n| previews.contains_key(&key(n))));
        let dropped = (1..KEPT - 1)
            .filter(|n| !previews.contains_key(&key(*n)))
            .count();
        assert_eq!(dropped, 100, "only never-shown ones went");
    }

    #[test]
    fn encoded_bytes_are_kept_within_the_budget() {
        use crate::preview::Encoder;
        use crate::preview::detect::{Detected, Graphics};
        let encoder = Encoder::new(&Detected {
            graphics: Graphics::Sixel,
            cell: (10, 20),
            tmux: false,
            tmux_sixel: false,
            ssh: false,
            reasons: Vec::new(),
        });
        let picture = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(64, 64, |x, y| {
            image::Rgb([x as u8 * 4, y as u8 * 4, 7])
        }));
        let one = encoder.encode(&picture, 12, 6).unwrap();
        let mut previews = Previews::with_budget(one.bytes() * 5);
        for n in 0..20 {
            previews.shown([&key(0)]);
            previews.insert(key(n), Ok(one.clone()));
        }
        assert_eq!(previews.len(), 5);
        assert!(previews.contains_key(&key(0)), "on screen, kept");
        assert!(previews.contains_key(&key(19)));
    }
}
