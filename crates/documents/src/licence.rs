//! The licence of an e-services office (پروانهٔ دفتر خدمات الکترونیک شهر), signed.

use std::collections::BTreeMap;

use daftar_types::{JalaliDate, Timestamp};
use serde::{Deserialize, Serialize};

use crate::common::{
    Approver, DateView, Person, PersonView, SignatureView, check_seal, identifier, tehran_date,
};
use crate::engine::{self, Template};
use crate::error::DocumentError;
use crate::seal::{Seal, SignedPayload};
use crate::text::persian_text;

/// The `kind` of a licence's signed payload.
pub const LICENCE_KIND: &str = "office_licence";

/// An office licence as issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenceDocument {
    pub city: String,
    pub number: String,
    /// The verification code, printed and signed.
    pub code: String,
    pub issued_at: Timestamp,
    /// The office's code in the city's register.
    pub office_code: String,
    pub holder: Person,
    /// The office's address, or the code of the municipal site it occupies.
    pub location: String,
    pub valid_from: JalaliDate,
    pub valid_until: JalaliDate,
    pub signatory: Approver,
    pub verify_url: String,
}

impl LicenceDocument {
    /// What the licence's signature covers: who may run which office, where and until when.
    pub fn signed_payload(&self) -> SignedPayload {
        let essentials = BTreeMap::from([
            ("office_code".to_owned(), self.office_code.clone()),
            ("holder".to_owned(), self.holder.name.clone()),
            ("holder_national_id".to_owned(), self.holder.masked_national_id.clone()),
            ("location".to_owned(), self.location.clone()),
            ("valid_from".to_owned(), self.valid_from.to_string()),
            ("valid_until".to_owned(), self.valid_until.to_string()),
        ]);
        SignedPayload {
            code: self.code.clone(),
            essentials,
            issued_at: self.issued_at,
            kind: LICENCE_KIND.to_owned(),
            number: self.number.clone(),
        }
    }
}

/// Renders the licence as PDF with `seal` printed and attached; the seal must have been made for
/// this licence, normally with `Seal::sign(licence.signed_payload(), key)`.
pub fn render_licence(licence: &LicenceDocument, seal: &Seal) -> Result<Vec<u8>, DocumentError> {
    check_seal(seal, LICENCE_KIND, &licence.number)?;
    engine::render(Template::Licence, &LicenceView::new(licence, seal), &licence.verify_url, Some(seal))
}

#[derive(Serialize)]
struct LicenceView {
    city: String,
    number: String,
    issued_on: DateView,
    office_code: String,
    holder: PersonView,
    location: String,
    valid_from: DateView,
    valid_until: DateView,
    signature: SignatureView,
    verify_url: String,
}

impl LicenceView {
    fn new(licence: &LicenceDocument, seal: &Seal) -> Self {
        LicenceView {
            city: persian_text(&licence.city),
            number: identifier(&licence.number),
            issued_on: tehran_date(licence.issued_at).into(),
            office_code: identifier(&licence.office_code),
            holder: (&licence.holder).into(),
            location: persian_text(&licence.location),
            valid_from: licence.valid_from.into(),
            valid_until: licence.valid_until.into(),
            signature: SignatureView::new(std::slice::from_ref(&licence.signatory), seal),
            verify_url: licence.verify_url.clone(),
        }
    }
}
