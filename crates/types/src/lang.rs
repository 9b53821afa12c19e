//! The two user-interface languages.

use serde::{Deserialize, Serialize};

/// A user-interface language. Persian is the default because the offices and most of their
/// clients work in Persian; English serves foreign nationals and auditors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Persian (Farsi), written right to left with Persian digits.
    #[default]
    Fa,
    /// English, with ASCII digits.
    En,
}

impl Lang {
    /// The BCP 47 language code, as used in `lang` attributes, cookies and URLs.
    pub const fn code(self) -> &'static str {
        match self {
            Lang::Fa => "fa",
            Lang::En => "en",
        }
    }

    /// Reads a language code as produced by [`Lang::code`]; `None` for anything else, so the
    /// caller decides the fallback.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "fa" => Some(Lang::Fa),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for lang in [Lang::Fa, Lang::En] {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("de"), None);
        assert_eq!(Lang::from_code("FA"), None);
        assert_eq!(Lang::default(), Lang::Fa);
    }

    #[test]
    fn serde_uses_codes() {
        assert_eq!(serde_json::to_string(&Lang::Fa).ok().as_deref(), Some("\"fa\""));
        assert_eq!(serde_json::to_string(&Lang::En).ok().as_deref(), Some("\"en\""));
        assert_eq!(serde_json::from_str::<Lang>("\"en\"").ok(), Some(Lang::En));
        assert!(serde_json::from_str::<Lang>("\"de\"").is_err());
    }
}
