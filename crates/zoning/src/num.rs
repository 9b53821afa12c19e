//! Exact-decimal helpers shared by the rules, the importers and the drawing reader.
//!
//! The plan's arithmetic is done on [`Decimal`] only. Binary floating point appears solely in
//! geometry; every measured length or area crosses into the rules through
//! [`measured_decimal`], which rounds to a stated resolution so that float noise
//! (147.00000000000003 m²) never decides a verdict.

use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;

/// Areas measured from geometry are kept to 0.01 m²: finer than any survey or drawing tolerance,
/// coarse enough to absorb float error.
pub const AREA_DP: u32 = 2;
/// Lengths measured from geometry are kept to the millimetre.
pub const LENGTH_DP: u32 = 3;

/// The spec's display rounding: two decimals, half up (away from zero for negatives).
pub fn round_for_display(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero).normalize()
}

/// Renders a decimal without trailing zeros, the form used in formulas and arithmetic.
pub fn fmt_decimal(value: Decimal) -> String {
    value.normalize().to_string()
}

/// Converts a geometric measurement to a decimal rounded to `dp` places, half up.
///
/// Returns `None` for NaN, infinities and magnitudes a decimal cannot hold, so odd input
/// becomes a reported problem instead of a panic.
pub fn measured_decimal(value: f64, dp: u32) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    // The shortest round-trip text of the float is what a person typed or a program printed,
    // so parsing it recovers "245.37" rather than the binary neighbour 245.3699999….
    let text = format!("{value}");
    let parsed = Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).ok()?;
    Some(parsed.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero))
}

/// Parses a decimal written as text in an import file or a plan file.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    Decimal::from_str(trimmed).ok()
}

/// Converts a float attribute value (GeoJSON number, dBase numeric) to a decimal through its
/// shortest text form, without rounding: "245.37" stays exactly 245.37.
pub fn attribute_decimal(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    let text = format!("{value}");
    Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn display_rounding_is_half_up() {
        assert_eq!(round_for_display(dec!(16.705)), dec!(16.71));
        assert_eq!(round_for_display(dec!(16.704)), dec!(16.7));
        assert_eq!(round_for_display(dec!(-1.005)), dec!(-1.01));
        assert_eq!(round_for_display(dec!(12.2)).to_string(), "12.2");
    }

    #[test]
    fn measured_values_absorb_float_noise() {
        assert_eq!(measured_decimal(147.000_000_000_000_03, AREA_DP), Some(dec!(147.00)));
        assert_eq!(measured_decimal(f64::NAN, AREA_DP), None);
        assert_eq!(measured_decimal(f64::INFINITY, AREA_DP), None);
        assert_eq!(measured_decimal(1e300, AREA_DP), None);
    }

    #[test]
    fn attribute_decimals_keep_what_was_written() {
        assert_eq!(attribute_decimal(245.37), Some(dec!(245.37)));
        assert_eq!(attribute_decimal(0.1), Some(dec!(0.1)));
        assert_eq!(attribute_decimal(1e-7), Some(dec!(0.0000001)));
        assert_eq!(parse_decimal(" 12.50 "), Some(dec!(12.50)));
        assert_eq!(parse_decimal(""), None);
        assert_eq!(parse_decimal("abc"), None);
    }
}
