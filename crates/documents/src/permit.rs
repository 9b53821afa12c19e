//! The building permit (پروانهٔ ساختمانی), signed.

use std::collections::BTreeMap;

use daftar_types::{JalaliDate, Timestamp};
use serde::{Deserialize, Serialize};

use crate::common::{
    Approver, DateView, Person, PersonView, SignatureView, check_seal, identifier, persian_number,
    tehran_date,
};
use crate::engine::{self, Template};
use crate::error::DocumentError;
use crate::seal::{Seal, SignedPayload};
use crate::text::{level_name, persian_decimal, persian_text};

/// The `kind` of a permit's signed payload.
pub const PERMIT_KIND: &str = "building_permit";

/// A building permit as issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermitDocument {
    pub city: String,
    pub number: String,
    /// The verification code, printed and signed.
    pub code: String,
    pub issued_at: Timestamp,
    pub case_number: String,
    pub owners: Vec<Owner>,
    pub parcel: Parcel,
    /// The zoning plan's zone (`R122`, `مسکونی تراکم متوسط`).
    pub zone: String,
    pub levels: Vec<Level>,
    /// Total floor area in m², a plain decimal (`1380.5`).
    pub total_area: String,
    /// The date by which the building must be completed.
    pub completion_deadline: JalaliDate,
    /// Conditions and notes, printed as a numbered list.
    pub conditions: Vec<String>,
    /// The two officials who approved the permit.
    pub approvers: [Approver; 2],
    pub verify_url: String,
}

/// An owner of the parcel and their share, as the deed writes it (`۳ دانگ`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub person: Person,
    pub share: String,
}

/// Where the building stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parcel {
    /// The municipality's parcel key (کد نوسازی).
    pub key: String,
    /// The land registry plate (پلاک ثبتی), e.g. `1234/56`.
    pub registry_plate: String,
    pub address: String,
    pub district: String,
}

/// One level of the approved design.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// 0 is the ground floor; levels below ground are negative.
    pub level: i32,
    /// The use in Persian (`مسکونی`, `پارکینگ`).
    pub usage: String,
    /// Floor area in m², a plain decimal (`380.5`).
    pub area: String,
}

impl PermitDocument {
    /// What the permit's signature covers: the facts a forger would change to build more, elsewhere
    /// or later than approved.
    pub fn signed_payload(&self) -> SignedPayload {
        let owners = self
            .owners
            .iter()
            .map(|o| format!("{} ({}, {})", o.person.name, o.person.masked_national_id, o.share))
            .collect::<Vec<_>>()
            .join("; ");
        let levels = self
            .levels
            .iter()
            .map(|l| format!("{}: {} {}", l.level, l.usage, l.area))
            .collect::<Vec<_>>()
            .join("; ");
        let essentials = BTreeMap::from([
            ("case_number".to_owned(), self.case_number.clone()),
            ("owners".to_owned(), owners),
            ("parcel_key".to_owned(), self.parcel.key.clone()),
            ("registry_plate".to_owned(), self.parcel.registry_plate.clone()),
            ("zone".to_owned(), self.zone.clone()),
            ("levels".to_owned(), levels),
            ("total_area".to_owned(), self.total_area.clone()),
            ("completion_deadline".to_owned(), self.completion_deadline.to_string()),
        ]);
        SignedPayload {
            code: self.code.clone(),
            essentials,
            issued_at: self.issued_at,
            kind: PERMIT_KIND.to_owned(),
            number: self.number.clone(),
        }
    }
}

/// Renders the permit as PDF with `seal` printed and attached. The seal must have been made for
/// this permit, normally with `Seal::sign(permit.signed_payload(), key)`.
pub fn render_permit(permit: &PermitDocument, seal: &Seal) -> Result<Vec<u8>, DocumentError> {
    check_seal(seal, PERMIT_KIND, &permit.number)?;
    engine::render(Template::Permit, &PermitView::new(permit, seal), &permit.verify_url, Some(seal))
}

#[derive(Serialize)]
struct PermitView {
    city: String,
    number: String,
    issued_on: DateView,
    case_number: String,
    owners: Vec<OwnerView>,
    parcel: ParcelView,
    zone: String,
    levels: Vec<LevelView>,
    level_count: String,
    total_area: String,
    completion_deadline: DateView,
    conditions: Vec<String>,
    signature: SignatureView,
    verify_url: String,
}

impl PermitView {
    fn new(permit: &PermitDocument, seal: &Seal) -> Self {
        PermitView {
            city: persian_text(&permit.city),
            number: identifier(&permit.number),
            issued_on: tehran_date(permit.issued_at).into(),
            case_number: identifier(&permit.case_number),
            owners: permit.owners.iter().map(OwnerView::new).collect(),
            parcel: ParcelView::new(&permit.parcel),
            zone: identifier(&permit.zone),
            levels: permit.levels.iter().map(LevelView::new).collect(),
            level_count: persian_number(permit.levels.len().try_into().unwrap_or(i64::MAX)),
            total_area: persian_decimal(&permit.total_area),
            completion_deadline: permit.completion_deadline.into(),
            conditions: permit.conditions.iter().map(|c| persian_text(c)).collect(),
            signature: SignatureView::new(&permit.approvers, seal),
            verify_url: permit.verify_url.clone(),
        }
    }
}

#[derive(Serialize)]
struct OwnerView {
    person: PersonView,
    share: String,
}

impl OwnerView {
    fn new(owner: &Owner) -> Self {
        OwnerView { person: (&owner.person).into(), share: persian_text(&owner.share) }
    }
}

#[derive(Serialize)]
struct ParcelView {
    key: String,
    registry_plate: String,
    address: String,
    district: String,
}

impl ParcelView {
    fn new(parcel: &Parcel) -> Self {
        ParcelView {
            key: identifier(&parcel.key),
            registry_plate: identifier(&parcel.registry_plate),
            address: persian_text(&parcel.address),
            district: persian_text(&parcel.district),
        }
    }
}

#[derive(Serialize)]
struct LevelView {
    name: String,
    usage: String,
    area: String,
}

impl LevelView {
    fn new(level: &Level) -> Self {
        LevelView {
            name: level_name(level.level),
            usage: persian_text(&level.usage),
            area: persian_decimal(&level.area),
        }
    }
}
