//! Image sizes written `WxH`, and the rules for sizes a model makes on request.

use std::fmt;

use super::spec::CustomSize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

impl Size {
    /// Parses `1024x768` (also `1024X768` and `1024×768`).
    pub fn parse(text: &str) -> Option<Size> {
        let lower = text.trim().to_ascii_lowercase().replace('×', "x");
        let (w, h) = lower.split_once('x')?;
        let width = w.trim().parse().ok()?;
        let height = h.trim().parse().ok()?;
        (width > 0 && height > 0).then_some(Size { width, height })
    }

    pub fn pixels(self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    pub fn is_square(self) -> bool {
        self.width == self.height
    }

    /// Long side over short side.
    pub fn ratio(self) -> f64 {
        let (long, short) = if self.width >= self.height {
            (self.width, self.height)
        } else {
            (self.height, self.width)
        };
        f64::from(long) / f64::from(short)
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// Why a custom size is refused, phrased to finish "size 1000x1000 ...".
pub fn check_custom(size: Size, rule: &CustomSize) -> Result<(), String> {
    let m = rule.multiple_of.max(1);
    if !size.width.is_multiple_of(m) || !size.height.is_multiple_of(m) {
        let round = |v: u32| (v / m).max(1) * m;
        return Err(format!(
            "needs both sides to be multiples of {m} (try {}x{})",
            round(size.width),
            round(size.height)
        ));
    }
    if size.width.max(size.height) > rule.max_edge {
        return Err(format!(
            "has a side longer than {} pixels, the most this model makes",
            rule.max_edge
        ));
    }
    if let Some(min_edge) = rule.min_edge
        && size.width.min(size.height) < min_edge
    {
        return Err(format!("has a side shorter than {min_edge} pixels"));
    }
    if let Some(max_ratio) = rule.max_ratio
        && size.ratio() > max_ratio + 1e-9
    {
        return Err(format!(
            "is too elongated: the long side may be at most {max_ratio} times the short side"
        ));
    }
    if let Some(min) = rule.min_pixels
        && size.pixels() < min
    {
        return Err(format!(
            "has {} pixels; this model makes at least {min}",
            size.pixels()
        ));
    }
    if let Some(max) = rule.max_pixels
        && size.pixels() > max
    {
        return Err(format!(
            "has {} pixels; this model makes at most {max}",
            size.pixels()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpt_image_2() -> CustomSize {
        CustomSize {
            multiple_of: 16,
            min_edge: None,
            max_edge: 3840,
            min_pixels: Some(655_360),
            max_pixels: Some(8_294_400),
            max_ratio: Some(3.0),
        }
    }

    #[test]
    fn parses_sizes() {
        assert_eq!(
            Size::parse("1024x768"),
            Some(Size {
                width: 1024,
                height: 768
            })
        );
        assert_eq!(
            Size::parse(" 512X512 ").map(super::Size::pixels),
            Some(262_144)
        );
        assert!(Size::parse("1024×1024").is_some());
        assert_eq!(Size::parse("auto"), None);
        assert_eq!(Size::parse("0x10"), None);
        assert_eq!(Size::parse("10x"), None);
    }

    #[test]
    fn custom_size_rules() {
        let rule = gpt_image_2();
        assert!(check_custom(Size::parse("3840x2160").unwrap(), &rule).is_ok());
        assert!(check_custom(Size::parse("2048x2048").unwrap(), &rule).is_ok());
        let odd = check_custom(Size::parse("1000x1000").unwrap(), &rule).unwrap_err();
        assert!(
            odd.contains("multiples of 16") && odd.contains("992x992"),
            "{odd}"
        );
        assert!(check_custom(Size::parse("3856x1024").unwrap(), &rule).is_err());
        let long = check_custom(Size::parse("3840x1024").unwrap(), &rule).unwrap_err();
        assert!(long.contains("elongated"), "{long}");
        let small = check_custom(Size::parse("512x512").unwrap(), &rule).unwrap_err();
        assert!(small.contains("at least 655360"), "{small}");
        assert!(check_custom(Size::parse("3840x3840").unwrap(), &rule).is_err());
    }
}
