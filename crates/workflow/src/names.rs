//! Names in both interface languages, and references to named parts of a service.

use daftar_types::Lang;
use serde::{Deserialize, Serialize};

/// A name in Persian and English. Both are required so that no screen, notice or error message
/// ever falls back to a code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Names {
    pub fa: String,
    pub en: String,
}

impl Names {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fa => &self.fa,
            Lang::En => &self.en,
        }
    }
}

/// A state, action or subtask as errors and outcomes refer to it: its stable code, for
/// programs, and its names, for people. Errors carry labels rather than bare codes so that
/// their messages can name things in the reader's language without a catalog lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Label {
    pub code: String,
    /// Boxed to keep the errors that carry labels small.
    pub names: Box<Names>,
}

impl Label {
    pub fn new(code: &str, names: &Names) -> Label {
        Label { code: code.to_owned(), names: Box::new(names.clone()) }
    }

    pub fn name(&self, lang: Lang) -> &str {
        self.names.get(lang)
    }
}
