//! Checking uploads against the documents a service asks for.
//!
//! The office's upload handler calls these before storing a file, and derives the
//! `documents_complete` fact from [`ServiceDefinition::missing_documents`], so the service file
//! stays the single source of what each service needs.

use daftar_types::{Lang, digits, number};

use crate::definition::{DocumentSpec, ServiceDefinition};
use crate::names::Names;

/// What is wrong with an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentProblem {
    Empty,
    WrongType { allowed: Vec<String> },
    TooLarge { max_bytes: u64 },
}

/// An upload refused for a document, naming the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError {
    pub document: String,
    pub name: Names,
    pub problem: DocumentProblem,
}

impl DocumentError {
    /// `«Title deed»: …` — the document's name, then the problem.
    pub fn message(&self, lang: Lang) -> String {
        let name = self.name.get(lang);
        let text = match (&self.problem, lang) {
            (DocumentProblem::Empty, Lang::Fa) => format!("«{name}»: پرونده خالی است."),
            (DocumentProblem::Empty, Lang::En) => format!("“{name}”: the file is empty."),
            (DocumentProblem::WrongType { allowed }, Lang::Fa) => {
                format!("«{name}»: این نوع پرونده پذیرفته نیست؛ نوع‌های مجاز: {}.", allowed.join("، "))
            }
            (DocumentProblem::WrongType { allowed }, Lang::En) => {
                format!(
                    "“{name}”: this type of file is not accepted; accepted types: {}.",
                    allowed.join(", ")
                )
            }
            (DocumentProblem::TooLarge { max_bytes }, Lang::Fa) => {
                format!("«{name}»: حجم پرونده بیش از {} است.", size(*max_bytes, lang))
            }
            (DocumentProblem::TooLarge { max_bytes }, Lang::En) => {
                format!("“{name}”: the file is larger than {}.", size(*max_bytes, lang))
            }
        };
        digits::localize(&text, lang)
    }
}

/// A size in the largest binary unit that divides it evenly, as limits are usually set.
fn size(bytes: u64, lang: Lang) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = KIB * KIB;
    let (amount, fa, en) = match bytes {
        b if b >= MIB && b % MIB == 0 => (b / MIB, "مگابایت", "MB"),
        b if b >= KIB && b % KIB == 0 => (b / KIB, "کیلوبایت", "KB"),
        b => (b, "بایت", "bytes"),
    };
    let amount = number::format_int(i64::try_from(amount).unwrap_or(i64::MAX), lang);
    match lang {
        Lang::Fa => format!("{amount} {fa}"),
        Lang::En => format!("{amount} {en}"),
    }
}

impl DocumentSpec {
    /// Checks an upload's declared MIME type (parameters such as `; charset=…` ignored) and
    /// size. The declared type is the client's claim; the caller still inspects the content.
    pub fn check(&self, mime_type: &str, bytes: u64) -> Result<(), DocumentError> {
        let essence = mime_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let problem = if bytes == 0 {
            DocumentProblem::Empty
        } else if !self.mime_types.contains(&essence) {
            DocumentProblem::WrongType { allowed: self.mime_types.clone() }
        } else if bytes > self.max_bytes {
            DocumentProblem::TooLarge { max_bytes: self.max_bytes }
        } else {
            return Ok(());
        };
        Err(DocumentError { document: self.code.clone(), name: self.name.clone(), problem })
    }
}

impl ServiceDefinition {
    /// The required documents whose codes are not among `uploaded`, in the file's order.
    pub fn missing_documents<'a>(&self, uploaded: impl IntoIterator<Item = &'a str>) -> Vec<&DocumentSpec> {
        let uploaded: Vec<&str> = uploaded.into_iter().collect();
        self.documents.iter().filter(|d| d.required && !uploaded.contains(&d.code.as_str())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_even_units() {
        assert_eq!(size(10 * 1024 * 1024, Lang::En), "10 MB");
        assert_eq!(size(1536, Lang::En), "1,536 bytes");
        assert_eq!(size(512 * 1024, Lang::Fa), "۵۱۲ کیلوبایت");
        assert_eq!(size(1000, Lang::En), "1,000 bytes");
    }
}
