//! Canonical Persian text and search keys.
//!
//! The same word reaches the system in several byte sequences: Arabic keyboards type ي and ك,
//! PDFs and old software emit presentation forms, people stretch words with tatweel. Storing one
//! canonical form keeps equality and uniqueness checks honest; the search key folds further so
//! that a query finds a name however either side was typed.

use unicode_normalization::UnicodeNormalization;

use crate::digits;

/// ZERO WIDTH NON-JOINER: part of Persian spelling (می‌شود), so display text keeps it.
const ZWNJ: char = '\u{200C}';

/// Canonical display form of Persian (or mixed) text.
///
/// Maps Arabic ي/ى to Persian ی and Arabic ك to Persian ک, replaces Arabic presentation forms
/// with their base letters, drops tatweel, soft hyphens and byte-order marks, applies NFC,
/// keeps single ZWNJs between letters (dropping repeats and those next to spaces or at the ends),
/// collapses whitespace runs to one space and trims.
pub fn normalize(s: &str) -> String {
    let mut mapped = String::with_capacity(s.len());
    for c in s.chars() {
        if is_presentation_form(c) {
            // The compatibility decomposition of a presentation form is its base letter(s).
            for base in std::iter::once(c).nfkc() {
                push_mapped(&mut mapped, base);
            }
        } else {
            push_mapped(&mut mapped, c);
        }
    }
    let composed: String = mapped.nfc().collect();
    collapse_spacing(composed.chars())
}

/// Key for search and duplicate detection, insensitive to how the text was typed: [`normalize`],
/// then remove ZWNJs and Arabic diacritics, fold ة/ۀ to ه, fold digits to ASCII and lowercase.
///
/// Store it next to the canonical text and compute it the same way for queries.
pub fn search_key(s: &str) -> String {
    let normalized = normalize(s);
    let folded = normalized.chars().filter_map(|c| match c {
        // Diacritics (harakat, including the hamza above that spells ۀ as ه + ٔ) are optional
        // in Persian writing, so a query must not depend on them.
        ZWNJ | '\u{064B}'..='\u{065F}' | '\u{0670}' => None,
        'ة' | 'ۀ' => Some('ه'),
        _ => Some(digits::fold_digit(c)),
    });
    collapse_spacing(folded.flat_map(char::to_lowercase))
}

fn is_presentation_form(c: char) -> bool {
    matches!(c, '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

fn push_mapped(out: &mut String, c: char) {
    match c {
        'ي' | 'ى' => out.push('ی'),
        'ك' => out.push('ک'),
        // Tatweel, soft hyphen and byte-order mark are invisible or purely decorative.
        '\u{0640}' | '\u{00AD}' | '\u{FEFF}' => {}
        _ => out.push(c),
    }
}

/// Collapses each run of whitespace and ZWNJs between visible characters to one space (if the
/// run holds whitespace) or one ZWNJ, and drops such runs at both ends.
fn collapse_spacing(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    let mut pending_space = false;
    let mut pending_zwnj = false;
    for c in chars {
        if c.is_whitespace() {
            pending_space = true;
        } else if c == ZWNJ {
            pending_zwnj = true;
        } else {
            if !out.is_empty() {
                if pending_space {
                    out.push(' ');
                } else if pending_zwnj {
                    out.push(ZWNJ);
                }
            }
            pending_space = false;
            pending_zwnj = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_letters_become_persian() {
        assert_eq!(normalize("كتاب"), "کتاب");
        assert_eq!(normalize("مي\u{200C}شود"), "می\u{200C}شود");
        assert_eq!(normalize("موسى"), "موسی");
        assert_eq!(normalize("علي"), "علی");
    }

    #[test]
    fn tatweel_soft_hyphen_and_bom_are_dropped() {
        assert_eq!(normalize("کـــتاب"), "کتاب");
        assert_eq!(normalize("کتاب\u{00AD}خانه"), "کتابخانه");
        assert_eq!(normalize("\u{FEFF}سلام"), "سلام");
    }

    #[test]
    fn presentation_forms_become_base_letters() {
        // ﻛﺘﺎﺏ: KAF initial, TEH medial, ALEF final, BEH isolated.
        assert_eq!(normalize("\u{FEDB}\u{FE98}\u{FE8E}\u{FE8F}"), "کتاب");
        // ﻻ: the LAM-ALEF ligature.
        assert_eq!(normalize("\u{FEFB}"), "لا");
        // ﯼ: FARSI YEH isolated.
        assert_eq!(normalize("\u{FBFC}"), "ی");
        // ﻱ: Arabic YEH isolated becomes the Persian yeh too.
        assert_eq!(normalize("\u{FEF1}"), "ی");
    }

    #[test]
    fn nfc() {
        assert_eq!(normalize("\u{0627}\u{0653}ب"), "آب");
    }

    #[test]
    fn zwnj_handling() {
        assert_eq!(normalize("می\u{200C}\u{200C}شود"), "می\u{200C}شود");
        assert_eq!(normalize("می\u{200C} شود"), "می شود");
        assert_eq!(normalize("می \u{200C}شود"), "می شود");
        assert_eq!(normalize("\u{200C}کتاب\u{200C}"), "کتاب");
        assert_eq!(normalize("\u{200C} \u{200C}"), "");
    }

    #[test]
    fn whitespace_is_collapsed_and_trimmed() {
        assert_eq!(normalize("  سلام\t\n  دنیا \u{00A0} "), "سلام دنیا");
        assert_eq!(normalize(""), "");
        assert_eq!(normalize(" \t "), "");
    }

    #[test]
    fn search_keys_match_across_spellings() {
        let key = search_key("می\u{200C}شود");
        assert_eq!(key, "میشود");
        assert_eq!(search_key("مي\u{200C}شود"), key);
        assert_eq!(search_key("ميشود"), key);
        assert_eq!(search_key("خانهٔ من"), search_key("خانۀ من"));
        assert_eq!(search_key("خانۀ من"), "خانه من");
        assert_eq!(search_key("مدرسة"), "مدرسه");
        assert_eq!(search_key("كتاب"), search_key("کـــتاب"));
        assert_eq!(search_key("  پلاک ۱۲  Tehran "), "پلاک 12 tehran");
        assert_eq!(search_key("محمّد"), "محمد");
        assert_eq!(search_key("٤٥"), "45");
    }
}
