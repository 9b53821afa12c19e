//! Conversion between ASCII, Persian and Arabic-Indic digits.
//!
//! People type all three kinds of digits (depending on keyboard layout and phone), while Rust's
//! number parsing accepts ASCII only; and Persian text must display Persian digits.

use crate::lang::Lang;

const PERSIAN_DIGITS: [char; 10] = ['۰', '۱', '۲', '۳', '۴', '۵', '۶', '۷', '۸', '۹'];

/// Replaces Persian (U+06F0–U+06F9) and Arabic-Indic (U+0660–U+0669) digits with ASCII digits;
/// every other character is kept as it is.
pub fn fold_to_ascii(s: &str) -> String {
    s.chars().map(fold_digit).collect()
}

/// Replaces ASCII digits with Persian digits; every other character is kept as it is.
pub fn to_persian(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => PERSIAN_DIGITS[usize::from(c as u8 - b'0')],
            _ => c,
        })
        .collect()
}

/// Writes the digits of `s` the way `lang` displays them: Persian digits for Persian, ASCII
/// digits for English.
pub fn localize(s: &str, lang: Lang) -> String {
    match lang {
        Lang::Fa => to_persian(s),
        Lang::En => fold_to_ascii(s),
    }
}

/// The ASCII digit for a Persian or Arabic-Indic digit, or `c` itself.
pub(crate) fn fold_digit(c: char) -> char {
    let zero = match c {
        '\u{06F0}'..='\u{06F9}' => '\u{06F0}',
        '\u{0660}'..='\u{0669}' => '\u{0660}',
        _ => return c,
    };
    // The distance is below 10, so it fits in a byte.
    char::from(b'0' + (u32::from(c) - u32::from(zero)) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_all_three_kinds() {
        assert_eq!(fold_to_ascii("۰۱۲۳۴۵۶۷۸۹"), "0123456789");
        assert_eq!(fold_to_ascii("٠١٢٣٤٥٦٧٨٩"), "0123456789");
        assert_eq!(fold_to_ascii("کد ۱۲۳-abc٤"), "کد 123-abc4");
        assert_eq!(fold_to_ascii(""), "");
    }

    #[test]
    fn to_persian_converts_ascii_only() {
        assert_eq!(to_persian("0123456789"), "۰۱۲۳۴۵۶۷۸۹");
        assert_eq!(to_persian("IR 12/٣"), "IR ۱۲/٣");
    }

    #[test]
    fn localize_per_language() {
        assert_eq!(localize("1405/09/12", Lang::Fa), "۱۴۰۵/۰۹/۱۲");
        assert_eq!(localize("۱۴۰۵/09/12", Lang::En), "1405/09/12");
    }
}
