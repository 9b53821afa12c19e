//! Assessment: the invoice of a case under a bylaw, every line with its explanation.

use std::collections::BTreeMap;

use daftar_types::Rials;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::bylaw::{Bylaw, Head, Party, Per, Table};
use crate::expr::{Env, EvalError, Trace, fmt_decimal};

/// One level of the design as the fee bylaw sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelInput {
    /// 0 is the ground floor; levels below ground are negative.
    pub level: i32,
    /// The level's use (`parking`, `commercial`, `office`, `residential`, …); `use` in formulas.
    #[serde(rename = "use")]
    pub usage: String,
    /// Area in m².
    pub area: Decimal,
}

impl LevelInput {
    pub fn new(level: i32, usage: impl Into<String>, area: Decimal) -> LevelInput {
        LevelInput { level, usage: usage.into(), area }
    }
}

/// Everything a bylaw's formulas may read about a case.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AssessmentInputs {
    /// The service assessed, e.g. `building_permit`; selects the heads and the office tariff.
    pub service: String,
    pub levels: Vec<LevelInput>,
    /// `P`: the parcel's regional value in Rials per m².
    #[serde(rename = "P")]
    pub p: i64,
    /// Floor area purchased at the plan check ("accepted with purchase"), m².
    pub purchased_area: Decimal,
    /// Parking spaces missing under an approver's exemption; 0 when none was granted.
    pub missing_parking: u32,
    /// Values of the inputs the bylaw declares besides the built-in ones.
    pub extra: BTreeMap<String, Decimal>,
}

/// One line of the invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// The head's code, e.g. `floor_area`.
    pub head: String,
    pub name_fa: String,
    pub name_en: String,
    pub clause: String,
    pub party: Party,
    /// Symbolic formula: `area × multiplier(level) × P`.
    pub formula: String,
    /// The inputs and table values used, in order of first use.
    pub inputs: Vec<(String, String)>,
    /// The formula with numbers substituted, its exact result and the rounded amount:
    /// `380 × 3 × 1234567 = 1407406380 → 1407406000`.
    pub arithmetic: String,
    pub exact: Decimal,
    /// The amount charged, rounded as the bylaw says.
    pub amount: Rials,
    /// The level of a per-level line.
    pub level: Option<i32>,
    /// The amount assessed before a waiver set `amount` to zero; `None` when not waived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waived_from: Option<Rials>,
}

/// The invoice of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub bylaw_version: String,
    pub service: String,
    pub lines: Vec<InvoiceLine>,
    pub municipal_total: Rials,
    pub office_total: Rials,
    pub agency_total: Rials,
    /// The sum of all lines.
    pub total: Rials,
    /// Deducted from `total` when the invoice is paid in full at once; its `amount` is the
    /// deduction, a non-negative number.
    pub cash_discount: InvoiceLine,
    /// What was assessed: with the bylaw version, enough to assess it again.
    #[serde(default)]
    pub inputs: AssessmentInputs,
}

impl Assessment {
    /// What the payer owes when paying in full at once.
    pub fn cash_total(&self) -> Rials {
        Rials::new(self.total.get() - self.cash_discount.amount.get())
    }

    /// The sum of one party's lines.
    pub fn party_total(&self, party: Party) -> Rials {
        match party {
            Party::Municipality => self.municipal_total,
            Party::Office => self.office_total,
            Party::Agency => self.agency_total,
        }
    }
}

/// Why a case could not be assessed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssessError {
    /// The inputs themselves are unusable; `field` names which.
    #[error("input {field}: {problem}")]
    Input { field: String, problem: String },
    /// The bylaw has no head for the service.
    #[error("the bylaw charges nothing for service \"{0}\"")]
    UnknownService(String),
    /// A head's formula or condition failed for these inputs.
    #[error("head {head}{}: {error}", level.map(|l| format!(" (level {l})")).unwrap_or_default())]
    Head { head: String, level: Option<i32>, error: EvalError },
    /// A line's amount is negative.
    #[error("head {head}{}: the amount {exact} is negative", level.map(|l| format!(" (level {l})")).unwrap_or_default())]
    Negative { head: String, level: Option<i32>, exact: Decimal },
    /// A line or a total does not fit in Rials.
    #[error("{what}: the amount is too large")]
    TooLarge { what: String },
}

impl AssessError {
    /// The error for a person, in Persian or English, naming the head, level or input.
    pub fn message(&self, lang: daftar_types::Lang) -> String {
        use daftar_types::Lang;
        use daftar_types::digits::to_persian;
        let at = |head: &str, level: &Option<i32>| match level {
            Some(l) => format!("سرفصل «{head}» (طبقهٔ {})", to_persian(&l.to_string())),
            None => format!("سرفصل «{head}»"),
        };
        match (self, lang) {
            (AssessError::Input { field, problem }, Lang::Fa) => {
                format!("ورودی «{field}» درست نیست ({problem})")
            }
            (AssessError::UnknownService(service), Lang::Fa) => {
                format!("آیین‌نامه برای خدمت «{service}» عوارضی تعریف نکرده است")
            }
            (AssessError::Head { head, level, error }, Lang::Fa) => {
                format!("{}: {}", at(head, level), error.message(Lang::Fa))
            }
            (AssessError::Negative { head, level, exact }, Lang::Fa) => {
                format!("{}: مبلغ {} منفی است", at(head, level), to_persian(&fmt_decimal(*exact)))
            }
            (AssessError::TooLarge { what }, Lang::Fa) => format!("مبلغ ({what}) از حد مجاز بزرگ‌تر است"),
            (error, Lang::En) => error.to_string(),
        }
    }
}

struct CaseEnv<'a> {
    bylaw: &'a Bylaw,
    inputs: &'a AssessmentInputs,
    total_area: Decimal,
    level: Option<&'a LevelInput>,
    tables: &'a BTreeMap<String, Table>,
}

impl Env for CaseEnv<'_> {
    fn number(&self, name: &str) -> Result<Decimal, EvalError> {
        let level = self.level;
        let value = match name {
            "P" => Some(Decimal::from(self.inputs.p)),
            "purchased_area" => Some(self.inputs.purchased_area),
            "missing_parking" => Some(Decimal::from(self.inputs.missing_parking)),
            "total_area" => Some(self.total_area),
            "level" => level.map(|l| Decimal::from(l.level)),
            "area" => level.map(|l| l.area),
            _ => self.inputs.extra.get(name).copied().or_else(|| {
                self.bylaw.inputs.iter().find(|i| i.name == name).and_then(|input| input.default)
            }),
        };
        value.ok_or_else(|| EvalError::MissingInput(name.to_owned()))
    }

    fn text(&self, name: &str) -> Result<String, EvalError> {
        match (name, self.level) {
            ("service", _) => Ok(self.inputs.service.clone()),
            ("use", Some(level)) => Ok(level.usage.clone()),
            _ => Err(EvalError::MissingInput(name.to_owned())),
        }
    }

    fn lookup_number(&self, table: &str, key: Decimal) -> Result<Decimal, EvalError> {
        self.tables
            .get(table)
            .and_then(|t| t.by_number(key))
            .ok_or_else(|| EvalError::NoTableEntry { table: table.to_owned(), key: fmt_decimal(key) })
    }

    fn lookup_text(&self, table: &str, key: &str) -> Result<Decimal, EvalError> {
        self.tables
            .get(table)
            .and_then(|t| t.by_text(key))
            .ok_or_else(|| EvalError::NoTableEntry { table: table.to_owned(), key: format!("\"{key}\"") })
    }
}

fn check_inputs(bylaw: &Bylaw, inputs: &AssessmentInputs) -> Result<Decimal, AssessError> {
    let bad = |field: &str, problem: &str| {
        Err(AssessError::Input { field: field.to_owned(), problem: problem.to_owned() })
    };
    if inputs.p < 0 {
        return bad("P", "the regional value cannot be negative");
    }
    if inputs.purchased_area < Decimal::ZERO {
        return bad("purchased_area", "cannot be negative");
    }
    for name in inputs.extra.keys() {
        if !bylaw.inputs.iter().any(|i| i.name == *name) {
            return bad(&format!("extra.{name}"), "the bylaw declares no such input");
        }
    }
    let mut total_area = Decimal::ZERO;
    for (index, level) in inputs.levels.iter().enumerate() {
        if level.area < Decimal::ZERO {
            return bad(&format!("levels[{index}].area"), "cannot be negative");
        }
        total_area = total_area.checked_add(level.area).ok_or_else(|| AssessError::Input {
            field: "levels".to_owned(),
            problem: "the total area is too large".to_owned(),
        })?;
    }
    Ok(total_area)
}

fn to_rials(value: Decimal, what: impl Fn() -> String) -> Result<Rials, AssessError> {
    i64::try_from(value.trunc()).map(Rials::new).map_err(|_| AssessError::TooLarge { what: what() })
}

fn arithmetic(substituted: String, exact: Decimal, rounded: Decimal) -> String {
    let mut text = substituted;
    let exact_text = fmt_decimal(exact);
    if text != exact_text {
        text = format!("{text} = {exact_text}");
    }
    if rounded != exact {
        text = format!("{text} → {}", fmt_decimal(rounded));
    }
    text
}

fn line(
    bylaw: &Bylaw,
    head: &Head,
    env: &CaseEnv<'_>,
    level: Option<i32>,
) -> Result<Option<InvoiceLine>, AssessError> {
    let fail = |error| AssessError::Head { head: head.code.clone(), level, error };
    let mut trace = Trace::default();
    if let Some(when) = &head.when
        && !when.expr.eval(env, &mut trace).map_err(fail)?
    {
        return Ok(None);
    }
    let mut used = Trace::default();
    let (exact, substituted) = head.formula.expr.eval(env, &mut used).map_err(fail)?;
    if exact < Decimal::ZERO {
        return Err(AssessError::Negative { head: head.code.clone(), level, exact });
    }
    for (name, value) in trace.used {
        if !used.used.iter().any(|(n, _)| *n == name) {
            used.used.push((name, value));
        }
    }
    let what = || match level {
        Some(l) => format!("head {} (level {l})", head.code),
        None => format!("head {}", head.code),
    };
    let rounded = bylaw.rounding.apply(exact).ok_or_else(|| AssessError::TooLarge { what: what() })?;
    Ok(Some(InvoiceLine {
        head: head.code.clone(),
        name_fa: head.name_fa.clone(),
        name_en: head.name_en.clone(),
        clause: head.clause.clone(),
        party: head.party,
        formula: head.formula.to_string(),
        inputs: used.used,
        arithmetic: arithmetic(substituted, exact, rounded),
        exact,
        amount: to_rials(rounded, what)?,
        level,
        waived_from: None,
    }))
}

fn sum(lines: &[InvoiceLine], party: Option<Party>) -> Result<Rials, AssessError> {
    lines
        .iter()
        .filter(|l| party.is_none_or(|p| l.party == p))
        .try_fold(Rials::ZERO, |acc, l| acc.checked_add(l.amount))
        .ok_or_else(|| AssessError::TooLarge {
            what: party.map_or_else(|| "the total".to_owned(), |p| format!("the {p} total")),
        })
}

/// Computes the invoice of a case.
///
/// Heads apply in bylaw order, to the bylaw's heads for `inputs.service`; a per-level head gives
/// one line per level (levels in ascending order, as given when equal), a per-case head at most
/// one line. A head whose condition is false gives no line. Every line is rounded as the bylaw
/// says; the cash discount is a percentage of the rounded lines of its party, rounded the same
/// way. Inputs the bylaw does not declare, a missing value, a table without an entry, overflow
/// and division by zero are errors naming the head and level.
pub fn assess(bylaw: &Bylaw, inputs: &AssessmentInputs) -> Result<Assessment, AssessError> {
    let total_area = check_inputs(bylaw, inputs)?;
    let heads: Vec<&Head> = bylaw.heads.iter().filter(|h| h.services.contains(&inputs.service)).collect();
    if heads.is_empty() {
        return Err(AssessError::UnknownService(inputs.service.clone()));
    }
    let mut levels: Vec<&LevelInput> = inputs.levels.iter().collect();
    levels.sort_by_key(|l| l.level);

    let mut lines = Vec::new();
    for head in heads {
        let mut env = CaseEnv { bylaw, inputs, total_area, level: None, tables: &head.tables };
        match head.per {
            Per::Case => lines.extend(line(bylaw, head, &env, None)?),
            Per::Level => {
                for level in &levels {
                    env.level = Some(level);
                    lines.extend(line(bylaw, head, &env, Some(level.level))?);
                }
            }
        }
    }

    totals(bylaw, inputs, lines)
}

/// The assessment of `lines`: the party totals, the total and the cash discount.
fn totals(
    bylaw: &Bylaw,
    inputs: &AssessmentInputs,
    lines: Vec<InvoiceLine>,
) -> Result<Assessment, AssessError> {
    let service = inputs.service.as_str();
    let municipal_total = sum(&lines, Some(Party::Municipality))?;
    let office_total = sum(&lines, Some(Party::Office))?;
    let agency_total = sum(&lines, Some(Party::Agency))?;
    let total = sum(&lines, None)?;
    let cash_discount = discount_line(bylaw, service, &lines)?;
    Ok(Assessment {
        bylaw_version: bylaw.version.clone(),
        service: service.to_owned(),
        lines,
        municipal_total,
        office_total,
        agency_total,
        total,
        cash_discount,
        inputs: inputs.clone(),
    })
}

/// Why a waiver could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaiveError {
    #[error("the invoice was assessed under bylaw {assessed}, not {given}")]
    OtherBylaw { assessed: String, given: String },
    #[error("the invoice has no line of head \"{0}\"")]
    NoSuchHead(String),
    #[error("head \"{0}\" is already waived")]
    AlreadyWaived(String),
    #[error(transparent)]
    Assess(#[from] AssessError),
}

impl WaiveError {
    /// The error for a person, in Persian or English.
    pub fn message(&self, lang: daftar_types::Lang) -> String {
        use daftar_types::Lang;
        match (self, lang) {
            (WaiveError::OtherBylaw { assessed, given }, Lang::Fa) => {
                format!("صورت‌حساب با آیین‌نامهٔ {assessed} محاسبه شده است، نه {given}")
            }
            (WaiveError::NoSuchHead(head), Lang::Fa) => format!("صورت‌حساب ردیفی از سرفصل «{head}» ندارد"),
            (WaiveError::AlreadyWaived(head), Lang::Fa) => format!("سرفصل «{head}» پیش‌تر بخشوده شده است"),
            (WaiveError::Assess(error), lang) => error.message(lang),
            (error, Lang::En) => error.to_string(),
        }
    }
}

/// The assessment with every line of the named heads waived: charged zero, its assessed
/// amount kept in `waived_from` so the invoice still shows what was forgiven. The totals and
/// the cash discount are recomputed under the same bylaw.
pub fn waive(bylaw: &Bylaw, assessment: &Assessment, heads: &[String]) -> Result<Assessment, WaiveError> {
    if bylaw.version != assessment.bylaw_version {
        return Err(WaiveError::OtherBylaw {
            assessed: assessment.bylaw_version.clone(),
            given: bylaw.version.clone(),
        });
    }
    let mut lines = assessment.lines.clone();
    for head in heads {
        let mut found = false;
        for line in lines.iter_mut().filter(|l| &l.head == head) {
            if line.waived_from.is_some() {
                return Err(WaiveError::AlreadyWaived(head.clone()));
            }
            line.waived_from = Some(line.amount);
            line.amount = Rials::ZERO;
            found = true;
        }
        if !found {
            return Err(WaiveError::NoSuchHead(head.clone()));
        }
    }
    Ok(totals(bylaw, &assessment.inputs, lines)?)
}

fn discount_line(bylaw: &Bylaw, service: &str, lines: &[InvoiceLine]) -> Result<InvoiceLine, AssessError> {
    let discount = &bylaw.cash_discount;
    let applies = discount.services.iter().any(|s| s == service);
    let base = if applies { sum(lines, Some(discount.party))? } else { Rials::ZERO };
    let too_large = || AssessError::TooLarge { what: "the cash discount".to_owned() };
    let exact = discount
        .percent
        .checked_mul(Decimal::from(base.get()))
        .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
        .ok_or_else(too_large)?;
    let rounded = bylaw.rounding.apply(exact).ok_or_else(too_large)?;
    let base_name = format!("{}_lines", discount.party);
    Ok(InvoiceLine {
        head: "cash_discount".to_owned(),
        name_fa: discount.name_fa.clone(),
        name_en: discount.name_en.clone(),
        clause: discount.clause.clone(),
        party: discount.party,
        formula: format!("percent × {base_name} ÷ 100"),
        inputs: vec![
            ("percent".to_owned(), fmt_decimal(discount.percent)),
            (base_name, base.get().to_string()),
        ],
        arithmetic: arithmetic(
            format!("{} × {} ÷ 100", fmt_decimal(discount.percent), base.get()),
            exact,
            rounded,
        ),
        exact,
        amount: to_rials(rounded, || "the cash discount".to_owned())?,
        level: None,
        waived_from: None,
    })
}
