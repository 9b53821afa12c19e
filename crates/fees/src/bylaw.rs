//! The fee bylaw as versioned data: heads with formulas, tables and conditions, rounding, the
//! cash discount and the instalment rules, read from TOML and checked when loaded.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use daftar_types::JalaliDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::expr::{self, Cond, Num, Scope, Type};

/// The demo city's fee bylaw (`bylaws/demo-bylaw.toml`).
pub const DEMO_BYLAW_TOML: &str = include_str!("../bylaws/demo-bylaw.toml");

/// Built-in inputs of every head: name, type, meaning.
pub const CASE_INPUTS: [(&str, &str); 5] = [
    ("P", "regional value of the parcel, Rials per m²"),
    ("purchased_area", "floor area purchased at the plan check, m²"),
    ("missing_parking", "parking spaces missing under an approver's exemption"),
    ("total_area", "sum of the areas of all levels, m²"),
    ("service", "the service assessed (text), e.g. \"building_permit\""),
];

/// Built-in inputs of per-level heads only.
pub const LEVEL_INPUTS: [(&str, &str); 3] = [
    ("level", "level number: 0 is the ground floor, below ground is negative"),
    ("area", "area of the level, m²"),
    ("use", "use of the level (text), e.g. \"parking\", \"residential\""),
];

/// Why a bylaw file was refused. `section` names where: `heads.floor_area`, `rounding`, …
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BylawError {
    #[error("the bylaw file is not valid: {0}")]
    Toml(String),
    #[error("{section}: {field}: {problem}")]
    Invalid { section: String, field: String, problem: String },
}

impl BylawError {
    fn invalid(section: &str, field: &str, problem: impl Into<String>) -> BylawError {
        BylawError::Invalid { section: section.to_owned(), field: field.to_owned(), problem: problem.into() }
    }
}

/// Who receives a line's money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Municipality,
    /// The licensed e-services office that handles the case.
    Office,
    /// Another public agency (fire service, education) whose surcharge the office collects.
    Agency,
}

impl Party {
    pub fn key(self) -> &'static str {
        match self {
            Party::Municipality => "municipality",
            Party::Office => "office",
            Party::Agency => "agency",
        }
    }

    pub fn parse(text: &str) -> Option<Party> {
        [Party::Municipality, Party::Office, Party::Agency].into_iter().find(|p| p.key() == text)
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Whether a head gives one line per level of the design or one line per case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    Level,
    Case,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// To the nearest multiple; exactly half way goes up.
    HalfUp,
    /// Up to the next multiple.
    Up,
    /// Down to the multiple below.
    Down,
}

/// How every line (and the discount) is rounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rounding {
    pub clause: String,
    /// A positive whole number of Rials.
    pub round_to: i64,
    pub mode: RoundingMode,
}

impl Rounding {
    /// Rounds a non-negative amount to a multiple of `round_to`; `None` if the result does not
    /// fit in a decimal.
    pub fn apply(&self, exact: Decimal) -> Option<Decimal> {
        let step = Decimal::from(self.round_to);
        let strategy = match self.mode {
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::Up => RoundingStrategy::AwayFromZero,
            RoundingMode::Down => RoundingStrategy::ToZero,
        };
        exact.checked_div(step)?.round_dp_with_strategy(0, strategy).checked_mul(step)
    }
}

/// A compiled numeric formula with its source text.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    source: String,
    pub(crate) expr: Num,
}

impl Formula {
    /// As written in the bylaw.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// The symbolic form printed on invoices: `area × multiplier(level) × P`.
impl fmt::Display for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

/// A compiled condition with its source text.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    source: String,
    pub(crate) expr: Cond,
}

impl Condition {
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

/// One band of a numerically keyed table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    /// `"3"`: exactly this value.
    Exactly(i64),
    /// `"5+"`: this value and above.
    AtLeast(i64),
    /// `"<0"`: below this value.
    Below(i64),
}

impl Band {
    fn parse(key: &str) -> Option<Band> {
        let key = key.trim();
        if let Some(rest) = key.strip_prefix('<') {
            return rest.trim().parse().ok().map(Band::Below);
        }
        if let Some(rest) = key.strip_suffix('+') {
            return rest.trim().parse().ok().map(Band::AtLeast);
        }
        key.parse().ok().map(Band::Exactly)
    }

    pub fn contains(self, value: Decimal) -> bool {
        match self {
            Band::Exactly(n) => value == Decimal::from(n),
            Band::AtLeast(n) => value >= Decimal::from(n),
            Band::Below(n) => value < Decimal::from(n),
        }
    }

    fn overlaps(self, other: Band) -> bool {
        use Band::{AtLeast, Below, Exactly};
        match (self, other) {
            (Exactly(a), Exactly(b)) => a == b,
            (Exactly(a), AtLeast(b)) | (AtLeast(b), Exactly(a)) => a >= b,
            (Exactly(a), Below(b)) | (Below(b), Exactly(a)) => a < b,
            (AtLeast(a), Below(b)) | (Below(b), AtLeast(a)) => a < b,
            (AtLeast(_), AtLeast(_)) | (Below(_), Below(_)) => true,
        }
    }
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Band::Exactly(n) => write!(f, "{n}"),
            Band::AtLeast(n) => write!(f, "{n}+"),
            Band::Below(n) => write!(f, "<{n}"),
        }
    }
}

/// A lookup table of a head. How it is keyed follows from how the formula uses it: looked up
/// with a number (`multiplier(level)`) its keys are bands, with text (`tariff(service)`) they
/// are words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Table {
    Bands(Vec<(Band, Decimal)>),
    Words(BTreeMap<String, Decimal>),
}

impl Table {
    pub fn by_number(&self, key: Decimal) -> Option<Decimal> {
        match self {
            Table::Bands(bands) => bands.iter().find(|(band, _)| band.contains(key)).map(|(_, v)| *v),
            Table::Words(_) => None,
        }
    }

    pub fn by_text(&self, key: &str) -> Option<Decimal> {
        match self {
            Table::Words(words) => words.get(key).copied(),
            Table::Bands(_) => None,
        }
    }
}

/// An input a bylaw declares besides the built-in ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraInput {
    pub name: String,
    pub description: String,
    pub default: Option<Decimal>,
}

/// A fee head: one kind of line on the invoice.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
    pub clause: String,
    pub party: Party,
    pub per: Per,
    /// The services this head is charged for (`building_permit`, `site_rent`, …).
    pub services: Vec<String>,
    pub formula: Formula,
    /// When absent the head always applies to its services.
    pub when: Option<Condition>,
    pub tables: BTreeMap<String, Table>,
}

/// A percentage off one party's lines when the invoice is paid in full at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashDiscount {
    pub name_fa: String,
    pub name_en: String,
    pub clause: String,
    pub party: Party,
    pub percent: Decimal,
    /// The services it applies to; rent, say, is not discounted.
    pub services: Vec<String>,
}

/// Paying by instalments: a minimum down payment, then up to `max_months` equal monthly
/// instalments. The bylaw charges no interest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalmentRules {
    pub clause: String,
    pub min_down_percent: Decimal,
    pub max_months: u32,
}

/// A fee bylaw, validated and with every formula compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Bylaw {
    pub version: String,
    pub effective_from: JalaliDate,
    pub title: String,
    pub rounding: Rounding,
    pub inputs: Vec<ExtraInput>,
    pub heads: Vec<Head>,
    pub cash_discount: CashDiscount,
    pub instalments: InstalmentRules,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBylaw {
    version: String,
    effective_from: String,
    title: String,
    rounding: RawRounding,
    #[serde(default)]
    inputs: BTreeMap<String, RawInput>,
    heads: Vec<RawHead>,
    cash_discount: RawDiscount,
    instalments: RawInstalments,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRounding {
    clause: String,
    round_to: toml::Value,
    mode: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    description: String,
    default: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHead {
    code: String,
    name_fa: String,
    name_en: String,
    clause: String,
    party: String,
    per: String,
    services: Vec<String>,
    formula: String,
    when: Option<String>,
    #[serde(default)]
    table: BTreeMap<String, BTreeMap<String, toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDiscount {
    name_fa: String,
    name_en: String,
    clause: String,
    party: String,
    percent: toml::Value,
    services: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInstalments {
    clause: String,
    min_down_percent: toml::Value,
    max_months: toml::Value,
}

fn decimal(section: &str, field: &str, value: &toml::Value) -> Result<Decimal, BylawError> {
    match value {
        toml::Value::Integer(n) => Ok(Decimal::from(*n)),
        toml::Value::String(text) => text
            .trim()
            .parse::<Decimal>()
            .map_err(|_| BylawError::invalid(section, field, format!("\"{text}\" is not a decimal number"))),
        toml::Value::Float(_) => Err(BylawError::invalid(
            section,
            field,
            "write decimals as quoted strings (\"0.5\"), not as floating-point numbers",
        )),
        _ => Err(BylawError::invalid(section, field, "expected a number")),
    }
}

fn integer(section: &str, field: &str, value: &toml::Value) -> Result<i64, BylawError> {
    let number = decimal(section, field, value)?;
    if !number.fract().is_zero() {
        return Err(BylawError::invalid(section, field, "must be a whole number"));
    }
    i64::try_from(number).map_err(|_| BylawError::invalid(section, field, "is too large"))
}

fn text(section: &str, field: &str, value: String) -> Result<String, BylawError> {
    if value.trim().is_empty() {
        return Err(BylawError::invalid(section, field, "is empty"));
    }
    Ok(value)
}

fn is_name(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn party(section: &str, value: &str) -> Result<Party, BylawError> {
    Party::parse(value).ok_or_else(|| {
        BylawError::invalid(
            section,
            "party",
            format!("\"{value}\" is not one of \"municipality\", \"office\", \"agency\""),
        )
    })
}

fn percent(section: &str, field: &str, value: &toml::Value) -> Result<Decimal, BylawError> {
    let percent = decimal(section, field, value)?;
    if percent < Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
        return Err(BylawError::invalid(section, field, "must be between 0 and 100"));
    }
    Ok(percent)
}

impl Bylaw {
    /// Reads and checks a bylaw file: every field present and sensible, every formula and
    /// condition parsed and type-checked against the inputs and tables it may use, every table
    /// used and consistently keyed. Errors name the section (e.g. `heads.floor_area`) and field.
    pub fn from_toml(source: &str) -> Result<Bylaw, BylawError> {
        let raw: RawBylaw = toml::from_str(source).map_err(|e| BylawError::Toml(e.to_string()))?;

        let version = text("bylaw", "version", raw.version)?;
        let effective_from = JalaliDate::parse(&raw.effective_from).map_err(|e| {
            BylawError::invalid("bylaw", "effective_from", format!("\"{}\": {e}", raw.effective_from))
        })?;
        let title = text("bylaw", "title", raw.title)?;

        let rounding = Rounding {
            clause: text("rounding", "clause", raw.rounding.clause)?,
            round_to: integer("rounding", "round_to", &raw.rounding.round_to)?,
            mode: match raw.rounding.mode.as_str() {
                "half_up" => RoundingMode::HalfUp,
                "up" => RoundingMode::Up,
                "down" => RoundingMode::Down,
                other => {
                    return Err(BylawError::invalid(
                        "rounding",
                        "mode",
                        format!("\"{other}\" is not one of \"half_up\", \"up\", \"down\""),
                    ));
                }
            },
        };
        if rounding.round_to <= 0 {
            return Err(BylawError::invalid("rounding", "round_to", "must be at least 1"));
        }

        let builtin: BTreeSet<&str> = CASE_INPUTS.iter().chain(&LEVEL_INPUTS).map(|(n, _)| *n).collect();
        let mut inputs = Vec::new();
        for (name, input) in raw.inputs {
            let section = format!("inputs.{name}");
            if !is_name(&name) || builtin.contains(name.as_str()) || expr::is_reserved(&name) {
                return Err(BylawError::invalid(
                    &section,
                    "name",
                    "must be a new name of letters, digits and `_`, not a built-in input or function",
                ));
            }
            let default = input.default.as_ref().map(|v| decimal(&section, "default", v)).transpose()?;
            let description = text(&section, "description", input.description)?;
            inputs.push(ExtraInput { name, description, default });
        }

        if raw.heads.is_empty() {
            return Err(BylawError::invalid("bylaw", "heads", "the bylaw has no fee heads"));
        }
        let mut heads: Vec<Head> = Vec::with_capacity(raw.heads.len());
        for (index, head) in raw.heads.into_iter().enumerate() {
            let head = compile_head(index, head, &inputs)?;
            if heads.iter().any(|h| h.code == head.code) {
                return Err(BylawError::invalid(
                    &format!("heads.{}", head.code),
                    "code",
                    "appears twice in the bylaw",
                ));
            }
            heads.push(head);
        }

        let d = raw.cash_discount;
        let cash_discount = CashDiscount {
            name_fa: text("cash_discount", "name_fa", d.name_fa)?,
            name_en: text("cash_discount", "name_en", d.name_en)?,
            clause: text("cash_discount", "clause", d.clause)?,
            party: party("cash_discount", &d.party)?,
            percent: percent("cash_discount", "percent", &d.percent)?,
            services: d.services,
        };

        let i = raw.instalments;
        let max_months = integer("instalments", "max_months", &i.max_months)?;
        let instalments = InstalmentRules {
            clause: text("instalments", "clause", i.clause)?,
            min_down_percent: percent("instalments", "min_down_percent", &i.min_down_percent)?,
            max_months: u32::try_from(max_months)
                .ok()
                .filter(|m| (1..=600).contains(m))
                .ok_or_else(|| BylawError::invalid("instalments", "max_months", "must be from 1 to 600"))?,
        };

        Ok(Bylaw { version, effective_from, title, rounding, inputs, heads, cash_discount, instalments })
    }

    /// The demo city's bylaw.
    pub fn demo() -> Result<Bylaw, BylawError> {
        Bylaw::from_toml(DEMO_BYLAW_TOML)
    }

    pub fn head(&self, code: &str) -> Option<&Head> {
        self.heads.iter().find(|h| h.code == code)
    }

    /// The bylaw in force on `day`: the one with the latest `effective_from` not after it.
    pub fn in_force(bylaws: &[Bylaw], day: JalaliDate) -> Option<&Bylaw> {
        bylaws.iter().filter(|b| b.effective_from <= day).max_by_key(|b| b.effective_from)
    }
}

fn compile_head(index: usize, raw: RawHead, extras: &[ExtraInput]) -> Result<Head, BylawError> {
    let code = raw.code.trim().to_owned();
    if !is_name(&code) {
        return Err(BylawError::invalid(
            &format!("heads[{index}]"),
            "code",
            "must be letters, digits and `_`, starting with a letter",
        ));
    }
    let section = format!("heads.{code}");
    let s = section.as_str();
    let per = match raw.per.as_str() {
        "level" => Per::Level,
        "case" => Per::Case,
        other => {
            return Err(BylawError::invalid(s, "per", format!("\"{other}\" is not \"level\" or \"case\"")));
        }
    };
    if raw.services.is_empty() || raw.services.iter().any(|svc| svc.trim().is_empty()) {
        return Err(BylawError::invalid(s, "services", "name at least one service, none empty"));
    }

    let mut scope = Scope { inputs: BTreeMap::new(), unavailable: BTreeMap::new(), tables: BTreeMap::new() };
    for (name, _) in CASE_INPUTS {
        let kind = if name == "service" { Type::Text } else { Type::Number };
        scope.inputs.insert(name.to_owned(), kind);
    }
    for (name, _) in LEVEL_INPUTS {
        let kind = if name == "use" { Type::Text } else { Type::Number };
        if per == Per::Level {
            scope.inputs.insert(name.to_owned(), kind);
        } else {
            scope.unavailable.insert(name.to_owned(), "is available only in per-level heads");
        }
    }
    for extra in extras {
        scope.inputs.insert(extra.name.clone(), Type::Number);
    }
    for name in raw.table.keys() {
        if !is_name(name) || scope.inputs.contains_key(name) || expr::is_reserved(name) {
            return Err(BylawError::invalid(
                s,
                &format!("table.{name}"),
                "a table needs a new name of letters, digits and `_`, not an input or function",
            ));
        }
        scope.tables.insert(name.clone(), None);
    }

    let formula = expr::compile_number(&raw.formula, &mut scope)
        .map_err(|problem| BylawError::invalid(s, "formula", problem))?;
    let when = raw
        .when
        .map(|source| {
            expr::compile_condition(&source, &mut scope)
                .map(|expr| Condition { source, expr })
                .map_err(|problem| BylawError::invalid(s, "when", problem))
        })
        .transpose()?;

    let mut tables = BTreeMap::new();
    for (name, entries) in raw.table {
        let field = format!("table.{name}");
        let kind = scope.tables.get(&name).copied().flatten().ok_or_else(|| {
            BylawError::invalid(s, &field, "the table is not used by the formula or condition")
        })?;
        if entries.is_empty() {
            return Err(BylawError::invalid(s, &field, "the table is empty"));
        }
        let table = match kind {
            Type::Text => {
                let mut words = BTreeMap::new();
                for (key, value) in &entries {
                    words.insert(key.clone(), decimal(s, &format!("{field}.{key}"), value)?);
                }
                Table::Words(words)
            }
            Type::Number => {
                let mut bands: Vec<(Band, Decimal)> = Vec::with_capacity(entries.len());
                for (key, value) in &entries {
                    let entry = format!("{field}.{key}");
                    let band = Band::parse(key).ok_or_else(|| {
                        BylawError::invalid(
                            s,
                            &entry,
                            "a numeric key is a whole number (\"3\"), \"n+\" (n and above) or \"<n\"",
                        )
                    })?;
                    if let Some((other, _)) = bands.iter().find(|(b, _)| b.overlaps(band)) {
                        return Err(BylawError::invalid(s, &entry, format!("overlaps the key \"{other}\"")));
                    }
                    bands.push((band, decimal(s, &entry, value)?));
                }
                Table::Bands(bands)
            }
        };
        tables.insert(name, table);
    }

    Ok(Head {
        code,
        name_fa: text(s, "name_fa", raw.name_fa)?,
        name_en: text(s, "name_en", raw.name_en)?,
        clause: text(s, "clause", raw.clause)?,
        party: party(s, &raw.party)?,
        per,
        services: raw.services,
        formula: Formula { source: raw.formula, expr: formula },
        when,
        tables,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_bylaw_loads() {
        let bylaw = Bylaw::demo().unwrap();
        assert_eq!(bylaw.version, "demo-1405.1");
        assert_eq!(bylaw.effective_from, JalaliDate::new(1405, 1, 1).unwrap());
        let floor = bylaw.head("floor_area").unwrap();
        assert_eq!(floor.formula.to_string(), "area × multiplier(level) × P");
        assert_eq!(floor.per, Per::Level);
        let table = &floor.tables["multiplier"];
        for (level, multiplier) in
            [(-3, 3), (-1, 3), (0, 5), (1, 6), (2, 6), (3, 7), (4, 8), (5, 10), (40, 10)]
        {
            assert_eq!(table.by_number(Decimal::from(level)), Some(Decimal::from(multiplier)), "{level}");
        }
        assert_eq!(bylaw.head("office_service").unwrap().party, Party::Office);
        assert_eq!(bylaw.cash_discount.percent, Decimal::from(5));
        assert_eq!(bylaw.instalments.max_months, 12);
    }

    #[test]
    fn rounding_modes() {
        let mut rounding = Rounding { clause: "r".into(), round_to: 1000, mode: RoundingMode::HalfUp };
        let r = |rounding: &Rounding, v: i64| rounding.apply(Decimal::from(v)).unwrap();
        assert_eq!(r(&rounding, 1_499), Decimal::from(1_000));
        assert_eq!(r(&rounding, 1_500), Decimal::from(2_000));
        rounding.mode = RoundingMode::Up;
        assert_eq!(r(&rounding, 1_001), Decimal::from(2_000));
        rounding.mode = RoundingMode::Down;
        assert_eq!(r(&rounding, 1_999), Decimal::from(1_000));
    }

    #[test]
    fn bands_overlap() {
        let b = |s: &str| Band::parse(s).unwrap();
        assert!(b("5+").overlaps(b("7")));
        assert!(!b("5+").overlaps(b("4")));
        assert!(b("<0").overlaps(b("-1")));
        assert!(!b("<0").overlaps(b("0")));
        assert!(b("<3").overlaps(b("2+")));
        assert!(!b("<3").overlaps(b("3+")));
        assert!(b("1+").overlaps(b("9+")));
        assert_eq!(Band::parse("x"), None);
        assert_eq!(b("<-2").to_string(), "<-2");
    }
}
