//! A licensing call as versioned data: the window, the conditions with their clauses, the
//! premises rules, the points rubric, the selection formula, the board, the municipal sites and
//! the rules for offices, licences and experts.
//!
//! Numbers and lists live in the call file (`calls/demo-call.toml`); the algorithms that apply
//! them live in the other modules. Every decision records [`CallRules::version`].

use std::collections::BTreeMap;

use daftar_types::{JalaliDate, Lang, Rials, Timestamp};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::application::DegreeLevel;
use crate::text;

/// The demo city's call (`calls/demo-call.toml`).
pub const DEMO_CALL_TOML: &str = include_str!("../calls/demo-call.toml");

/// A code with its Persian and English names, carried into explanations so they render
/// without the call at hand.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Label {
    pub code: String,
    pub fa: String,
    pub en: String,
}

impl Label {
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fa => &self.fa,
            Lang::En => &self.en,
        }
    }

    /// A label for a code the call does not name: the code stands for both names.
    pub fn unnamed(code: &str) -> Label {
        Label { code: code.to_owned(), fa: code.to_owned(), en: code.to_owned() }
    }
}

/// The registration window, in whole Jalali days of Asia/Tehran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistrationWindow {
    pub clause: String,
    pub first_day: JalaliDate,
    pub last_day: JalaliDate,
}

impl RegistrationWindow {
    /// 00:00 of the first day, Tehran time.
    pub fn opens_at(&self) -> Timestamp {
        self.first_day.start_of_day_tehran()
    }

    /// 24:00 of the last day, Tehran time: the first instant no longer accepted. Computed as the
    /// start of the next day so that a day that is not 24 hours long (daylight saving time
    /// before 2022) still closes at its real midnight.
    pub fn closes_at(&self) -> Timestamp {
        self.last_day.add_days(1).map_or(Timestamp::from_unix(i64::MAX), JalaliDate::start_of_day_tehran)
    }

    /// Whether a final submission at `at` is inside the window.
    pub fn accepts(&self, at: Timestamp) -> bool {
        self.opens_at() <= at && at < self.closes_at()
    }
}

/// A declaration both the applicant and the technical manager must make (no criminal record, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Declaration {
    pub label: Label,
    pub clause: String,
}

/// The general conditions of the applicant and of the technical manager (S2): citizenship and
/// a configurable list of declarations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GeneralConditions {
    pub citizenship_clause: String,
    pub declarations: Vec<Declaration>,
}

/// Age and degree conditions of one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonRules {
    /// Completed years on the reference date, both ends included.
    pub min_age: u32,
    pub max_age: u32,
    pub age_clause: String,
    pub min_degree: DegreeLevel,
    /// Field codes a qualifying degree may be in.
    pub degree_fields: Vec<String>,
    pub degree_clause: String,
}

/// What own premises must offer (public facts about the real programme).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PremisesRules {
    pub clause: String,
    #[serde(serialize_with = "text::normalized")]
    pub min_area_m2: Decimal,
    pub floors: Vec<i32>,
    pub zone_uses: Vec<Label>,
    /// Minimum share of the floor area serving customers, between 0 and 1.
    #[serde(serialize_with = "text::normalized")]
    pub min_customer_share: Decimal,
    pub sanitary_required: bool,
    pub hvac_required: bool,
}

/// Points for the highest degree held in the listed fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DegreePoints {
    pub clause: String,
    pub fields: Vec<String>,
    /// Points per level; a level not listed earns nothing.
    pub levels: BTreeMap<DegreeLevel, u32>,
}

/// Points per full year of experience in the listed fields, capped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExperiencePoints {
    pub clause: String,
    pub fields: Vec<String>,
    pub per_full_year: u32,
    pub cap: u32,
}

/// Points for own premises that meet every premises rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PremisesPoints {
    pub clause: String,
    pub points: u32,
}

/// The points rubric (S5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rubric {
    pub max_total: u32,
    pub degree: DegreePoints,
    pub experience: ExperiencePoints,
    pub premises: PremisesPoints,
}

/// A tie-break key applied after the final score, in the call's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TieBreak {
    /// Higher exam score first (exam path only).
    ExamScore,
    /// More points first.
    Points,
    /// Earlier final submission first.
    SubmittedAt,
}

impl TieBreak {
    pub const ALL: [TieBreak; 3] = [TieBreak::ExamScore, TieBreak::Points, TieBreak::SubmittedAt];

    pub fn key(self) -> &'static str {
        match self {
            TieBreak::ExamScore => "exam_score",
            TieBreak::Points => "points",
            TieBreak::SubmittedAt => "submitted_at",
        }
    }

    pub fn parse(key: &str) -> Option<TieBreak> {
        TieBreak::ALL.into_iter().find(|t| t.key() == key)
    }
}

/// The final-score formula of the exam path and the tie-breaks (S7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SelectionRules {
    pub clause: String,
    #[serde(serialize_with = "text::normalized")]
    pub exam_weight: Decimal,
    #[serde(serialize_with = "text::normalized")]
    pub points_weight: Decimal,
    /// Brings points onto the exam's 0–100 scale (50 points × 2 = 100).
    #[serde(serialize_with = "text::normalized")]
    pub points_scale: Decimal,
    pub tie_breaks: Vec<TieBreak>,
}

/// The board that reviews applicants when they do not outnumber the capacity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardRules {
    pub clause: String,
    /// Members are numbered 1 to `members`.
    pub members: u8,
    /// Members present (voting or abstaining) needed for a decision.
    pub quorum: u8,
}

/// A municipal location offered, for rent, to an approved applicant without premises (S6, S15).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Site {
    pub code: String,
    pub district: u8,
    pub name_fa: String,
    pub name_en: String,
    pub address: String,
    pub monthly_rent: Rials,
}

impl Site {
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fa => &self.name_fa,
            Lang::En => &self.name_en,
        }
    }
}

/// Who supplies an equipment item (S8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Supplier {
    /// Network hardware and the identical furniture of every office.
    Municipality,
    /// Computers and everything else.
    Office,
}

impl Supplier {
    pub fn key(self) -> &'static str {
        match self {
            Supplier::Municipality => "municipality",
            Supplier::Office => "office",
        }
    }

    pub fn parse(key: &str) -> Option<Supplier> {
        [Supplier::Municipality, Supplier::Office].into_iter().find(|s| s.key() == key)
    }

    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Supplier::Municipality, Lang::Fa) => "شهرداری",
            (Supplier::Office, Lang::Fa) => "دفتر",
            (Supplier::Municipality, Lang::En) => "the municipality",
            (Supplier::Office, Lang::En) => "the office",
        }
    }
}

/// An item of every office's equipment checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EquipmentItem {
    pub label: Label,
    pub supplier: Supplier,
}

/// What an office needs to open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfficeRules {
    pub clause: String,
    pub min_certified_experts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicenceRules {
    pub clause: String,
    /// Whole Jalali years from issue (and added by each renewal).
    pub validity_years: u8,
}

/// Certification of experts (S9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpertRules {
    pub clause: String,
    pub min_degree: DegreeLevel,
    /// Lowest passing exam score, on 0–100.
    #[serde(serialize_with = "text::normalized")]
    pub exam_pass_mark: Decimal,
    pub certificate_validity_years: u8,
}

/// A licensing call, validated. Build it with [`CallRules::from_toml`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallRules {
    pub version: String,
    pub effective_from: JalaliDate,
    /// The call's code; also salts the last tie-break key.
    pub code: String,
    pub title_fa: String,
    pub title_en: String,
    /// Offices the call licenses.
    pub capacity: u32,
    /// The day on which ages are computed.
    pub reference_date: JalaliDate,
    pub window: RegistrationWindow,
    pub general: GeneralConditions,
    pub applicant: PersonRules,
    pub technical_manager: PersonRules,
    /// Names of the fields of study, by code.
    pub fields: BTreeMap<String, Label>,
    pub premises: PremisesRules,
    pub points: Rubric,
    pub selection: SelectionRules,
    pub board: BoardRules,
    pub sites: Vec<Site>,
    pub offices: OfficeRules,
    pub licence: LicenceRules,
    pub experts: ExpertRules,
    pub equipment: Vec<EquipmentItem>,
}

impl CallRules {
    /// The demo city's call.
    pub fn demo() -> Result<CallRules, crate::CallError> {
        CallRules::from_toml(DEMO_CALL_TOML)
    }

    /// The label of a field of study; its code when the call does not name it.
    pub fn field_label(&self, code: &str) -> Label {
        self.fields.get(code).cloned().unwrap_or_else(|| Label::unnamed(code))
    }

    /// The label of a zone use; its code when the call does not list it.
    pub fn zone_label(&self, code: &str) -> Label {
        self.premises
            .zone_uses
            .iter()
            .find(|z| z.code == code)
            .cloned()
            .unwrap_or_else(|| Label::unnamed(code))
    }

    pub fn site(&self, code: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.code == code)
    }

    /// The title in `lang`.
    pub fn title(&self, lang: Lang) -> &str {
        match lang {
            Lang::Fa => &self.title_fa,
            Lang::En => &self.title_en,
        }
    }
}
