//! Text preparation shared by the documents: digits, isolation marks and line breaking.
//!
//! Everything a template prints is prepared here in Rust, so the templates only lay out strings
//! and every document writes numbers the same way.

use daftar_types::{Lang, digits, number};

/// Removes the Unicode directional isolates (LRI, RLI, FSI, PDI). Fluent wraps every placeable
/// in FSI…PDI; browsers honour them, but the font has no glyphs for them and the PDF layout does
/// its own bidi, so in a document they would only risk blank boxes.
pub(crate) fn strip_isolates(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, '\u{2066}'..='\u{2069}')).collect()
}

/// Writes an expression (a fee formula or its arithmetic) with Persian digits. Numbers are
/// grouped by three and get the Persian decimal separator; digits that belong to a name such as
/// `rate2` are only converted, since grouping them would change the name.
pub(crate) fn persian_expression(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    let mut rest = s;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        let (before, from_digit) = rest.split_at(start);
        out.push_str(before);
        let len = number_len(from_digit);
        let (run, after) = from_digit.split_at(len);
        let in_name = before.chars().next_back().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if in_name {
            out.push_str(&digits::to_persian(run));
        } else {
            out.push_str(&number::format_decimal_str(run, Lang::Fa));
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The byte length of the number at the start of `s`: digits, optionally a `.` and more digits.
fn number_len(s: &str) -> usize {
    let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
    let frac = &s.as_bytes()[int_len..];
    let frac_len = match frac.split_first() {
        Some((b'.', tail)) => tail.iter().take_while(|b| b.is_ascii_digit()).count(),
        _ => 0,
    };
    if frac_len > 0 { int_len + 1 + frac_len } else { int_len }
}

/// Writes free Persian text with Persian digits; a `.` between two digits becomes the Persian
/// decimal separator (`2.4 متر` → `۲٫۴ متر`). Numbers are not grouped, since in free text a
/// digit run may be a code or a year.
pub(crate) fn persian_text(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let digit_at = |i: Option<usize>| i.and_then(|i| chars.get(i)).is_some_and(char::is_ascii_digit);
    let decimal_point = |i: usize| chars[i] == '.' && digit_at(i.checked_sub(1)) && digit_at(Some(i + 1));
    let text: String =
        (0..chars.len()).map(|i| if decimal_point(i) { '\u{066B}' } else { chars[i] }).collect();
    digits::to_persian(&text)
}

/// Localises a plain decimal such as an area in m² (`380.5` → `۳۸۰٫۵`).
pub(crate) fn persian_decimal(s: &str) -> String {
    number::format_decimal_str(s, Lang::Fa)
}

/// Splits a long unbreakable string (a signature) into lines of `width` characters, because the
/// layout cannot break inside a word and it would run off the page.
pub(crate) fn break_lines(s: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(width.max(1)).map(|chunk| chunk.iter().collect()).collect()
}

/// The Persian name of a building level: `همکف` for the ground floor, `طبقهٔ ۲` above it and
/// `زیرزمین ۱` below it.
pub(crate) fn level_name(level: i32) -> String {
    match level {
        0 => "همکف".to_owned(),
        l if l > 0 => format!("طبقهٔ {}", number::format_int(i64::from(l), Lang::Fa)),
        l => format!("زیرزمین {}", number::format_int(-i64::from(l), Lang::Fa)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isolates_are_removed() {
        assert_eq!(strip_isolates("\u{2068}۱۲\u{2069} ریال \u{2066}x\u{2069}"), "۱۲ ریال x");
    }

    #[test]
    fn expressions_get_persian_grouped_numbers() {
        assert_eq!(
            persian_expression("380 × 3 × 1234567 = 1407406380 → 1407406000"),
            "۳۸۰ × ۳ × ۱٬۲۳۴٬۵۶۷ = ۱٬۴۰۷٬۴۰۶٬۳۸۰ → ۱٬۴۰۷٬۴۰۶٬۰۰۰"
        );
        assert_eq!(persian_expression("area × multiplier(level) × P"), "area × multiplier(level) × P");
        assert_eq!(persian_expression("0.125 × rate2 ÷ 100"), "۰٫۱۲۵ × rate۲ ÷ ۱۰۰");
        assert_eq!(persian_expression("12. + 3"), "۱۲. + ۳");
        assert_eq!(persian_expression(""), "");
    }

    #[test]
    fn free_text_gets_persian_digits_and_decimal_separators() {
        assert_eq!(persian_text("عقب‌نشینی 2.4 متر در بند 4."), "عقب‌نشینی ۲٫۴ متر در بند ۴.");
        assert_eq!(persian_text("1-27-04567"), "۱-۲۷-۰۴۵۶۷");
        assert_eq!(persian_text(".5 و 5."), ".۵ و ۵.");
    }

    #[test]
    fn decimals_and_levels() {
        assert_eq!(persian_decimal("1380.5"), "۱٬۳۸۰٫۵");
        assert_eq!(level_name(0), "همکف");
        assert_eq!(level_name(3), "طبقهٔ ۳");
        assert_eq!(level_name(-1), "زیرزمین ۱");
    }

    #[test]
    fn long_strings_are_broken() {
        assert_eq!(break_lines("abcdefg", 3), ["abc", "def", "g"]);
        assert!(break_lines("", 3).is_empty());
    }
}
