//! What an applicant submits to a call: the applicant, the technical manager, the premises or a
//! request for a municipal site, and the time of the final submission.

use std::collections::BTreeSet;

use daftar_types::{JalaliDate, Lang, NationalId, Timestamp};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::text;

/// Level of a university degree, from lowest to highest; the order is what "at least a
/// bachelor's" and "the highest degree" compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DegreeLevel {
    /// کاردانی.
    Associate,
    /// کارشناسی.
    Bachelor,
    /// کارشناسی ارشد.
    Master,
    /// دکتری.
    Doctorate,
}

impl DegreeLevel {
    pub const ALL: [DegreeLevel; 4] =
        [DegreeLevel::Associate, DegreeLevel::Bachelor, DegreeLevel::Master, DegreeLevel::Doctorate];

    /// The key used in call files and APIs: `associate`, `bachelor`, `master`, `doctorate`.
    pub fn key(self) -> &'static str {
        match self {
            DegreeLevel::Associate => "associate",
            DegreeLevel::Bachelor => "bachelor",
            DegreeLevel::Master => "master",
            DegreeLevel::Doctorate => "doctorate",
        }
    }

    pub fn parse(key: &str) -> Option<DegreeLevel> {
        DegreeLevel::ALL.into_iter().find(|level| level.key() == key)
    }

    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (DegreeLevel::Associate, Lang::Fa) => "کاردانی",
            (DegreeLevel::Bachelor, Lang::Fa) => "کارشناسی",
            (DegreeLevel::Master, Lang::Fa) => "کارشناسی ارشد",
            (DegreeLevel::Doctorate, Lang::Fa) => "دکتری",
            (DegreeLevel::Associate, Lang::En) => "associate degree",
            (DegreeLevel::Bachelor, Lang::En) => "bachelor's",
            (DegreeLevel::Master, Lang::En) => "master's",
            (DegreeLevel::Doctorate, Lang::En) => "doctorate",
        }
    }
}

/// A university degree. `field` is a field-of-study code of the call (`urban_planning`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Degree {
    pub level: DegreeLevel,
    pub field: String,
    pub university: String,
}

impl Degree {
    pub fn new(level: DegreeLevel, field: impl Into<String>, university: impl Into<String>) -> Degree {
        Degree { level, field: field.into(), university: university.into() }
    }
}

/// Work experience in one field, in whole months: certificates of employment state years or
/// months, and months hold both exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Experience {
    pub field: String,
    pub months: u32,
}

impl Experience {
    pub fn years(field: impl Into<String>, years: u32) -> Experience {
        Experience { field: field.into(), months: years.saturating_mul(12) }
    }

    pub fn months(field: impl Into<String>, months: u32) -> Experience {
        Experience { field: field.into(), months }
    }
}

/// The applicant or the technical manager: both are checked against the same general
/// conditions, with their own age range and degree fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub national_id: NationalId,
    pub name: String,
    pub birth_date: JalaliDate,
    /// Iranian citizenship.
    pub citizen: bool,
    /// Codes of the declarations the person made (`no_criminal_record`, …).
    pub declarations: BTreeSet<String>,
    pub degrees: Vec<Degree>,
    pub experience: Vec<Experience>,
}

/// Premises the applicant owns or rents and offers for the office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Premises {
    /// The municipal district (منطقه) the premises are in.
    pub district: u8,
    #[serde(serialize_with = "text::normalized")]
    pub area_m2: Decimal,
    /// The part of the floor that serves customers (counters, waiting area).
    #[serde(serialize_with = "text::normalized")]
    pub customer_area_m2: Decimal,
    /// 0 is the ground floor, 1 the floor above, negative below ground.
    pub floor: i32,
    /// The zone use of the building, a code of the call (`commercial`, `office`, …).
    pub zone_use: String,
    pub sanitary: bool,
    /// Heating, ventilation and air conditioning.
    pub hvac: bool,
    /// Where the premises are, as written on the deed or lease.
    pub address: String,
}

/// A request for a municipal site, with the sites the applicant wants, most wanted first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteRequest {
    /// Site codes of the call in order of preference.
    pub preferences: Vec<String>,
    /// Whether the applicant accepts any remaining site when every listed one is taken.
    pub accept_other_sites: bool,
}

/// Where the office would work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    OwnPremises(Premises),
    MunicipalSite(SiteRequest),
}

/// One application to a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub applicant: Person,
    pub technical_manager: Person,
    pub location: Location,
    /// When the applicant made the final submission; earlier wins a tie.
    pub submitted_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_ordered_and_keyed() {
        assert!(DegreeLevel::Associate < DegreeLevel::Bachelor);
        assert!(DegreeLevel::Master < DegreeLevel::Doctorate);
        for level in DegreeLevel::ALL {
            assert_eq!(DegreeLevel::parse(level.key()), Some(level));
        }
        assert_eq!(DegreeLevel::parse("phd"), None);
    }

    #[test]
    fn experience_in_months() {
        assert_eq!(Experience::years("urban_planning", 3).months, 36);
        assert_eq!(Experience::months("urban_planning", 7).months, 7);
    }
}
