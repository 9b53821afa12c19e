//! Locale-aware display of numbers.
//!
//! Written by hand because the rules are fixed and tiny (groups of three, Persian digits and
//! separators), which keeps ICU's number data out of this crate.

use crate::digits;
use crate::lang::Lang;

/// Persian thousands separator (ARABIC THOUSANDS SEPARATOR).
const FA_GROUP: char = '\u{066C}';
/// Persian decimal separator (ARABIC DECIMAL SEPARATOR).
const FA_DECIMAL: char = '\u{066B}';
/// Persian minus sign as in CLDR: a left-to-right mark keeps the sign on the left of the digits
/// inside right-to-left text, and U+2212 is the typographic minus.
const FA_MINUS: &str = "\u{200E}\u{2212}";

/// Formats an integer with thousands separators: `۱٬۲۵۰٬۰۰۰` in Persian, `1,250,000` in English.
pub fn format_int(n: i64, lang: Lang) -> String {
    let mut out = String::new();
    if n < 0 {
        out.push_str(minus(lang));
    }
    push_grouped(&mut out, &n.unsigned_abs().to_string(), lang);
    out
}

/// Localises an already formatted decimal such as `-1234.5` (for example the output of a
/// decimal type's `to_string`): digits grouped by three, Persian digits and separators in
/// Persian (`‎−۱٬۲۳۴٫۵`), `-1,234.5` in English. A string that is not a plain decimal
/// (optional `-`, digits, optional `.` and digits) only has its digits localised.
pub fn format_decimal_str(s: &str, lang: Lang) -> String {
    let ascii = digits::fold_to_ascii(s.trim());
    let (negative, unsigned) = match ascii.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, ascii.as_str()),
    };
    let (int_part, frac_part) = match unsigned.split_once('.') {
        Some((int_part, frac_part)) => (int_part, Some(frac_part)),
        None => (unsigned, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int_part) || frac_part.is_some_and(|f| !all_digits(f)) {
        return digits::localize(s, lang);
    }

    let mut out = String::new();
    if negative {
        out.push_str(minus(lang));
    }
    push_grouped(&mut out, int_part, lang);
    if let Some(frac) = frac_part {
        out.push(match lang {
            Lang::Fa => FA_DECIMAL,
            Lang::En => '.',
        });
        out.push_str(&digits::localize(frac, lang));
    }
    out
}

fn minus(lang: Lang) -> &'static str {
    match lang {
        Lang::Fa => FA_MINUS,
        Lang::En => "-",
    }
}

/// Appends the ASCII digit string `int_digits` grouped by three from the right.
fn push_grouped(out: &mut String, int_digits: &str, lang: Lang) {
    let separator = match lang {
        Lang::Fa => FA_GROUP,
        Lang::En => ',',
    };
    let len = int_digits.len();
    let mut grouped = String::with_capacity(len + len / 3);
    for (i, c) in int_digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            grouped.push(separator);
        }
        grouped.push(c);
    }
    out.push_str(&digits::localize(&grouped, lang));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(format_int(1_250_000, Lang::Fa), "۱٬۲۵۰٬۰۰۰");
        assert_eq!(format_int(1_250_000, Lang::En), "1,250,000");
        assert_eq!(format_int(0, Lang::Fa), "۰");
        assert_eq!(format_int(999, Lang::En), "999");
        assert_eq!(format_int(1000, Lang::En), "1,000");
        assert_eq!(format_int(100_000, Lang::En), "100,000");
        assert_eq!(format_int(-1234, Lang::En), "-1,234");
        assert_eq!(format_int(-1234, Lang::Fa), "\u{200E}\u{2212}۱٬۲۳۴");
        assert_eq!(format_int(i64::MIN, Lang::En), "-9,223,372,036,854,775,808");
        assert_eq!(format_int(i64::MAX, Lang::Fa), "۹٬۲۲۳٬۳۷۲٬۰۳۶٬۸۵۴٬۷۷۵٬۸۰۷");
    }

    #[test]
    fn decimals() {
        assert_eq!(format_decimal_str("-1234.5", Lang::En), "-1,234.5");
        assert_eq!(format_decimal_str("-1234.5", Lang::Fa), "\u{200E}\u{2212}۱٬۲۳۴٫۵");
        assert_eq!(format_decimal_str("1234567", Lang::Fa), "۱٬۲۳۴٬۵۶۷");
        assert_eq!(format_decimal_str("0.125", Lang::Fa), "۰٫۱۲۵");
        assert_eq!(format_decimal_str(" 12.50 ", Lang::En), "12.50");
        assert_eq!(format_decimal_str("۱۲۳۴٫۵", Lang::En), "1234٫5");
    }

    #[test]
    fn non_decimals_only_get_their_digits_localised() {
        assert_eq!(format_decimal_str("1.2.3", Lang::Fa), "۱.۲.۳");
        assert_eq!(format_decimal_str("12.", Lang::En), "12.");
        assert_eq!(format_decimal_str("-", Lang::En), "-");
        assert_eq!(format_decimal_str("abc", Lang::Fa), "abc");
        assert_eq!(format_decimal_str("", Lang::Fa), "");
    }
}
