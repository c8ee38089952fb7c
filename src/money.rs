//! Money as integer micro-dollars, parsed from and printed as exact decimals.
//!
//! Prices in the catalog are written as decimal strings ("0.04") and parsed
//! digit by digit, so no amount ever passes through a binary float.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign};

use serde::{Deserialize, Serialize};

/// One millionth of a US dollar.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Micros(pub i64);

/// A decimal with up to six fractional digits, scaled by 1,000,000: used for
/// dollar amounts, per-million-token rates and credit counts alike.
pub const SCALE: i64 = 1_000_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{input:?} is not a decimal amount with at most 6 decimal places (like 0.04)")]
pub struct ParseAmountError {
    input: String,
}

/// Parses "12", "0.04", "$0.000975" or "6.5" into units of 1/1,000,000.
pub fn parse_scaled(text: &str) -> Result<i64, ParseAmountError> {
    let error = || ParseAmountError {
        input: text.to_string(),
    };
    let trimmed = text.trim();
    let unsigned = trimmed.strip_prefix('$').unwrap_or(trimmed);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || fraction.len() > 6
    {
        return Err(error());
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| error())?
    };
    let mut fraction_value: i64 = 0;
    for position in 0..6 {
        let digit = fraction
            .as_bytes()
            .get(position)
            .map_or(0, |b| i64::from(b - b'0'));
        fraction_value = fraction_value * 10 + digit;
    }
    whole
        .checked_mul(SCALE)
        .and_then(|w| w.checked_add(fraction_value))
        .ok_or_else(error)
}

/// Formats a scaled decimal with at least `min_decimals` and no trailing zeros beyond.
pub fn format_scaled(value: i64, min_decimals: usize) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let magnitude = value.unsigned_abs();
    let whole = magnitude / SCALE as u64;
    let fraction = format!("{:06}", magnitude % SCALE as u64);
    let trimmed = fraction.trim_end_matches('0');
    let shown = if trimmed.len() >= min_decimals {
        trimmed
    } else {
        &fraction[..min_decimals.min(6)]
    };
    if shown.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{shown}")
    }
}

/// Rounds `numerator / denominator` half away from zero, in integers.
pub fn div_round(numerator: i128, denominator: i128) -> i64 {
    debug_assert!(denominator > 0);
    let half = denominator / 2;
    let rounded = if numerator >= 0 {
        (numerator + half) / denominator
    } else {
        (numerator - half) / denominator
    };
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// A non-negative decimal read from the catalog (`"0.04"`, `"6.5"`, `40`),
/// held scaled by [`SCALE`]: dollars become micro-dollars, credits micro-credits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Decimal(pub i64);

impl Decimal {
    pub fn micros(self) -> Micros {
        Micros(self.0)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_scaled(self.0, 0))
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Text(String),
            Whole(i64),
        }
        match Written::deserialize(deserializer)? {
            Written::Text(text) => parse_scaled(&text)
                .map(Decimal)
                .map_err(serde::de::Error::custom),
            Written::Whole(whole) if whole >= 0 => whole
                .checked_mul(SCALE)
                .map(Decimal)
                .ok_or_else(|| serde::de::Error::custom("amount too large")),
            Written::Whole(_) => Err(serde::de::Error::custom("amounts cannot be negative")),
        }
    }
}

impl Micros {
    pub const ZERO: Micros = Micros(0);

    pub fn from_dollars_str(text: &str) -> Result<Self, ParseAmountError> {
        parse_scaled(text).map(Micros)
    }

    #[must_use]
    pub fn times(self, count: u64) -> Micros {
        Micros(
            self.0
                .saturating_mul(i64::try_from(count).unwrap_or(i64::MAX)),
        )
    }

    /// Dollars rounded to `places` decimals (at least two shown): `$0.056`.
    pub fn dollars_rounded(self, places: u32) -> String {
        let step = 10_i64.pow(6 - places.min(6));
        Micros(div_round(i128::from(self.0), i128::from(step)) * step).dollars()
    }

    /// Dollars with at least two decimals: `$0.04`, `$0.0035`, `$12.50`.
    pub fn dollars(self) -> String {
        format!("${}", format_scaled(self.0, 2))
    }
}

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.dollars())
    }
}

impl Add for Micros {
    type Output = Micros;
    fn add(self, other: Micros) -> Micros {
        Micros(self.0.saturating_add(other.0))
    }
}

impl AddAssign for Micros {
    fn add_assign(&mut self, other: Micros) {
        *self = *self + other;
    }
}

impl Sum for Micros {
    fn sum<I: Iterator<Item = Micros>>(iter: I) -> Micros {
        iter.fold(Micros::ZERO, Add::add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(parse_scaled("0.04"), Ok(40_000));
        assert_eq!(parse_scaled("$0.12"), Ok(120_000));
        assert_eq!(parse_scaled("0.000975"), Ok(975));
        assert_eq!(parse_scaled("6.5"), Ok(6_500_000));
        assert_eq!(parse_scaled("40"), Ok(40_000_000));
        assert_eq!(parse_scaled(".5"), Ok(500_000));
        assert_eq!(parse_scaled("0.1"), Ok(100_000));
    }

    #[test]
    fn rejects_what_it_cannot_represent_exactly() {
        assert!(parse_scaled("0.0000001").is_err());
        assert!(parse_scaled("-1").is_err());
        assert!(parse_scaled("1e3").is_err());
        assert!(parse_scaled("").is_err());
        assert!(parse_scaled(".").is_err());
        assert!(parse_scaled("99999999999999999").is_err());
    }

    #[test]
    fn formats_dollars() {
        assert_eq!(Micros(40_000).dollars(), "$0.04");
        assert_eq!(Micros(3_500).dollars(), "$0.0035");
        assert_eq!(Micros(12_500_000).dollars(), "$12.50");
        assert_eq!(Micros(0).dollars(), "$0.00");
        assert_eq!(Micros(166_400).dollars(), "$0.1664");
        assert_eq!(Micros(-20_000).dollars(), "$-0.02");
        assert_eq!(Micros(56_250).dollars_rounded(3), "$0.056");
        assert_eq!(Micros(5_010).dollars_rounded(3), "$0.005");
        assert_eq!(Micros(211_020).dollars_rounded(3), "$0.211");
        assert_eq!(format_scaled(6_500_000, 0), "6.5");
        assert_eq!(format_scaled(40_000_000, 0), "40");
    }

    #[test]
    fn sums_without_floats() {
        // 0.1 + 0.2 is exactly 0.3 here, unlike f64.
        let total: Micros = ["0.1", "0.2"]
            .iter()
            .map(|s| Micros::from_dollars_str(s).unwrap())
            .sum();
        assert_eq!(total, Micros::from_dollars_str("0.3").unwrap());
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(div_round(5, 2), 3);
        assert_eq!(div_round(4, 2), 2);
        assert_eq!(div_round(-5, 2), -3);
        assert_eq!(div_round(1, 3), 0);
    }
}
