//! Amounts of money in Iranian Rials.
//!
//! Fees and payments are whole Rials, so an `i64` holds every amount exactly (no floating
//! point, no decimal type) and maps to a BIGINT column on every database.

use serde::{Deserialize, Serialize};

use crate::digits;
use crate::lang::Lang;
use crate::number;

/// A signed amount in Rials. Negative values arise from arithmetic (refunds, balances); typed
/// input never produces them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Rials(i64);

/// Why a typed amount was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum MoneyError {
    #[error("no amount was entered")]
    Empty,
    #[error("the amount must be a whole number of Rials written with digits")]
    InvalidCharacters,
    #[error("the amount cannot be negative")]
    Negative,
    #[error("the amount is too large")]
    TooLarge,
}

impl MoneyError {
    /// A sentence for the person who typed the amount.
    pub fn message(&self, lang: Lang) -> String {
        let text = match (self, lang) {
            (MoneyError::Empty, Lang::Fa) => "مبلغی وارد نشده است.",
            (MoneyError::Empty, Lang::En) => "No amount was entered.",
            (MoneyError::InvalidCharacters, Lang::Fa) => {
                "مبلغ را فقط با رقم و به ریال، بدون اعشار، وارد کنید."
            }
            (MoneyError::InvalidCharacters, Lang::En) => {
                "Enter the amount in whole Rials, using digits only."
            }
            (MoneyError::Negative, Lang::Fa) => "مبلغ نمی‌تواند منفی باشد.",
            (MoneyError::Negative, Lang::En) => "The amount cannot be negative.",
            (MoneyError::TooLarge, Lang::Fa) => "مبلغ بیش از حد بزرگ است.",
            (MoneyError::TooLarge, Lang::En) => "The amount is too large.",
        };
        text.to_owned()
    }
}

impl Rials {
    pub const ZERO: Rials = Rials(0);

    /// Any amount, including negative results of arithmetic; typed input goes through
    /// [`Rials::parse`].
    pub const fn new(amount: i64) -> Self {
        Rials(amount)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub const fn checked_add(self, other: Rials) -> Option<Rials> {
        match self.0.checked_add(other.0) {
            Some(sum) => Some(Rials(sum)),
            None => None,
        }
    }

    pub const fn checked_sub(self, other: Rials) -> Option<Rials> {
        match self.0.checked_sub(other.0) {
            Some(difference) => Some(Rials(difference)),
            None => None,
        }
    }

    /// Multiplies by a count, e.g. a per-unit fee by the number of units.
    pub const fn checked_mul(self, factor: i64) -> Option<Rials> {
        match self.0.checked_mul(factor) {
            Some(product) => Some(Rials(product)),
            None => None,
        }
    }

    /// The amount with thousands separators and the unit: `۱٬۲۵۰٬۰۰۰ ریال`, `1,250,000 Rials`.
    pub fn format(self, lang: Lang) -> String {
        let amount = number::format_int(self.0, lang);
        match lang {
            Lang::Fa => format!("{amount} ریال"),
            Lang::En if self.0.abs() == 1 => format!("{amount} Rial"),
            Lang::En => format!("{amount} Rials"),
        }
    }

    /// Reads a typed, non-negative amount. Accepts Persian and Arabic-Indic digits, the
    /// separators `٬`, `,` and spaces anywhere between digits, and an optional unit (`ریال`,
    /// `Rial`, `Rials`), so the output of [`Rials::format`] reads back.
    pub fn parse(input: &str) -> Result<Rials, MoneyError> {
        let folded = digits::fold_to_ascii(input.trim());
        // Direction marks come along when copying from right-to-left text.
        let body = strip_unit(&folded)
            .trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{200E}' | '\u{200F}'));
        if body.is_empty() {
            return Err(MoneyError::Empty);
        }
        if body.starts_with(['-', '\u{2212}']) {
            return Err(MoneyError::Negative);
        }
        let mut amount: i64 = 0;
        let mut seen_digit = false;
        for c in body.chars() {
            match c {
                '0'..='9' => {
                    seen_digit = true;
                    amount = amount
                        .checked_mul(10)
                        .and_then(|a| a.checked_add(i64::from(c as u8 - b'0')))
                        .ok_or(MoneyError::TooLarge)?;
                }
                '\u{066C}' | ',' => {}
                c if c.is_whitespace() => {}
                _ => return Err(MoneyError::InvalidCharacters),
            }
        }
        if !seen_digit {
            return Err(MoneyError::InvalidCharacters);
        }
        Ok(Rials(amount))
    }
}

/// Removes a trailing unit word; the caller trims what is left.
fn strip_unit(s: &str) -> &str {
    // ASCII lowercasing keeps byte offsets, so the suffix length applies to `s` too.
    let lower = s.to_ascii_lowercase();
    ["ریال", "rials", "rial"]
        .iter()
        .find(|unit| lower.ends_with(*unit))
        .map_or(s, |unit| &s[..s.len() - unit.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_unit() {
        assert_eq!(Rials::new(1_250_000).format(Lang::Fa), "۱٬۲۵۰٬۰۰۰ ریال");
        assert_eq!(Rials::new(1_250_000).format(Lang::En), "1,250,000 Rials");
        assert_eq!(Rials::new(1).format(Lang::En), "1 Rial");
        assert_eq!(Rials::ZERO.format(Lang::En), "0 Rials");
    }

    #[test]
    fn parses_typed_amounts() {
        let expected = Ok(Rials::new(1_250_000));
        for input in [
            "1250000",
            "1,250,000",
            "۱٬۲۵۰٬۰۰۰",
            "۱۲۵۰۰۰۰",
            "١٢٥٠٠٠٠",
            " 1 250 000 ",
            "۱٬۲۵۰٬۰۰۰ ریال",
            "1,250,000 Rials",
            "1250000rial",
            "\u{200F}۱٬۲۵۰٬۰۰۰",
        ] {
            assert_eq!(Rials::parse(input), expected, "{input:?}");
        }
        assert_eq!(Rials::parse("0"), Ok(Rials::ZERO));
        assert_eq!(Rials::parse("9223372036854775807"), Ok(Rials::new(i64::MAX)));
    }

    #[test]
    fn refuses_bad_amounts() {
        assert_eq!(Rials::parse(""), Err(MoneyError::Empty));
        assert_eq!(Rials::parse("  ریال "), Err(MoneyError::Empty));
        assert_eq!(Rials::parse("-5"), Err(MoneyError::Negative));
        assert_eq!(Rials::parse("\u{200E}\u{2212}۵"), Err(MoneyError::Negative));
        assert_eq!(Rials::parse("9223372036854775808"), Err(MoneyError::TooLarge));
        assert_eq!(Rials::parse("12.5"), Err(MoneyError::InvalidCharacters));
        assert_eq!(Rials::parse("۱۲٫۵"), Err(MoneyError::InvalidCharacters));
        assert_eq!(Rials::parse("500 تومان"), Err(MoneyError::InvalidCharacters));
        assert_eq!(Rials::parse(",,"), Err(MoneyError::InvalidCharacters));
        assert_eq!(Rials::parse("12a"), Err(MoneyError::InvalidCharacters));
    }

    #[test]
    fn checked_arithmetic() {
        let a = Rials::new(700);
        assert_eq!(a.checked_add(Rials::new(300)), Some(Rials::new(1000)));
        assert_eq!(a.checked_sub(Rials::new(1000)), Some(Rials::new(-300)));
        assert_eq!(a.checked_mul(3), Some(Rials::new(2100)));
        assert_eq!(Rials::new(i64::MAX).checked_add(Rials::new(1)), None);
        assert_eq!(Rials::new(i64::MIN).checked_sub(Rials::new(1)), None);
        assert_eq!(Rials::new(i64::MAX).checked_mul(2), None);
        assert_eq!(a.get(), 700);
    }

    #[test]
    fn serde_is_a_plain_integer() {
        assert_eq!(serde_json::to_string(&Rials::new(1500)).ok().as_deref(), Some("1500"));
        assert_eq!(serde_json::from_str::<Rials>("-20").ok(), Some(Rials::new(-20)));
    }

    #[test]
    fn messages_exist_in_both_languages() {
        for e in
            [MoneyError::Empty, MoneyError::InvalidCharacters, MoneyError::Negative, MoneyError::TooLarge]
        {
            assert!(!e.message(Lang::Fa).is_empty());
            assert!(e.message(Lang::En).is_ascii());
        }
    }
}
