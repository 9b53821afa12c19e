//! Reading a call file: TOML into [`CallRules`], with every field checked so that a mistake in
//! the file is reported by name when the call is loaded, not discovered while ranking.

use std::collections::{BTreeMap, BTreeSet};

use daftar_types::{JalaliDate, Rials};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::application::DegreeLevel;
use crate::call::{
    BoardRules, CallRules, Declaration, DegreePoints, EquipmentItem, ExperiencePoints, ExpertRules,
    GeneralConditions, Label, LicenceRules, OfficeRules, PersonRules, PremisesPoints, PremisesRules,
    RegistrationWindow, Rubric, SelectionRules, Site, Supplier, TieBreak,
};

/// Why a call file was refused. `field` is the dotted path in the file, e.g. `applicant.min_age`
/// or `sites.S03.monthly_rent`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("the call file is not valid: {0}")]
    Toml(String),
    #[error("{field}: {problem}")]
    Invalid { field: String, problem: String },
}

fn invalid(field: &str, problem: impl Into<String>) -> CallError {
    CallError::Invalid { field: field.to_owned(), problem: problem.into() }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCall {
    version: String,
    effective_from: String,
    code: String,
    title_fa: String,
    title_en: String,
    capacity: toml::Value,
    reference_date: String,
    window: RawWindow,
    general: RawGeneral,
    applicant: RawPerson,
    technical_manager: RawPerson,
    fields: BTreeMap<String, RawNames>,
    premises: RawPremises,
    points: RawPoints,
    selection: RawSelection,
    board: RawBoard,
    offices: RawOffices,
    licence: RawLicence,
    experts: RawExperts,
    #[serde(default)]
    equipment: Vec<RawEquipment>,
    #[serde(default)]
    sites: Vec<RawSite>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    clause: String,
    first_day: String,
    last_day: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGeneral {
    citizenship_clause: String,
    #[serde(default)]
    declarations: Vec<RawDeclaration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeclaration {
    code: String,
    name_fa: String,
    name_en: String,
    clause: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerson {
    min_age: toml::Value,
    max_age: toml::Value,
    age_clause: String,
    min_degree: String,
    degree_fields: Vec<String>,
    degree_clause: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNames {
    fa: String,
    en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPremises {
    clause: String,
    min_area_m2: toml::Value,
    floors: Vec<toml::Value>,
    min_customer_share: toml::Value,
    sanitary_required: bool,
    hvac_required: bool,
    zone_uses: BTreeMap<String, RawNames>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoints {
    max_total: toml::Value,
    degree: RawDegreePoints,
    experience: RawExperiencePoints,
    premises: RawPremisesPoints,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDegreePoints {
    clause: String,
    fields: Vec<String>,
    levels: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExperiencePoints {
    clause: String,
    fields: Vec<String>,
    per_full_year: toml::Value,
    cap: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPremisesPoints {
    clause: String,
    points: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSelection {
    clause: String,
    exam_weight: toml::Value,
    points_weight: toml::Value,
    points_scale: toml::Value,
    tie_breaks: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBoard {
    clause: String,
    members: toml::Value,
    quorum: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOffices {
    clause: String,
    min_certified_experts: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLicence {
    clause: String,
    validity_years: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExperts {
    clause: String,
    min_degree: String,
    exam_pass_mark: toml::Value,
    certificate_validity_years: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEquipment {
    code: String,
    name_fa: String,
    name_en: String,
    supplier: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    code: String,
    district: toml::Value,
    name_fa: String,
    name_en: String,
    address: String,
    monthly_rent: toml::Value,
}

/// A decimal written as a TOML integer or a quoted string; TOML floats are refused because
/// they cannot hold 0.7 exactly.
fn decimal(field: &str, value: &toml::Value) -> Result<Decimal, CallError> {
    match value {
        toml::Value::Integer(n) => Ok(Decimal::from(*n)),
        toml::Value::String(text) => text
            .trim()
            .parse::<Decimal>()
            .map_err(|_| invalid(field, format!("\"{text}\" is not a decimal number"))),
        toml::Value::Float(_) => {
            Err(invalid(field, "write decimals as quoted strings (\"0.7\"), not as floating-point numbers"))
        }
        _ => Err(invalid(field, "expected a number")),
    }
}

/// A decimal between `min` and `max` inclusive.
fn decimal_in(field: &str, value: &toml::Value, min: Decimal, max: Decimal) -> Result<Decimal, CallError> {
    let number = decimal(field, value)?;
    if number < min || number > max {
        return Err(invalid(field, format!("must be between {min} and {max}")));
    }
    Ok(number)
}

/// A whole number between `min` and `max` inclusive.
fn whole(field: &str, value: &toml::Value, min: i64, max: i64) -> Result<i64, CallError> {
    let number = decimal(field, value)?;
    if !number.fract().is_zero() {
        return Err(invalid(field, "must be a whole number"));
    }
    i64::try_from(number)
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| invalid(field, format!("must be a whole number from {min} to {max}")))
}

/// [`whole`] for fields whose range fits in a `u32`.
fn count(field: &str, value: &toml::Value, min: u32, max: u32) -> Result<u32, CallError> {
    let number = whole(field, value, i64::from(min), i64::from(max))?;
    // Within `min..=max`, so it fits.
    Ok(number as u32)
}

/// [`whole`] for fields whose range fits in a `u8`.
fn small(field: &str, value: &toml::Value, min: u8, max: u8) -> Result<u8, CallError> {
    let number = whole(field, value, i64::from(min), i64::from(max))?;
    // Within `min..=max`, so it fits.
    Ok(number as u8)
}

fn text(field: &str, value: String) -> Result<String, CallError> {
    if value.trim().is_empty() {
        return Err(invalid(field, "is empty"));
    }
    Ok(value)
}

fn date(field: &str, value: &str) -> Result<JalaliDate, CallError> {
    JalaliDate::parse(value).map_err(|e| invalid(field, format!("\"{value}\": {e}")))
}

/// Codes are lowercase ASCII words so they can appear in condition codes and URLs.
fn code(field: &str, value: &str) -> Result<String, CallError> {
    let ok = value.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        return Err(invalid(field, format!("\"{value}\" must be lowercase letters, digits and `_`")));
    }
    Ok(value.to_owned())
}

fn degree_level(field: &str, value: &str) -> Result<DegreeLevel, CallError> {
    DegreeLevel::parse(value).ok_or_else(|| {
        invalid(
            field,
            format!("\"{value}\" is not one of \"associate\", \"bachelor\", \"master\", \"doctorate\""),
        )
    })
}

/// A non-empty list of distinct field codes the call names in `[fields]`.
fn field_list(
    field: &str,
    codes: Vec<String>,
    fields: &BTreeMap<String, Label>,
) -> Result<Vec<String>, CallError> {
    if codes.is_empty() {
        return Err(invalid(field, "name at least one field"));
    }
    let mut seen = BTreeSet::new();
    for c in &codes {
        if !fields.contains_key(c) {
            return Err(invalid(field, format!("\"{c}\" is not a field named in [fields]")));
        }
        if !seen.insert(c) {
            return Err(invalid(field, format!("\"{c}\" appears twice")));
        }
    }
    Ok(codes)
}

fn names(field: &str, key: &str, raw: RawNames) -> Result<Label, CallError> {
    let key = code(field, key)?;
    Ok(Label {
        fa: text(&format!("{field}.fa"), raw.fa)?,
        en: text(&format!("{field}.en"), raw.en)?,
        code: key,
    })
}

impl CallRules {
    /// Reads and checks a call file. Errors name the field, e.g.
    /// `technical_manager.degree_fields: "urban_plannig" is not a field named in [fields]`.
    pub fn from_toml(source: &str) -> Result<CallRules, CallError> {
        let raw: RawCall = toml::from_str(source).map_err(|e| CallError::Toml(e.to_string()))?;
        let fields = fields(raw.fields)?;
        let window = window(raw.window)?;
        let rules = CallRules {
            version: text("version", raw.version)?,
            effective_from: date("effective_from", &raw.effective_from)?,
            code: text("code", raw.code)?,
            title_fa: text("title_fa", raw.title_fa)?,
            title_en: text("title_en", raw.title_en)?,
            capacity: count("capacity", &raw.capacity, 1, 100_000)?,
            reference_date: date("reference_date", &raw.reference_date)?,
            window,
            general: general(raw.general)?,
            applicant: person("applicant", raw.applicant, &fields)?,
            technical_manager: person("technical_manager", raw.technical_manager, &fields)?,
            premises: premises(raw.premises)?,
            points: rubric(raw.points, &fields)?,
            selection: selection(raw.selection)?,
            board: board(raw.board)?,
            sites: sites(raw.sites)?,
            offices: OfficeRules {
                clause: text("offices.clause", raw.offices.clause)?,
                min_certified_experts: count(
                    "offices.min_certified_experts",
                    &raw.offices.min_certified_experts,
                    0,
                    1000,
                )?,
            },
            licence: LicenceRules {
                clause: text("licence.clause", raw.licence.clause)?,
                validity_years: small("licence.validity_years", &raw.licence.validity_years, 1, 50)?,
            },
            experts: experts(raw.experts)?,
            equipment: equipment(raw.equipment)?,
            fields,
        };
        Ok(rules)
    }
}

fn fields(raw: BTreeMap<String, RawNames>) -> Result<BTreeMap<String, Label>, CallError> {
    raw.into_iter()
        .map(|(key, names_)| {
            let label = names(&format!("fields.{key}"), &key, names_)?;
            Ok((key, label))
        })
        .collect()
}

fn window(raw: RawWindow) -> Result<RegistrationWindow, CallError> {
    let first_day = date("window.first_day", &raw.first_day)?;
    let last_day = date("window.last_day", &raw.last_day)?;
    if last_day < first_day {
        return Err(invalid("window.last_day", "is before window.first_day"));
    }
    Ok(RegistrationWindow { clause: text("window.clause", raw.clause)?, first_day, last_day })
}

fn general(raw: RawGeneral) -> Result<GeneralConditions, CallError> {
    let mut declarations: Vec<Declaration> = Vec::with_capacity(raw.declarations.len());
    for (i, d) in raw.declarations.into_iter().enumerate() {
        let field = format!("general.declarations[{i}]");
        let label = Label {
            code: code(&format!("{field}.code"), &d.code)?,
            fa: text(&format!("{field}.name_fa"), d.name_fa)?,
            en: text(&format!("{field}.name_en"), d.name_en)?,
        };
        if declarations.iter().any(|other| other.label.code == label.code) {
            return Err(invalid(&format!("{field}.code"), format!("\"{}\" appears twice", label.code)));
        }
        declarations.push(Declaration { label, clause: text(&format!("{field}.clause"), d.clause)? });
    }
    Ok(GeneralConditions {
        citizenship_clause: text("general.citizenship_clause", raw.citizenship_clause)?,
        declarations,
    })
}

fn person(section: &str, raw: RawPerson, fields: &BTreeMap<String, Label>) -> Result<PersonRules, CallError> {
    let f = |name: &str| format!("{section}.{name}");
    let min_age = count(&f("min_age"), &raw.min_age, 0, 150)?;
    let max_age = count(&f("max_age"), &raw.max_age, 0, 150)?;
    if max_age < min_age {
        return Err(invalid(&f("max_age"), "is below min_age"));
    }
    Ok(PersonRules {
        min_age,
        max_age,
        age_clause: text(&f("age_clause"), raw.age_clause)?,
        min_degree: degree_level(&f("min_degree"), &raw.min_degree)?,
        degree_fields: field_list(&f("degree_fields"), raw.degree_fields, fields)?,
        degree_clause: text(&f("degree_clause"), raw.degree_clause)?,
    })
}

fn premises(raw: RawPremises) -> Result<PremisesRules, CallError> {
    let min_area_m2 = decimal("premises.min_area_m2", &raw.min_area_m2)?;
    if min_area_m2 <= Decimal::ZERO {
        return Err(invalid("premises.min_area_m2", "must be above 0"));
    }
    if raw.floors.is_empty() {
        return Err(invalid("premises.floors", "name at least one floor"));
    }
    let mut floors = Vec::with_capacity(raw.floors.len());
    for value in &raw.floors {
        let floor = whole("premises.floors", value, -10, 200)?;
        // Within -10..=200, so it fits.
        let floor = floor as i32;
        if floors.contains(&floor) {
            return Err(invalid("premises.floors", format!("{floor} appears twice")));
        }
        floors.push(floor);
    }
    if raw.zone_uses.is_empty() {
        return Err(invalid("premises.zone_uses", "name at least one zone use"));
    }
    let zone_uses = raw
        .zone_uses
        .into_iter()
        .map(|(key, n)| names(&format!("premises.zone_uses.{key}"), &key, n))
        .collect::<Result<_, _>>()?;
    Ok(PremisesRules {
        clause: text("premises.clause", raw.clause)?,
        min_area_m2,
        floors,
        zone_uses,
        min_customer_share: decimal_in(
            "premises.min_customer_share",
            &raw.min_customer_share,
            Decimal::ZERO,
            Decimal::ONE,
        )?,
        sanitary_required: raw.sanitary_required,
        hvac_required: raw.hvac_required,
    })
}

fn rubric(raw: RawPoints, fields: &BTreeMap<String, Label>) -> Result<Rubric, CallError> {
    let mut levels = BTreeMap::new();
    for (key, value) in &raw.degree.levels {
        let field = format!("points.degree.levels.{key}");
        levels.insert(degree_level(&field, key)?, count(&field, value, 0, 1000)?);
    }
    let e = raw.experience;
    Ok(Rubric {
        max_total: count("points.max_total", &raw.max_total, 1, 1000)?,
        degree: DegreePoints {
            clause: text("points.degree.clause", raw.degree.clause)?,
            fields: field_list("points.degree.fields", raw.degree.fields, fields)?,
            levels,
        },
        experience: ExperiencePoints {
            clause: text("points.experience.clause", e.clause)?,
            fields: field_list("points.experience.fields", e.fields, fields)?,
            per_full_year: count("points.experience.per_full_year", &e.per_full_year, 0, 1000)?,
            cap: count("points.experience.cap", &e.cap, 0, 1000)?,
        },
        premises: PremisesPoints {
            clause: text("points.premises.clause", raw.premises.clause)?,
            points: count("points.premises.points", &raw.premises.points, 0, 1000)?,
        },
    })
}

fn selection(raw: RawSelection) -> Result<SelectionRules, CallError> {
    let weight = |field: &str, value: &toml::Value| decimal_in(field, value, Decimal::ZERO, Decimal::ONE);
    let exam_weight = weight("selection.exam_weight", &raw.exam_weight)?;
    let points_weight = weight("selection.points_weight", &raw.points_weight)?;
    if exam_weight.is_zero() && points_weight.is_zero() {
        return Err(invalid("selection.points_weight", "the two weights cannot both be 0"));
    }
    let points_scale =
        decimal_in("selection.points_scale", &raw.points_scale, Decimal::ZERO, Decimal::ONE_THOUSAND)?;
    if points_scale <= Decimal::ZERO {
        return Err(invalid("selection.points_scale", "must be above 0"));
    }
    let mut tie_breaks = Vec::with_capacity(raw.tie_breaks.len());
    for key in &raw.tie_breaks {
        let tie_break = TieBreak::parse(key).ok_or_else(|| {
            invalid(
                "selection.tie_breaks",
                format!("\"{key}\" is not one of \"exam_score\", \"points\", \"submitted_at\""),
            )
        })?;
        if tie_breaks.contains(&tie_break) {
            return Err(invalid("selection.tie_breaks", format!("\"{key}\" appears twice")));
        }
        tie_breaks.push(tie_break);
    }
    Ok(SelectionRules {
        clause: text("selection.clause", raw.clause)?,
        exam_weight,
        points_weight,
        points_scale,
        tie_breaks,
    })
}

fn board(raw: RawBoard) -> Result<BoardRules, CallError> {
    let members = small("board.members", &raw.members, 1, 99)?;
    let quorum = small("board.quorum", &raw.quorum, 1, 99)?;
    if quorum > members {
        return Err(invalid("board.quorum", "is more than the board's members"));
    }
    Ok(BoardRules { clause: text("board.clause", raw.clause)?, members, quorum })
}

fn sites(raw: Vec<RawSite>) -> Result<Vec<Site>, CallError> {
    let mut sites: Vec<Site> = Vec::with_capacity(raw.len());
    for (i, s) in raw.into_iter().enumerate() {
        if s.code.trim().is_empty() || s.code.chars().any(char::is_whitespace) {
            return Err(invalid(&format!("sites[{i}].code"), "must be a code without spaces"));
        }
        let f = |name: &str| format!("sites.{}.{name}", s.code);
        if sites.iter().any(|other| other.code == s.code) {
            return Err(invalid(&f("code"), "appears twice"));
        }
        let rent = whole(&f("monthly_rent"), &s.monthly_rent, 0, i64::MAX)?;
        sites.push(Site {
            district: small(&f("district"), &s.district, 1, 99)?,
            name_fa: text(&f("name_fa"), s.name_fa)?,
            name_en: text(&f("name_en"), s.name_en)?,
            address: text(&f("address"), s.address)?,
            monthly_rent: Rials::new(rent),
            code: s.code,
        });
    }
    Ok(sites)
}

fn experts(raw: RawExperts) -> Result<ExpertRules, CallError> {
    Ok(ExpertRules {
        clause: text("experts.clause", raw.clause)?,
        min_degree: degree_level("experts.min_degree", &raw.min_degree)?,
        exam_pass_mark: decimal_in(
            "experts.exam_pass_mark",
            &raw.exam_pass_mark,
            Decimal::ZERO,
            Decimal::ONE_HUNDRED,
        )?,
        certificate_validity_years: small(
            "experts.certificate_validity_years",
            &raw.certificate_validity_years,
            1,
            50,
        )?,
    })
}

fn equipment(raw: Vec<RawEquipment>) -> Result<Vec<EquipmentItem>, CallError> {
    let mut items: Vec<EquipmentItem> = Vec::with_capacity(raw.len());
    for (i, item) in raw.into_iter().enumerate() {
        let key = code(&format!("equipment[{i}].code"), &item.code)?;
        let f = |name: &str| format!("equipment.{key}.{name}");
        if items.iter().any(|other| other.label.code == key) {
            return Err(invalid(&f("code"), "appears twice"));
        }
        let supplier = Supplier::parse(&item.supplier).ok_or_else(|| {
            invalid(&f("supplier"), format!("\"{}\" is not \"municipality\" or \"office\"", item.supplier))
        })?;
        let label = Label {
            fa: text(&f("name_fa"), item.name_fa)?,
            en: text(&f("name_en"), item.name_en)?,
            code: key,
        };
        items.push(EquipmentItem { label, supplier });
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::DEMO_CALL_TOML;

    fn with(from: &str, to: &str) -> Result<CallRules, CallError> {
        assert!(DEMO_CALL_TOML.contains(from), "{from}");
        CallRules::from_toml(&DEMO_CALL_TOML.replacen(from, to, 1))
    }

    fn field_of(result: Result<CallRules, CallError>) -> String {
        match result {
            Err(CallError::Invalid { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn demo_loads() {
        let rules = CallRules::demo().unwrap();
        assert_eq!(rules.capacity, 50);
        assert_eq!(rules.sites.len(), 35);
        assert_eq!(rules.applicant.min_age, 27);
        assert_eq!(rules.technical_manager.min_age, 25);
        assert_eq!(rules.points.degree.levels[&DegreeLevel::Doctorate], 15);
        assert_eq!(rules.selection.exam_weight, Decimal::new(7, 1));
        assert_eq!(rules.board.quorum, 3);
        assert_eq!(rules.general.declarations.len(), 3);
        assert_eq!(rules.equipment.len(), 8);
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field_of(with("min_age = 27", "min_age = -1")), "applicant.min_age");
        assert_eq!(field_of(with("max_age = 55", "max_age = 20")), "applicant.max_age");
        assert_eq!(field_of(with("capacity = 50", "capacity = 0")), "capacity");
        assert_eq!(field_of(with("exam_weight = \"0.7\"", "exam_weight = 0.7")), "selection.exam_weight");
        assert_eq!(field_of(with("quorum = 3", "quorum = 6")), "board.quorum");
        assert_eq!(
            field_of(with("\"regional_planning\", \"urban_geography\"]", "\"regional_plannig\"]")),
            "technical_manager.degree_fields"
        );
        assert_eq!(
            field_of(with("last_day = \"1405/02/15\"", "last_day = \"1405/01/31\"")),
            "window.last_day"
        );
        assert_eq!(
            field_of(with("last_day = \"1405/02/15\"", "last_day = \"1405/02/32\"")),
            "window.last_day"
        );
        assert_eq!(field_of(with("code = \"S02\"", "code = \"S01\"")), "sites.S01.code");
        assert_eq!(
            field_of(with("supplier = \"office\"", "supplier = \"city\"")),
            "equipment.computers.supplier"
        );
        assert_eq!(
            field_of(with("tie_breaks = [\"exam_score\"", "tie_breaks = [\"luck\"")),
            "selection.tie_breaks"
        );
        assert_eq!(field_of(with("master = 10", "masters = 10")), "points.degree.levels.masters");
        assert_eq!(
            field_of(with("min_customer_share = \"0.5\"", "min_customer_share = \"1.5\"")),
            "premises.min_customer_share"
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(matches!(with("capacity = 50", "capacity = 50\ncapacty = 5"), Err(CallError::Toml(_))));
    }
}
