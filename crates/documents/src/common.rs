//! Types and display rules shared by several documents.

use daftar_types::{JalaliDate, Lang, Rials, Timestamp, digits, number};
use serde::{Deserialize, Serialize};

use crate::error::{DocumentError, Sum};
use crate::seal::Seal;
use crate::text::{break_lines, persian_text};

/// A person named on a document. Only the masked national ID is printed, because documents are
/// photocopied and left on counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    /// As `NationalId::masked` writes it: `007****645`.
    pub masked_national_id: String,
}

/// Someone who approved or signs a document, with their post (`معاون شهرسازی`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approver {
    pub name: String,
    pub role: String,
}

/// A labelled value, printed as a row of a two-column table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub label: String,
    pub value: String,
}

/// Writes an identifier for print. Identifiers with Latin letters (`K7Q2-M9XD`) stay as typed,
/// so a reader can type them back on the verification page; purely numeric ones
/// (`1405-000123`, a masked national ID) get Persian digits like every other number.
pub(crate) fn identifier(s: &str) -> String {
    if s.chars().any(|c| c.is_ascii_alphabetic()) { s.to_owned() } else { digits::to_persian(s) }
}

/// A count or ordinal with Persian digits.
pub(crate) fn persian_number(n: i64) -> String {
    number::format_int(n, Lang::Fa)
}

/// An amount without the unit, for table columns headed `(ریال)`.
pub(crate) fn amount(rials: Rials) -> String {
    number::format_int(rials.get(), Lang::Fa)
}

/// An amount with its unit, for running text and totals.
pub(crate) fn amount_with_unit(rials: Rials) -> String {
    rials.format(Lang::Fa)
}

/// A date as letters and notices write it (`۱۲ آذر ۱۴۰۵`) with the numeric form that forms and
/// registers use (`۱۴۰۵/۰۹/۱۲`).
#[derive(Debug, Serialize)]
pub(crate) struct DateView {
    long: String,
    numeric: String,
}

impl From<JalaliDate> for DateView {
    fn from(date: JalaliDate) -> Self {
        DateView { long: date.format_long(Lang::Fa), numeric: date.format_numeric(Lang::Fa) }
    }
}

/// The date of an instant in Tehran, where the offices are.
pub(crate) fn tehran_date(at: Timestamp) -> JalaliDate {
    at.to_tehran().date()
}

#[derive(Debug, Serialize)]
pub(crate) struct PersonView {
    name: String,
    national_id: String,
}

impl From<&Person> for PersonView {
    fn from(person: &Person) -> Self {
        PersonView { name: persian_text(&person.name), national_id: identifier(&person.masked_national_id) }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct FieldView {
    label: String,
    value: String,
}

impl From<&Field> for FieldView {
    fn from(field: &Field) -> Self {
        FieldView { label: persian_text(&field.label), value: persian_text(&field.value) }
    }
}

/// An approver with Persian digits in their post (`مدیر منطقهٔ 3`).
#[derive(Debug, Serialize)]
pub(crate) struct ApproverView {
    name: String,
    role: String,
}

impl From<&Approver> for ApproverView {
    fn from(approver: &Approver) -> Self {
        ApproverView { name: persian_text(&approver.name), role: persian_text(&approver.role) }
    }
}

/// The signature block: who approved the document, and the digital signature in print.
#[derive(Debug, Serialize)]
pub(crate) struct SignatureView {
    approvers: Vec<ApproverView>,
    code: String,
    key_id: String,
    /// The base64 signature in short lines; unbroken it would run off the page.
    signature_lines: Vec<String>,
}

/// Characters per printed line of the signature: 88 base64 characters make two lines.
const SIGNATURE_LINE: usize = 44;

impl SignatureView {
    pub(crate) fn new(approvers: &[Approver], seal: &Seal) -> Self {
        SignatureView {
            approvers: approvers.iter().map(ApproverView::from).collect(),
            code: seal.payload.code.clone(),
            key_id: seal.key_id.clone(),
            signature_lines: break_lines(&seal.signature, SIGNATURE_LINE),
        }
    }
}

/// Refuses a seal made for another document, so a mix-up of records cannot produce a permit
/// that carries a valid signature over someone else's facts.
pub(crate) fn check_seal(seal: &Seal, kind: &str, number: &str) -> Result<(), DocumentError> {
    if seal.payload.kind == kind && seal.payload.number == number {
        Ok(())
    } else {
        Err(DocumentError::SealMismatch {
            sealed_kind: seal.payload.kind.clone(),
            sealed_number: seal.payload.number.clone(),
        })
    }
}

/// Refuses amounts that do not add up to their total.
pub(crate) fn check_sum(
    sum: Sum,
    parts: impl IntoIterator<Item = Rials>,
    total: Rials,
) -> Result<(), DocumentError> {
    // Added as i128 so that no number of i64 parts can overflow.
    let added: i128 = parts.into_iter().map(|part| i128::from(part.get())).sum();
    if added == i128::from(total.get()) {
        return Ok(());
    }
    let parts = Rials::new(i64::try_from(added).unwrap_or(if added < 0 { i64::MIN } else { i64::MAX }));
    Err(DocumentError::DoesNotAddUp { sum, parts, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_keep_latin_codes() {
        assert_eq!(identifier("1405-000123"), "۱۴۰۵-۰۰۰۱۲۳");
        assert_eq!(identifier("007****645"), "۰۰۷****۶۴۵");
        assert_eq!(identifier("K7Q2-M9XD"), "K7Q2-M9XD");
    }

    #[test]
    fn sums() {
        let parts = [Rials::new(2), Rials::new(3)];
        assert_eq!(check_sum(Sum::ReceiptShares, parts, Rials::new(5)), Ok(()));
        assert_eq!(
            check_sum(Sum::ReceiptShares, parts, Rials::new(6)),
            Err(DocumentError::DoesNotAddUp {
                sum: Sum::ReceiptShares,
                parts: Rials::new(5),
                total: Rials::new(6)
            })
        );
        let huge = [Rials::new(i64::MAX), Rials::new(i64::MAX)];
        assert!(check_sum(Sum::InvoiceLines, huge, Rials::new(1)).is_err());
    }

    #[test]
    fn amounts() {
        assert_eq!(amount(Rials::new(1_250_000)), "۱٬۲۵۰٬۰۰۰");
        assert_eq!(amount_with_unit(Rials::new(1_250_000)), "۱٬۲۵۰٬۰۰۰ ریال");
    }
}
