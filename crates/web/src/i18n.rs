//! Interface text in Persian and English (Fluent files under `locales/`, embedded at build
//! time). Fluent's bidi isolation marks around placeables are kept: in HTML they keep a Latin
//! name or a number from reordering the Persian sentence around it.

use std::borrow::Cow;
use std::collections::HashMap;

use daftar_types::Lang;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "fa",
    };
}

static FA: LanguageIdentifier = langid!("fa");
static EN: LanguageIdentifier = langid!("en");

fn id(lang: Lang) -> &'static LanguageIdentifier {
    match lang {
        Lang::Fa => &FA,
        Lang::En => &EN,
    }
}

pub fn t(lang: Lang, key: &str) -> String {
    LOCALES.lookup(id(lang), key)
}

/// A message, or `None` when the locale files lack the key.
pub fn try_t(lang: Lang, key: &str) -> Option<String> {
    LOCALES.try_lookup(id(lang), key)
}

/// A message with named arguments; values are already localised strings.
pub fn t_args(lang: Lang, key: &str, args: &[(&'static str, String)]) -> String {
    let args: HashMap<Cow<'static, str>, FluentValue> =
        args.iter().map(|(name, value)| (Cow::Borrowed(*name), FluentValue::from(value.clone()))).collect();
    LOCALES.lookup_with_args(id(lang), key, &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_key() {
        let fa = [
            include_str!("../locales/fa/main.ftl"),
            include_str!("../locales/fa/plan.ftl"),
            include_str!("../locales/fa/money.ftl"),
            include_str!("../locales/fa/licensing.ftl"),
            include_str!("../locales/fa/cases.ftl"),
        ]
        .concat();
        let en = [
            include_str!("../locales/en/main.ftl"),
            include_str!("../locales/en/plan.ftl"),
            include_str!("../locales/en/money.ftl"),
            include_str!("../locales/en/licensing.ftl"),
            include_str!("../locales/en/cases.ftl"),
        ]
        .concat();
        let keys = |text: &str| -> Vec<String> {
            text.lines()
                .filter_map(|line| line.split_once(" = ").map(|(k, _)| k.trim().to_string()))
                .filter(|k| !k.starts_with('#') && !k.is_empty())
                .collect()
        };
        assert_eq!(keys(&fa), keys(&en));
        assert_eq!(t(Lang::Fa, "nav-home"), "خانه");
        assert_eq!(t(Lang::En, "nav-home"), "Home");
    }
}
