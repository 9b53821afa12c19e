//! Certificates of one page and a few facts, signed: completion certificates (پایان کار),
//! no-violation certificates (عدم خلاف) and the like.

use std::collections::BTreeMap;

use daftar_types::{JalaliDate, Timestamp};
use serde::{Deserialize, Serialize};

use crate::common::{
    Approver, DateView, Field, FieldView, Person, PersonView, SignatureView, check_seal, identifier,
    tehran_date,
};
use crate::engine::{self, Template};
use crate::error::DocumentError;
use crate::seal::{Seal, SignedPayload};
use crate::text::persian_text;

/// A certificate as issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateDocument {
    pub city: String,
    /// The `kind` of the signed payload, e.g. `completion_certificate`.
    pub kind: String,
    pub title_fa: String,
    pub title_en: String,
    pub number: String,
    /// The verification code, printed and signed.
    pub code: String,
    pub issued_at: Timestamp,
    pub holder: Person,
    /// The certified facts, in print order.
    pub fields: Vec<Field>,
    /// The last day the certificate may be relied on, for those that expire.
    pub valid_until: Option<JalaliDate>,
    pub signatory: Approver,
    pub verify_url: String,
}

impl CertificateDocument {
    /// What the certificate's signature covers: its holder and every certified fact, each under
    /// `field.` and its label.
    pub fn signed_payload(&self) -> SignedPayload {
        let mut essentials: BTreeMap<String, String> =
            self.fields.iter().map(|field| (format!("field.{}", field.label), field.value.clone())).collect();
        essentials.insert("title".to_owned(), self.title_fa.clone());
        essentials.insert("holder".to_owned(), self.holder.name.clone());
        essentials.insert("holder_national_id".to_owned(), self.holder.masked_national_id.clone());
        if let Some(until) = self.valid_until {
            essentials.insert("valid_until".to_owned(), until.to_string());
        }
        SignedPayload {
            code: self.code.clone(),
            essentials,
            issued_at: self.issued_at,
            kind: self.kind.clone(),
            number: self.number.clone(),
        }
    }
}

/// Renders the certificate as PDF with `seal` printed and attached; the seal must have been made
/// for this certificate, normally with `Seal::sign(certificate.signed_payload(), key)`.
pub fn render_certificate(certificate: &CertificateDocument, seal: &Seal) -> Result<Vec<u8>, DocumentError> {
    check_seal(seal, &certificate.kind, &certificate.number)?;
    let view = CertificateView::new(certificate, seal);
    engine::render(Template::Certificate, &view, &certificate.verify_url, Some(seal))
}

#[derive(Serialize)]
struct CertificateView {
    city: String,
    title_fa: String,
    title_en: String,
    number: String,
    issued_on: DateView,
    holder: PersonView,
    fields: Vec<FieldView>,
    valid_until: Option<DateView>,
    signature: SignatureView,
    verify_url: String,
}

impl CertificateView {
    fn new(certificate: &CertificateDocument, seal: &Seal) -> Self {
        CertificateView {
            city: persian_text(&certificate.city),
            title_fa: persian_text(&certificate.title_fa),
            title_en: certificate.title_en.clone(),
            number: identifier(&certificate.number),
            issued_on: tehran_date(certificate.issued_at).into(),
            holder: (&certificate.holder).into(),
            fields: certificate.fields.iter().map(FieldView::from).collect(),
            valid_until: certificate.valid_until.map(DateView::from),
            signature: SignatureView::new(std::slice::from_ref(&certificate.signatory), seal),
            verify_url: certificate.verify_url.clone(),
        }
    }
}
