//! The plan check (کنترل نقشه): a design measured against its instruction sheet, one verdict per
//! rule, each with the arithmetic that decided it.

use crate::explain::{CmpOp, Explanation, Quantity, RuleId, Test, konst, var};
use crate::plan::{PlanRules, Use};
use crate::sheet::{InstructionSheet, SheetFigures, SheetStatus};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One storey of a design. Level 0 is the ground floor; negative levels are below ground.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    pub level: i32,
    #[serde(rename = "use")]
    pub use_: Use,
    /// Floor area that counts toward the total floor area.
    pub gross_area: Decimal,
    /// Area the level covers on the parcel, checked against the coverage rule.
    pub footprint_area: Decimal,
    /// Depth perpendicular to the main frontage, checked against the depth rule.
    pub depth: Decimal,
    /// Gross area of each unit; required on residential levels for the parking rule.
    #[serde(default)]
    pub units: Vec<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Design {
    pub levels: Vec<Level>,
    pub parking_spaces: u32,
}

/// A design the rules cannot be applied to. Reported instead of a verdict, since no verdict on
/// such input would mean anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum DesignError {
    #[error("the design has no levels")]
    NoLevels,
    #[error("level {level} appears more than once")]
    DuplicateLevel { level: i32 },
    #[error("level {level} is missing: levels must run without gaps through the ground floor")]
    MissingLevel { level: i32 },
    #[error("level {level}: {field} is {value}, which must not be negative")]
    Negative { level: i32, field: String, value: Decimal },
    #[error("level {level}: gross area must be greater than 0")]
    EmptyLevel { level: i32 },
    #[error("level {level}: a residential level must list its units")]
    MissingUnits { level: i32 },
    #[error("level {level}: unit {index} has area {value}, which must be greater than 0")]
    BadUnit { level: i32, index: usize, value: Decimal },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Design(#[from] DesignError),
    /// A design is checked under the plan version its sheet was issued under.
    #[error("the sheet was issued under plan version {sheet}, not {rules}")]
    PlanVersionMismatch { sheet: String, rules: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Accepted,
    AcceptedWithPurchase,
    NotAccepted,
    NeedsReview,
    NotApplicable,
}

impl Verdict {
    /// Ordering used for the overall verdict: not accepted outweighs needs review, which
    /// outweighs accepted with purchase, which outweighs accepted.
    fn severity(self) -> u8 {
        match self {
            Verdict::NotApplicable => 0,
            Verdict::Accepted => 1,
            Verdict::AcceptedWithPurchase => 2,
            Verdict::NeedsReview => 3,
            Verdict::NotAccepted => 4,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::AcceptedWithPurchase => "accepted_with_purchase",
            Verdict::NotAccepted => "not_accepted",
            Verdict::NeedsReview => "needs_review",
            Verdict::NotApplicable => "not_applicable",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleVerdict {
    pub rule: RuleId,
    /// The level the verdict is about, for per-level rules.
    pub level: Option<i32>,
    pub verdict: Verdict,
    pub explanation: Option<Explanation>,
    /// Stable key for the locale layer, e.g. `floors.accepted_with_purchase`.
    pub message_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCheck {
    pub plan_version: String,
    pub parcel_key: String,
    pub verdicts: Vec<RuleVerdict>,
    pub overall: Verdict,
    /// Floor area bought above the maximum total, for the fee engine; 0 unless the total floor
    /// area verdict is "accepted with purchase".
    pub purchased_area: Decimal,
}

impl PlanCheck {
    pub fn verdicts_for(&self, rule: RuleId) -> impl Iterator<Item = &RuleVerdict> {
        self.verdicts.iter().filter(move |v| v.rule == rule)
    }
}

/// Rejects designs the rules cannot be applied to.
pub fn validate_design(design: &Design) -> Result<(), DesignError> {
    if design.levels.is_empty() {
        return Err(DesignError::NoLevels);
    }
    let mut seen = BTreeMap::new();
    for l in &design.levels {
        if seen.insert(l.level, ()).is_some() {
            return Err(DesignError::DuplicateLevel { level: l.level });
        }
        for (field, value) in
            [("gross_area", l.gross_area), ("footprint_area", l.footprint_area), ("depth", l.depth)]
        {
            if value.is_sign_negative() && !value.is_zero() {
                return Err(DesignError::Negative { level: l.level, field: field.to_owned(), value });
            }
        }
        if l.gross_area.is_zero() {
            return Err(DesignError::EmptyLevel { level: l.level });
        }
        if l.use_ == Use::Residential && l.units.is_empty() {
            return Err(DesignError::MissingUnits { level: l.level });
        }
        // Unit gross areas include shares of common parts, so they may add up to more than the
        // level's gross area (the sample plan's M111 example: 110 + 160 m² on a 240 m² level).
        for (index, &u) in l.units.iter().enumerate() {
            if u <= Decimal::ZERO {
                return Err(DesignError::BadUnit { level: l.level, index, value: u });
            }
        }
    }
    // Levels run without gaps from the lowest basement through the ground floor to the top.
    let lowest = seen.keys().next().copied().unwrap_or(0).min(0);
    let highest = seen.keys().next_back().copied().unwrap_or(0).max(0);
    let mut expected = lowest;
    for &level in seen.keys() {
        if level != expected {
            return Err(DesignError::MissingLevel { level: expected });
        }
        expected = expected.saturating_add(1);
    }
    if highest >= expected {
        return Err(DesignError::MissingLevel { level: expected });
    }
    Ok(())
}

/// Rule 8: the exact requirement per use, summed, rounded up once. Residential spaces by unit
/// size class; other uses by floor area. `None` if the areas overflow.
pub fn required_parking(rules: &PlanRules, levels: &[Level]) -> Option<Explanation> {
    let p = &rules.parking;
    let r = &p.residential;
    let (mut small, mut medium, mut large) = (0u64, 0u64, 0u64);
    let mut area_by_use: BTreeMap<Use, Decimal> = BTreeMap::new();
    for l in levels {
        if l.use_ == Use::Residential {
            for &u in &l.units {
                if u < r.small_unit_below {
                    small += 1;
                } else if u > r.large_unit_above {
                    large += 1;
                } else {
                    medium += 1;
                }
            }
        } else {
            let entry = area_by_use.entry(l.use_).or_insert(Decimal::ZERO);
            *entry = entry.checked_add(l.gross_area)?;
        }
    }
    let mut e = var("small_units", Decimal::from(small)) * var("small_unit_spaces", r.small_unit_spaces)
        + var("medium_units", Decimal::from(medium)) * var("medium_unit_spaces", r.medium_unit_spaces)
        + var("large_units", Decimal::from(large)) * var("large_unit_spaces", r.large_unit_spaces);
    for by in &p.by_area {
        let area = area_by_use.get(&by.use_).copied().unwrap_or(Decimal::ZERO);
        let name = by.use_.code();
        // One division per use: the exact sum of areas is divided once, keeping the total exact
        // wherever the ratios allow it (33 m² commercial + 90 m² office is exactly 3 spaces).
        e = e + var(format!("{name}_area"), area) * var(format!("{name}_factor"), by.factor)
            / var(format!("{name}_area_per_space"), by.area_per_space);
    }
    Explanation::evaluate(RuleId::Parking, Quantity::RequiredParking, p.clause.as_str(), &e.ceil())
}

fn verdict(
    rule: RuleId,
    level: Option<i32>,
    verdict: Verdict,
    explanation: Option<Explanation>,
    message: &str,
) -> RuleVerdict {
    RuleVerdict { rule, level, verdict, explanation, message_key: format!("{}.{}", rule.key(), message) }
}

fn overall(verdicts: &[RuleVerdict]) -> Verdict {
    let worst =
        verdicts.iter().map(|v| v.verdict).max_by_key(|v| v.severity()).unwrap_or(Verdict::NotApplicable);
    // A check where nothing applied at all still needs a person.
    if worst == Verdict::NotApplicable { Verdict::NeedsReview } else { worst }
}

/// Checks a design against its sheet. The design is validated first; `rules` must be the plan
/// version the sheet was issued under.
pub fn plan_check(
    rules: &PlanRules,
    sheet: &InstructionSheet,
    design: &Design,
) -> Result<PlanCheck, CheckError> {
    if rules.version != sheet.plan_version {
        return Err(CheckError::PlanVersionMismatch {
            sheet: sheet.plan_version.clone(),
            rules: rules.version.clone(),
        });
    }
    validate_design(design)?;

    let mut verdicts = Vec::new();
    for note in &sheet.notes {
        let v = match sheet.status {
            SheetStatus::NoBuildingPermit => Verdict::NotAccepted,
            _ => Verdict::NeedsReview,
        };
        verdicts.push(RuleVerdict {
            rule: note.rule,
            level: None,
            verdict: v,
            explanation: None,
            message_key: note.message_key.clone(),
        });
    }
    let mut purchased_area = Decimal::ZERO;
    match &sheet.figures {
        None => {
            for rule in [
                RuleId::Floors,
                RuleId::Coverage,
                RuleId::Depth,
                RuleId::FloorAreaRatio,
                RuleId::Parking,
                RuleId::Uses,
            ] {
                verdicts.push(verdict(rule, None, Verdict::NotApplicable, None, "no_sheet_figures"));
            }
        }
        Some(fig) => {
            purchased_area = check_figures(rules, fig, design, &mut verdicts);
        }
    }
    Ok(PlanCheck {
        plan_version: sheet.plan_version.clone(),
        parcel_key: sheet.parcel.parcel_key.clone(),
        overall: overall(&verdicts),
        verdicts,
        purchased_area,
    })
}

fn counts_as_floor_area(rules: &PlanRules, l: &Level) -> bool {
    l.level >= 0 || !rules.counting.uncounted_below_ground.contains(&l.use_)
}

/// Pushes the per-rule verdicts and returns the purchased area.
fn check_figures(
    rules: &PlanRules,
    fig: &SheetFigures,
    design: &Design,
    out: &mut Vec<RuleVerdict>,
) -> Decimal {
    let overflow =
        |rule: RuleId, level: Option<i32>| verdict(rule, level, Verdict::NeedsReview, None, "out_of_range");
    let mut above: Vec<&Level> = design.levels.iter().filter(|l| l.level >= 0).collect();
    above.sort_by_key(|l| l.level);

    // Floors: levels at or above ground.
    let counted = Decimal::from(above.len());
    let allowed = fig.allowed_floors.result;
    let extra =
        if fig.extra_floor_purchasable { Decimal::from(rules.purchase.extra_floors) } else { Decimal::ZERO };
    let floors_clause = rules.floors.clause.as_str();
    let floors_verdict = if counted <= allowed {
        let t = Test::new(var("counted_floors", counted), CmpOp::Le, var("allowed_floors", allowed));
        let x = Explanation::comparison(RuleId::Floors, Quantity::CountedFloors, floors_clause, &t);
        verdict(RuleId::Floors, None, Verdict::Accepted, x, "accepted")
    } else {
        let t = Test::new(
            var("counted_floors", counted),
            CmpOp::Le,
            var("allowed_floors", allowed) + var("purchasable_floors", extra),
        );
        let x = Explanation::comparison(
            RuleId::Floors,
            Quantity::CountedFloors,
            rules.purchase.clause.as_str(),
            &t,
        );
        match t.holds() {
            Some(true) if !extra.is_zero() => {
                verdict(RuleId::Floors, None, Verdict::AcceptedWithPurchase, x, "accepted_with_purchase")
            }
            Some(_) => verdict(RuleId::Floors, None, Verdict::NotAccepted, x, "too_many_floors"),
            None => overflow(RuleId::Floors, None),
        }
    };
    let floors_not_accepted = floors_verdict.verdict == Verdict::NotAccepted;
    out.push(floors_verdict);

    // Footprint and depth of every level at or above ground.
    for l in &above {
        let t = Test::new(
            var("level_footprint", l.footprint_area),
            CmpOp::Le,
            var("max_footprint", fig.max_footprint.result),
        );
        out.push(limit_verdict(
            RuleId::Coverage,
            Quantity::LevelFootprint,
            &fig.max_footprint.clause,
            l.level,
            &t,
        ));
        let t = Test::new(var("level_depth", l.depth), CmpOp::Le, var("max_depth", fig.max_depth.result));
        out.push(limit_verdict(RuleId::Depth, Quantity::LevelDepth, &fig.max_depth.clause, l.level, &t));
    }

    // Total floor area, with the excess purchasable up to a number of max footprints.
    let mut purchased = Decimal::ZERO;
    let mut counted_area = Decimal::ZERO;
    let mut sum_ok = true;
    for l in design.levels.iter().filter(|l| counts_as_floor_area(rules, l)) {
        match counted_area.checked_add(l.gross_area) {
            Some(s) => counted_area = s,
            None => sum_ok = false,
        }
    }
    let far_clause = fig.max_total_floor_area.clause.clone();
    if !sum_ok {
        out.push(overflow(RuleId::FloorAreaRatio, None));
    } else {
        let excess_expr = (var("counted_floor_area", counted_area)
            - var("max_total_floor_area", fig.max_total_floor_area.result))
        .max(konst(Decimal::ZERO));
        let limit = var("max_area_in_footprints", rules.purchase.max_area_in_footprints)
            * var("max_footprint", fig.max_footprint.result);
        let base = Explanation::evaluate(
            RuleId::FloorAreaRatio,
            Quantity::ExcessFloorArea,
            far_clause.as_str(),
            &excess_expr,
        );
        match base {
            None => out.push(overflow(RuleId::FloorAreaRatio, None)),
            Some(x) if x.result.is_zero() => {
                out.push(verdict(RuleId::FloorAreaRatio, None, Verdict::Accepted, Some(x), "accepted"));
            }
            Some(x) => {
                let excess = x.result;
                let x = x.with_test(&Test::new(var("excess_floor_area", excess), CmpOp::Le, limit.clone()));
                let within = limit.eval().is_some_and(|lim| excess <= lim);
                if fig.extra_floor_purchasable && within && !floors_not_accepted {
                    purchased = excess;
                    out.push(verdict(
                        RuleId::FloorAreaRatio,
                        None,
                        Verdict::AcceptedWithPurchase,
                        x,
                        "accepted_with_purchase",
                    ));
                } else {
                    let why = if !fig.extra_floor_purchasable {
                        "not_purchasable"
                    } else if !within {
                        "excess_too_large"
                    } else {
                        "floors_not_accepted"
                    };
                    out.push(verdict(RuleId::FloorAreaRatio, None, Verdict::NotAccepted, x, why));
                }
            }
        }
    }

    // Parking.
    let provided = Decimal::from(design.parking_spaces);
    match required_parking(rules, &design.levels) {
        None => out.push(overflow(RuleId::Parking, None)),
        Some(req) => {
            let required = req.result;
            let x = req.with_test(&Test::new(
                var("parking_spaces", provided),
                CmpOp::Ge,
                var("required_parking", required),
            ));
            if provided >= required {
                out.push(verdict(RuleId::Parking, None, Verdict::Accepted, x, "accepted"));
            } else {
                out.push(verdict(RuleId::Parking, None, Verdict::NotAccepted, x, "shortfall"));
            }
        }
    }

    // Uses, level by level.
    let mut all: Vec<&Level> = design.levels.iter().collect();
    all.sort_by_key(|l| l.level);
    for l in all {
        out.push(use_verdict(rules, fig, l));
    }
    purchased
}

fn limit_verdict(rule: RuleId, q: Quantity, clause: &str, level: i32, t: &Test) -> RuleVerdict {
    let x = Explanation::comparison(rule, q, clause, t);
    match t.holds() {
        Some(true) => verdict(rule, Some(level), Verdict::Accepted, x, "accepted"),
        Some(false) => verdict(rule, Some(level), Verdict::NotAccepted, x, "exceeds_limit"),
        None => verdict(rule, Some(level), Verdict::NeedsReview, None, "out_of_range"),
    }
}

fn use_list(uses: &[Use]) -> String {
    let names: Vec<&str> = uses.iter().map(|u| u.code()).collect();
    format!("{{{}}}", names.join(", "))
}

/// Rule 9: a level's use must be permitted in the zone (ancillary uses are permitted in every
/// building zone), and ground-floor-only uses must be at level 0.
fn use_verdict(rules: &PlanRules, fig: &SheetFigures, l: &Level) -> RuleVerdict {
    let u = l.use_;
    let ancillary = rules.uses.ancillary.contains(&u);
    let permitted = ancillary || fig.permitted_uses.contains(&u);
    let ground_only = fig.ground_floor_only_uses.contains(&u);
    let placed_ok = !ground_only || l.level == 0;
    let ok = permitted && placed_ok;
    let mut permitted_all = fig.permitted_uses.clone();
    permitted_all.extend(rules.uses.ancillary.iter().copied().filter(|a| !fig.permitted_uses.contains(a)));
    let explanation = Explanation {
        rule: RuleId::Uses,
        quantity: Quantity::UsePermitted,
        clause: rules.uses.clause.clone(),
        inputs: vec![("level".to_owned(), Decimal::from(l.level))],
        formula: "level_use ∈ permitted_uses ∧ (level_use ∉ ground_floor_only_uses ∨ level = 0)".to_owned(),
        arithmetic: format!(
            "{u} ∈ {} ∧ ({u} ∉ {} ∨ {} = 0) → {ok}",
            use_list(&permitted_all),
            use_list(&fig.ground_floor_only_uses),
            l.level,
        ),
        result: if ok { Decimal::ONE } else { Decimal::ZERO },
    };
    let (v, key) = if !permitted {
        (Verdict::NotAccepted, "not_permitted")
    } else if !placed_ok {
        (Verdict::NotAccepted, "ground_floor_only")
    } else {
        (Verdict::Accepted, "accepted")
    };
    verdict(RuleId::Uses, Some(l.level), v, Some(explanation), key)
}

/// Human-oriented one-line summary of a verdict, for logs and command-line tools; user-facing
/// texts come from the locale layer through `message_key`.
pub fn summary(v: &RuleVerdict) -> String {
    let level = v.level.map(|l| format!(" level {l}")).unwrap_or_default();
    let arithmetic = v.explanation.as_ref().map(|x| format!(": {}", x.arithmetic)).unwrap_or_default();
    format!("{}{} {}{}", v.rule.key(), level, v.verdict.key(), arithmetic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn level(level: i32, use_: Use, area: Decimal, units: Vec<Decimal>) -> Level {
        Level { level, use_, gross_area: area, footprint_area: area, depth: dec!(10), units }
    }

    #[test]
    fn design_validation_catches_nonsense() {
        let d = |levels: Vec<Level>| Design { levels, parking_spaces: 0 };
        assert_eq!(validate_design(&d(vec![])), Err(DesignError::NoLevels));
        let office = |n| level(n, Use::Office, dec!(100), vec![]);
        assert_eq!(
            validate_design(&d(vec![office(0), office(0)])),
            Err(DesignError::DuplicateLevel { level: 0 })
        );
        assert_eq!(
            validate_design(&d(vec![office(0), office(2)])),
            Err(DesignError::MissingLevel { level: 1 })
        );
        assert_eq!(validate_design(&d(vec![office(1)])), Err(DesignError::MissingLevel { level: 0 }));
        assert_eq!(validate_design(&d(vec![office(-1)])), Err(DesignError::MissingLevel { level: 0 }));
        assert_eq!(
            validate_design(&d(vec![office(-2), office(0)])),
            Err(DesignError::MissingLevel { level: -1 })
        );
        assert!(validate_design(&d(vec![office(-1), office(0), office(1)])).is_ok());
        let mut neg = office(0);
        neg.depth = dec!(-1);
        assert!(matches!(validate_design(&d(vec![neg])), Err(DesignError::Negative { level: 0, .. })));
        assert_eq!(
            validate_design(&d(vec![level(0, Use::Residential, dec!(100), vec![])])),
            Err(DesignError::MissingUnits { level: 0 })
        );
        assert_eq!(
            validate_design(&d(vec![level(0, Use::Residential, dec!(100), vec![dec!(60), dec!(0)])])),
            Err(DesignError::BadUnit { level: 0, index: 1, value: dec!(0) })
        );
        assert_eq!(
            validate_design(&d(vec![level(0, Use::Office, dec!(0), vec![])])),
            Err(DesignError::EmptyLevel { level: 0 })
        );
    }

    #[test]
    fn parking_sums_exactly_then_rounds_up_once() {
        let rules = PlanRules::demo();
        let levels =
            vec![level(0, Use::Commercial, dec!(33), vec![]), level(1, Use::Office, dec!(90), vec![])];
        let x = required_parking(&rules, &levels).expect("no overflow");
        assert_eq!(x.result, dec!(3));
        assert_eq!(x.arithmetic, "ceil(0 × 1 + 0 × 1.5 + 0 × 2 + 33 × 1 / 50 + 90 × 1.3 / 50) = 3");
    }

    #[test]
    fn unit_size_classes_include_both_ends_of_the_middle_class() {
        let rules = PlanRules::demo();
        let levels = vec![level(
            0,
            Use::Residential,
            dec!(1000),
            vec![dec!(149.99), dec!(150), dec!(200), dec!(200.01)],
        )];
        let x = required_parking(&rules, &levels).expect("no overflow");
        // 1 + 1.5 + 1.5 + 2 = 6
        assert_eq!(x.result, dec!(6));
    }
}
