//! Why a document could not be produced.

use daftar_types::{Lang, Rials};

/// A document could not be rendered. The first two variants are faults of this crate (a template
/// bug); the others come from data the caller passed in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// The template failed to typeset; `details` lists typst's diagnostics.
    #[error("the document could not be typeset: {details}")]
    Typeset { details: String },
    /// The typeset pages could not be written as PDF.
    #[error("the PDF could not be written: {details}")]
    Export { details: String },
    /// The verification URL does not fit in a QR code.
    #[error("the verification URL is too long for a QR code")]
    UrlTooLong,
    /// Amounts that must add up to a total do not; printing them would give a wrong document.
    #[error("the {sum:?} add up to {parts:?}, not to {total:?}")]
    DoesNotAddUp { sum: Sum, parts: Rials, total: Rials },
    /// The seal was made for another document (its kind or number differs).
    #[error("the seal belongs to {sealed_kind} {sealed_number}, not to this document")]
    SealMismatch { sealed_kind: String, sealed_number: String },
}

impl DocumentError {
    /// A sentence for the staff member who asked for the document.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (DocumentError::Typeset { details }, Lang::Fa) => {
                format!("صفحه‌آرایی سند انجام نشد. جزئیات فنی: {details}")
            }
            (DocumentError::Typeset { details }, Lang::En) => {
                format!("The document could not be typeset. Technical details: {details}")
            }
            (DocumentError::Export { details }, Lang::Fa) => {
                format!("فایل PDF سند ساخته نشد. جزئیات فنی: {details}")
            }
            (DocumentError::Export { details }, Lang::En) => {
                format!("The PDF file could not be written. Technical details: {details}")
            }
            (DocumentError::UrlTooLong, Lang::Fa) => {
                "نشانی استعلام برای کد QR بیش از حد طولانی است.".to_owned()
            }
            (DocumentError::UrlTooLong, Lang::En) => {
                "The verification address is too long for a QR code.".to_owned()
            }
            (DocumentError::DoesNotAddUp { sum, parts, total }, Lang::Fa) => format!(
                "جمع {} ({}) با {} ({}) برابر نیست.",
                sum.parts_name(Lang::Fa),
                parts.format(Lang::Fa),
                sum.total_name(Lang::Fa),
                total.format(Lang::Fa)
            ),
            (DocumentError::DoesNotAddUp { sum, parts, total }, Lang::En) => format!(
                "The {} add up to {}, not to the {}, {}.",
                sum.parts_name(Lang::En),
                parts.format(Lang::En),
                sum.total_name(Lang::En),
                total.format(Lang::En)
            ),
            (DocumentError::SealMismatch { .. }, Lang::Fa) => {
                "امضای دیجیتال به سند دیگری تعلق دارد.".to_owned()
            }
            (DocumentError::SealMismatch { .. }, Lang::En) => {
                "The digital signature belongs to another document.".to_owned()
            }
        }
    }
}

/// Which amounts failed to add up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sum {
    /// An invoice's lines and its grand total.
    InvoiceLines,
    /// An invoice's totals per party and its grand total.
    PartyTotals,
    /// A receipt's shares per party and the amount paid.
    ReceiptShares,
}

impl Sum {
    fn parts_name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Sum::InvoiceLines, Lang::Fa) => "ردیف‌های صورت‌حساب",
            (Sum::InvoiceLines, Lang::En) => "invoice lines",
            (Sum::PartyTotals, Lang::Fa) => "سهم ذی‌نفعان",
            (Sum::PartyTotals, Lang::En) => "totals per party",
            (Sum::ReceiptShares, Lang::Fa) => "سهم‌های پرداخت",
            (Sum::ReceiptShares, Lang::En) => "shares of the payment",
        }
    }

    fn total_name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Sum::InvoiceLines | Sum::PartyTotals, Lang::Fa) => "جمع کل صورت‌حساب",
            (Sum::InvoiceLines | Sum::PartyTotals, Lang::En) => "invoice's grand total",
            (Sum::ReceiptShares, Lang::Fa) => "مبلغ پرداخت‌شده",
            (Sum::ReceiptShares, Lang::En) => "amount paid",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_exist_in_both_languages() {
        let errors = [
            DocumentError::Typeset { details: "x".to_owned() },
            DocumentError::Export { details: "x".to_owned() },
            DocumentError::UrlTooLong,
            DocumentError::DoesNotAddUp {
                sum: Sum::InvoiceLines,
                parts: Rials::new(1),
                total: Rials::new(2),
            },
            DocumentError::DoesNotAddUp { sum: Sum::PartyTotals, parts: Rials::new(1), total: Rials::new(2) },
            DocumentError::DoesNotAddUp {
                sum: Sum::ReceiptShares,
                parts: Rials::new(1),
                total: Rials::new(2),
            },
            DocumentError::SealMismatch { sealed_kind: "permit".to_owned(), sealed_number: "1".to_owned() },
        ];
        for error in errors {
            assert!(error.message(Lang::Fa).chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)));
            assert!(error.message(Lang::En).is_ascii());
        }
    }
}
