//! Small helpers shared by the Persian and English renderers of explanations.

use daftar_types::{Lang, number};
use rust_decimal::Decimal;
use serde::Serializer;

/// A count or amount with grouped, localised digits: `۱٬۲۰۰`, `1,200`.
pub(crate) fn int(n: impl Into<i64>, lang: Lang) -> String {
    number::format_int(n.into(), lang)
}

/// A decimal without trailing zeros, localised: `۸۲٫۵`, `82.5`.
pub(crate) fn dec(d: Decimal, lang: Lang) -> String {
    number::format_decimal_str(&d.normalize().to_string(), lang)
}

/// A share as a percentage rounded to two places: `۵۰٪`, `50%`.
pub(crate) fn percent(share: Decimal, lang: Lang) -> String {
    let value = dec((share * Decimal::ONE_HUNDRED).round_dp(2), lang);
    match lang {
        Lang::Fa => format!("{value}٪"),
        Lang::En => format!("{value}%"),
    }
}

/// Joins alternatives the way each language writes them: `الف، ب یا ج`, `A, B or C`.
pub(crate) fn alternatives(items: &[String], lang: Lang) -> String {
    let (comma, or) = match lang {
        Lang::Fa => ("، ", " یا "),
        Lang::En => (", ", " or "),
    };
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{}{or}{last}", init.join(comma)),
    }
}

/// The closing sentence of every condition's explanation.
pub(crate) fn verdict(passed: bool, lang: Lang) -> &'static str {
    match (passed, lang) {
        (true, Lang::Fa) => "این شرط برآورده می‌شود.",
        (false, Lang::Fa) => "این شرط برآورده نمی‌شود.",
        (true, Lang::En) => "Met.",
        (false, Lang::En) => "Not met.",
    }
}

/// Serialises a decimal without trailing zeros, so equal values (`82.5`, `82.50`) serialise
/// alike and the inputs digest depends on values, not on how they were typed.
pub(crate) fn normalized<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&value.normalize())
}

/// Serialises a value by its `Display` form, for error types that are shown rather than parsed.
pub(crate) fn display<T: std::fmt::Display, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_alternatives() {
        let items = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(alternatives(&items(&["a", "b", "c"]), Lang::En), "a, b or c");
        assert_eq!(alternatives(&items(&["الف", "ب", "ج"]), Lang::Fa), "الف، ب یا ج");
        assert_eq!(alternatives(&items(&["a"]), Lang::En), "a");
        assert_eq!(alternatives(&[], Lang::En), "");
    }

    #[test]
    fn numbers() {
        assert_eq!(dec(Decimal::new(8250, 2), Lang::Fa), "۸۲٫۵");
        assert_eq!(percent(Decimal::new(5, 1), Lang::Fa), "۵۰٪");
        assert_eq!(percent(Decimal::ONE / Decimal::from(3), Lang::En), "33.33%");
        assert_eq!(int(1200, Lang::En), "1,200");
    }
}
