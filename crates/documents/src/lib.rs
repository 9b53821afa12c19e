//! The official documents of Daftar as PDF: fee invoices, payment receipts, building permits,
//! office licences and certificates.
//!
//! Documents are typeset with typst from templates and fonts compiled into the crate, so a
//! server needs no fonts installed and every server prints identical pages. Persian comes first:
//! pages are right to left, every number and date has Persian digits, and Latin formulas and
//! codes are set left to right inside the Persian text.
//!
//! Callers pass plain data whose values are already decided (amounts, dates, names); the crate
//! only formats and lays them out, and refuses totals that do not add up. Permits, licences and
//! certificates carry an Ed25519 [`Seal`] that [`verify_pdf`] checks from the file alone.
//!
//! The crate does no I/O. A page costs a few milliseconds of CPU once the fonts and templates are
//! loaded (on the first render), so async callers should render on a blocking thread.

mod certificate;
mod common;
mod engine;
mod error;
mod invoice;
mod licence;
mod permit;
mod receipt;
pub mod samples;
mod seal;
mod text;

pub use certificate::{CertificateDocument, render_certificate};
pub use common::{Approver, Field, Person};
pub use error::{DocumentError, Sum};
pub use invoice::{
    CashDiscount, Instalment, InstalmentPlan, InvoiceDocument, InvoiceLine, InvoiceStatus, PartyTotals,
    Waiver, render_invoice,
};
pub use licence::{LICENCE_KIND, LicenceDocument, render_licence};
pub use permit::{Level, Owner, PERMIT_KIND, Parcel, PermitDocument, render_permit};
pub use receipt::{ReceiptDocument, Share, render_receipt};
pub use seal::{SEAL_FILE_NAME, Seal, SignedPayload, VerifyError, key_id, verify_pdf};

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;

    use super::*;

    fn invoice_variants() -> Vec<InvoiceDocument> {
        let mut plain = samples::invoice();
        plain.cash_discount = None;
        plain.waiver = None;
        plain.instalments = None;
        plain.status = InvoiceStatus::Paid;
        let mut cancelled = samples::invoice();
        cancelled.status = InvoiceStatus::Cancelled;
        vec![samples::invoice(), plain, cancelled]
    }

    /// Every template and every optional part typesets (warnings included, which the engine
    /// refuses).
    #[test]
    fn every_template_and_optional_part_typesets() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let permit = samples::permit();
        let licence = samples::licence();
        let mut certificate = samples::certificate();
        certificate.valid_until = Some(daftar_types::JalaliDate::MAX);
        let mut rendered: Vec<_> = invoice_variants().iter().map(render_invoice).collect();
        rendered.push(render_receipt(&samples::receipt()));
        rendered.push(render_permit(&permit, &Seal::sign(permit.signed_payload(), &key)));
        rendered.push(render_licence(&licence, &Seal::sign(licence.signed_payload(), &key)));
        rendered.push(render_certificate(&certificate, &Seal::sign(certificate.signed_payload(), &key)));
        for result in rendered {
            assert_eq!(result.map(|_| ()), Ok(()));
        }
    }
}
