//! Points (امتیاز) under the call's rubric, each item with its clause, inputs and arithmetic so
//! an applicant can redo the sum by hand.

use std::collections::BTreeMap;

use daftar_types::{Lang, digits};
use serde::Serialize;

use crate::application::{Application, DegreeLevel, Location, Person};
use crate::call::{CallRules, Label};
use crate::eligibility::{HeldDegree, premises_conditions};
use crate::text::{alternatives, int};

/// Where the premises item's points come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PremisesBasis {
    /// Own premises that meet every premises rule.
    OwnMeetingRules,
    /// Own premises failing at least one premises rule.
    OwnNotMeetingRules,
    MunicipalSite,
}

/// One item of the rubric with the inputs it used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum PointsItem {
    /// Only the highest degree in the counted fields counts.
    HighestDegree {
        highest: Option<HeldDegree>,
        levels: BTreeMap<DegreeLevel, u32>,
    },
    /// Months of all entries in the counted fields are added, then whole years counted.
    Experience {
        fields: Vec<Label>,
        months: u32,
        full_years: u32,
        per_full_year: u32,
        cap: u32,
    },
    Premises {
        basis: PremisesBasis,
        award: u32,
    },
}

/// One line of the breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PointsLine {
    pub item: PointsItem,
    pub clause: String,
    /// The computation with numbers substituted, ASCII digits: `min(7 × 2, 20) = 14`.
    pub arithmetic: String,
    pub points: u32,
}

/// An applicant's points with the breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Points {
    pub call_version: String,
    pub lines: Vec<PointsLine>,
    pub max_total: u32,
    /// `min(10 + 14 + 15, 50) = 39`.
    pub arithmetic: String,
    pub total: u32,
}

/// Scores an application under the call's rubric. Points are computed for every application,
/// qualified or not, so the breakdown can always be shown.
pub fn score_points(rules: &CallRules, app: &Application) -> Points {
    let lines = vec![
        degree_line(rules, &app.applicant),
        experience_line(rules, &app.applicant),
        premises_line(rules, app),
    ];
    let sum: u32 = lines.iter().map(|l| l.points).fold(0, u32::saturating_add);
    let max_total = rules.points.max_total;
    let terms: Vec<String> = lines.iter().map(|l| l.points.to_string()).collect();
    let total = sum.min(max_total);
    Points {
        call_version: rules.version.clone(),
        arithmetic: format!("min({}, {max_total}) = {total}", terms.join(" + ")),
        lines,
        max_total,
        total,
    }
}

fn degree_line(rules: &CallRules, person: &Person) -> PointsLine {
    let rubric = &rules.points.degree;
    let highest = person
        .degrees
        .iter()
        .filter(|d| rubric.fields.contains(&d.field))
        .max_by(|a, b| a.level.cmp(&b.level).then_with(|| b.field.cmp(&a.field)))
        .map(|d| HeldDegree { level: d.level, field: rules.field_label(&d.field) });
    let points = highest.as_ref().and_then(|h| rubric.levels.get(&h.level)).copied().unwrap_or(0);
    PointsLine {
        item: PointsItem::HighestDegree { highest, levels: rubric.levels.clone() },
        clause: rubric.clause.clone(),
        arithmetic: points.to_string(),
        points,
    }
}

fn experience_line(rules: &CallRules, person: &Person) -> PointsLine {
    let rubric = &rules.points.experience;
    let months = person
        .experience
        .iter()
        .filter(|e| rubric.fields.contains(&e.field))
        .map(|e| e.months)
        .fold(0, u32::saturating_add);
    let full_years = months / 12;
    let uncapped = full_years.saturating_mul(rubric.per_full_year);
    let points = uncapped.min(rubric.cap);
    PointsLine {
        item: PointsItem::Experience {
            fields: rubric.fields.iter().map(|f| rules.field_label(f)).collect(),
            months,
            full_years,
            per_full_year: rubric.per_full_year,
            cap: rubric.cap,
        },
        clause: rubric.clause.clone(),
        arithmetic: format!("min({full_years} × {}, {}) = {points}", rubric.per_full_year, rubric.cap),
        points,
    }
}

fn premises_line(rules: &CallRules, app: &Application) -> PointsLine {
    let rubric = &rules.points.premises;
    let basis = match &app.location {
        Location::MunicipalSite(_) => PremisesBasis::MunicipalSite,
        Location::OwnPremises(p) if premises_conditions(rules, p).iter().all(|c| c.passed) => {
            PremisesBasis::OwnMeetingRules
        }
        Location::OwnPremises(_) => PremisesBasis::OwnNotMeetingRules,
    };
    let points = if basis == PremisesBasis::OwnMeetingRules { rubric.points } else { 0 };
    PointsLine {
        item: PointsItem::Premises { basis, award: rubric.points },
        clause: rubric.clause.clone(),
        arithmetic: points.to_string(),
        points,
    }
}

impl PointsLine {
    /// The item, its inputs and its points as a sentence.
    pub fn message(&self, lang: Lang) -> String {
        let points = int(self.points, lang);
        match &self.item {
            PointsItem::HighestDegree { highest, .. } => degree_text(highest.as_ref(), &points, lang),
            PointsItem::Experience { fields, months, full_years, per_full_year, cap } => {
                let fields: Vec<String> = fields.iter().map(|f| f.name(lang).to_owned()).collect();
                let fields = alternatives(&fields, lang);
                let (m, y, per, cap) =
                    (int(*months, lang), int(*full_years, lang), int(*per_full_year, lang), int(*cap, lang));
                let product = int(full_years.saturating_mul(*per_full_year), lang);
                match lang {
                    Lang::Fa => format!(
                        "سابقهٔ کار در {fields}: {m} ماه، یعنی {y} سال تمام؛ \
                         {y} × {per} = {product}، حداکثر {cap}: {points} امتیاز."
                    ),
                    Lang::En => format!(
                        "Experience in {fields}: {m} months, that is {y} full years; \
                         {y} × {per} = {product}, at most {cap}: {points} points."
                    ),
                }
            }
            PointsItem::Premises { basis, .. } => match (lang, basis) {
                (Lang::Fa, PremisesBasis::OwnMeetingRules) => {
                    format!("محل متقاضی همهٔ شرایط محل را دارد: {points} امتیاز.")
                }
                (Lang::Fa, PremisesBasis::OwnNotMeetingRules) => {
                    format!("محل متقاضی همهٔ شرایط محل را ندارد: {points} امتیاز.")
                }
                (Lang::Fa, PremisesBasis::MunicipalSite) => {
                    format!("متقاضی به‌جای محل خود، محل شهرداری خواسته است: {points} امتیاز.")
                }
                (Lang::En, PremisesBasis::OwnMeetingRules) => {
                    format!("Own premises meeting every premises rule: {points} points.")
                }
                (Lang::En, PremisesBasis::OwnNotMeetingRules) => {
                    format!("Own premises that do not meet every premises rule: {points} points.")
                }
                (Lang::En, PremisesBasis::MunicipalSite) => {
                    format!("A municipal site was requested instead of own premises: {points} points.")
                }
            },
        }
    }
}

fn degree_text(highest: Option<&HeldDegree>, points: &str, lang: Lang) -> String {
    match (lang, highest) {
        (Lang::Fa, Some(h)) => format!(
            "بالاترین مدرک در رشته‌های امتیازآور: {}: {points} امتیاز (فقط بالاترین مدرک حساب می‌شود).",
            h.describe(lang)
        ),
        (Lang::En, Some(h)) => format!(
            "Highest degree in the fields that earn points: {}: {points} points \
             (only the highest degree counts).",
            h.describe(lang)
        ),
        (Lang::Fa, None) => format!("مدرکی در رشته‌های امتیازآور وارد نشده است: {points} امتیاز."),
        (Lang::En, None) => format!("No degree in the fields that earn points: {points} points."),
    }
}

impl Points {
    /// The total as a sentence: `جمع: ۱۰ + ۱۴ + ۱۵ = ۳۹، حداکثر ۵۰: ۳۹ امتیاز.`
    pub fn message(&self, lang: Lang) -> String {
        let terms: Vec<String> = self.lines.iter().map(|l| l.points.to_string()).collect();
        let sum = self.lines.iter().map(|l| l.points).fold(0, u32::saturating_add);
        let text = match lang {
            Lang::Fa => format!(
                "جمع: {} = {sum}، حداکثر {}: {} امتیاز.",
                terms.join(" + "),
                self.max_total,
                self.total
            ),
            Lang::En => format!(
                "Total: {} = {sum}, at most {}: {} points.",
                terms.join(" + "),
                self.max_total,
                self.total
            ),
        };
        digits::localize(&text, lang)
    }
}
