//! The planning instruction sheet (دستور نقشه): what may be built on one parcel, rule by rule.
//!
//! A sheet is a value that carries a copy of everything it was computed from (plan version, zone
//! row, parcel, zone context), so it can be pinned to a case as JSON and shown years later
//! without recomputation, whatever happens to the plan file or the parcel map since.

use crate::explain::{Explanation, Expr, Quantity, RuleId, konst, var};
use crate::num::fmt_decimal;
use crate::plan::{Frontage, Parcel, ParkingRules, PlanRules, Use, ZoneRules};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Where the parcel lies in the zone map, as found by the spatial index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ZoneContext {
    /// Code of the zone containing the parcel's point-on-surface; `None` outside every zone.
    pub zone_code: Option<String>,
    /// Every zone the parcel's area touches, the containing one first.
    pub zones_involved: Vec<String>,
    /// Share (0 to 1) of the parcel's area outside the containing zone.
    pub outside_share: Decimal,
}

impl ZoneContext {
    /// A parcel wholly inside one zone.
    pub fn inside(code: &str) -> ZoneContext {
        ZoneContext {
            zone_code: Some(code.to_owned()),
            zones_involved: vec![code.to_owned()],
            outside_share: Decimal::ZERO,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SheetStatus {
    /// Every figure was computed by the machine.
    Issued,
    /// A person must decide; figures, if present, are provisional.
    NeedsReview,
    /// The zone allows no building (green / protection).
    NoBuildingPermit,
}

/// A remark on the sheet that is not a figure: why it needs review, or why nothing may be built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetNote {
    pub rule: RuleId,
    /// Stable key for the locale layer, e.g. `zone_overlap.needs_review`.
    pub message_key: String,
    pub clause: String,
    /// Named values the message refers to (zones involved, the offending field…).
    pub details: Vec<(String, String)>,
}

/// The computed figures, each with its explanation (the figure is `explanation.result`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetFigures {
    /// Index into the parcel's frontages of the main frontage.
    pub main_frontage: usize,
    /// Strip depth given up along each frontage, in frontage order.
    pub setbacks: Vec<Explanation>,
    pub net_area: Explanation,
    pub base_floors: Explanation,
    pub max_footprint: Explanation,
    pub base_max_total_floor_area: Explanation,
    pub consolidation_bonus: Explanation,
    pub allowed_floors: Explanation,
    pub max_total_floor_area: Explanation,
    pub max_depth: Explanation,
    pub permitted_uses: Vec<Use>,
    pub ground_floor_only_uses: Vec<Use>,
    pub extra_floor_purchasable: bool,
    /// The parking ratios the design will be checked against (rule 8 is per design).
    pub parking: ParkingRules,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstructionSheet {
    pub plan_version: String,
    pub plan_effective_from: String,
    /// Copy of the parcel as it was when the sheet was computed.
    pub parcel: Parcel,
    pub zone_context: ZoneContext,
    /// Copy of the zone row applied, if the zone is known.
    pub zone: Option<ZoneRules>,
    pub status: SheetStatus,
    pub notes: Vec<SheetNote>,
    /// Absent for reserve land, zones without building rights, and parcel data the rules
    /// cannot work with.
    pub figures: Option<SheetFigures>,
}

impl InstructionSheet {
    pub fn net_area(&self) -> Option<Decimal> {
        self.figures.as_ref().map(|f| f.net_area.result)
    }
    pub fn allowed_floors(&self) -> Option<Decimal> {
        self.figures.as_ref().map(|f| f.allowed_floors.result)
    }
    pub fn max_footprint(&self) -> Option<Decimal> {
        self.figures.as_ref().map(|f| f.max_footprint.result)
    }
    pub fn max_total_floor_area(&self) -> Option<Decimal> {
        self.figures.as_ref().map(|f| f.max_total_floor_area.result)
    }
    pub fn max_depth(&self) -> Option<Decimal> {
        self.figures.as_ref().map(|f| f.max_depth.result)
    }
}

/// The main frontage: widest approved street, ties to the longer frontage, then the first listed.
pub fn main_frontage(frontages: &[Frontage]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, f) in frontages.iter().enumerate() {
        best = match best {
            None => Some(i),
            Some(b) => {
                let cur = &frontages[b];
                let better = f.approved_width > cur.approved_width
                    || (f.approved_width == cur.approved_width && f.length > cur.length);
                Some(if better { i } else { b })
            }
        };
    }
    best
}

/// Computes the instruction sheet of one parcel. Never panics: data the rules cannot handle
/// yields a sheet that needs review, with a note saying why.
pub fn instruction_sheet(rules: &PlanRules, parcel: &Parcel, zone_context: ZoneContext) -> InstructionSheet {
    let mut sheet = InstructionSheet {
        plan_version: rules.version.clone(),
        plan_effective_from: rules.effective_from.clone(),
        parcel: parcel.clone(),
        zone_context,
        zone: None,
        status: SheetStatus::Issued,
        notes: Vec::new(),
        figures: None,
    };
    let zone_code = sheet.zone_context.zone_code.clone();
    let zone = zone_code.as_deref().and_then(|c| rules.zone(c));
    sheet.zone = zone.cloned();

    if let Some(note) = parcel_data_problem(rules, parcel) {
        return needs_review(sheet, vec![note]);
    }
    let Some(zone) = zone else {
        let note = SheetNote {
            rule: RuleId::Zone,
            message_key: match &zone_code {
                None => "zone.not_found".to_owned(),
                Some(_) => "zone.unknown_code".to_owned(),
            },
            clause: rules.zone_overlap.clause.clone(),
            details: zone_code.map(|c| vec![("zone".to_owned(), c)]).unwrap_or_default(),
        };
        return needs_review(sheet, vec![note]);
    };
    let mut notes = Vec::new();
    let max_outside = rules.zone_overlap.max_outside_share();
    if sheet.zone_context.outside_share > max_outside {
        notes.push(SheetNote {
            rule: RuleId::ZoneOverlap,
            message_key: "zone_overlap.needs_review".to_owned(),
            clause: rules.zone_overlap.clause.clone(),
            details: vec![
                ("zones".to_owned(), sheet.zone_context.zones_involved.join(", ")),
                ("outside_share".to_owned(), fmt_decimal(sheet.zone_context.outside_share)),
                ("max_outside_share".to_owned(), fmt_decimal(max_outside)),
            ],
        });
    }
    if !zone.building_zone {
        let green = SheetNote {
            rule: RuleId::Zone,
            message_key: "zone.no_building_permit".to_owned(),
            clause: zone.clause.clone(),
            details: vec![("zone".to_owned(), zone.code.clone())],
        };
        // Straddling a building zone, the parcel's fate is a person's call, not the machine's.
        if !notes.is_empty() {
            notes.push(green);
            return needs_review(sheet, notes);
        }
        sheet.status = SheetStatus::NoBuildingPermit;
        sheet.notes.push(green);
        return sheet;
    }
    // Rule 2 depends on the deed area alone; a reserve parcel gets no figures at all.
    if parcel.deed_area >= rules.reserve_land.min_deed_area {
        let note = SheetNote {
            rule: RuleId::ReserveLand,
            message_key: "reserve_land.needs_review".to_owned(),
            clause: rules.reserve_land.clause.clone(),
            details: vec![
                ("deed_area".to_owned(), fmt_decimal(parcel.deed_area)),
                ("min_deed_area".to_owned(), fmt_decimal(rules.reserve_land.min_deed_area)),
            ],
        };
        notes.push(note);
        return needs_review(sheet, notes);
    }

    match figures(rules, zone, parcel) {
        Ok(figures) => {
            if figures.max_depth.result <= Decimal::ZERO {
                notes.push(SheetNote {
                    rule: RuleId::Depth,
                    message_key: "depth.not_positive".to_owned(),
                    clause: rules.depth.clause.clone(),
                    details: vec![("max_depth".to_owned(), fmt_decimal(figures.max_depth.result))],
                });
            }
            sheet.figures = Some(figures);
            if notes.is_empty() { sheet } else { needs_review(sheet, notes) }
        }
        Err(note) => {
            notes.push(note);
            needs_review(sheet, notes)
        }
    }
}

fn needs_review(mut sheet: InstructionSheet, notes: Vec<SheetNote>) -> InstructionSheet {
    sheet.status = SheetStatus::NeedsReview;
    sheet.notes.extend(notes);
    sheet
}

fn data_note(rules: &PlanRules, key: &str, field: &str, value: String) -> SheetNote {
    SheetNote {
        rule: RuleId::ParcelData,
        message_key: format!("parcel_data.{key}"),
        clause: rules.frontages.clause.clone(),
        details: vec![("field".to_owned(), field.to_owned()), ("value".to_owned(), value)],
    }
}

/// Attribute values the rules cannot be applied to. Checked before any arithmetic so that every
/// figure on an issued sheet comes from sensible data.
fn parcel_data_problem(rules: &PlanRules, parcel: &Parcel) -> Option<SheetNote> {
    let max = usize::try_from(rules.frontages.max_count).unwrap_or(usize::MAX);
    if parcel.frontages.len() > max {
        return Some(SheetNote {
            rule: RuleId::FrontageCount,
            message_key: "frontage_count.needs_review".to_owned(),
            clause: rules.frontages.clause.clone(),
            details: vec![
                ("frontages".to_owned(), parcel.frontages.len().to_string()),
                ("max_frontages".to_owned(), max.to_string()),
            ],
        });
    }
    if parcel.frontages.is_empty() {
        return Some(data_note(rules, "no_frontage", "frontages", "0".to_owned()));
    }
    if parcel.deed_area <= Decimal::ZERO {
        return Some(data_note(rules, "not_positive", "deed_area", fmt_decimal(parcel.deed_area)));
    }
    if parcel.depth <= Decimal::ZERO {
        return Some(data_note(rules, "not_positive", "depth", fmt_decimal(parcel.depth)));
    }
    if parcel.merged_parcels == 0 {
        return Some(data_note(rules, "not_positive", "merged_parcels", "0".to_owned()));
    }
    for (i, f) in parcel.frontages.iter().enumerate() {
        let n = i + 1;
        if f.length <= Decimal::ZERO {
            return Some(data_note(
                rules,
                "not_positive",
                &format!("frontage_{n}_length"),
                fmt_decimal(f.length),
            ));
        }
        if f.existing_width < Decimal::ZERO {
            return Some(data_note(
                rules,
                "negative",
                &format!("frontage_{n}_existing_width"),
                fmt_decimal(f.existing_width),
            ));
        }
        if f.approved_width < Decimal::ZERO {
            return Some(data_note(
                rules,
                "negative",
                &format!("frontage_{n}_approved_width"),
                fmt_decimal(f.approved_width),
            ));
        }
    }
    None
}

/// The arithmetic of a rule overflowed: attribute values far outside anything real.
fn overflow_note(rule: RuleId, clause: &str) -> SheetNote {
    SheetNote {
        rule,
        message_key: "parcel_data.out_of_range".to_owned(),
        clause: clause.to_owned(),
        details: Vec::new(),
    }
}

/// Joins the rule clause with the zone table clause when the zone's numbers are used.
fn clause2(rule_clause: &str, zone: &ZoneRules) -> String {
    format!("{rule_clause}; {}", zone.clause)
}

/// Applies rules 1 and 3–7 in order.
fn figures(rules: &PlanRules, zone: &ZoneRules, parcel: &Parcel) -> Result<SheetFigures, SheetNote> {
    let eval = |rule: RuleId, q: Quantity, clause: &str, e: &Expr| {
        Explanation::evaluate(rule, q, clause, e).ok_or_else(|| overflow_note(rule, clause))
    };
    let share = rules.net_area.setback_share;
    let na_clause = rules.net_area.clause.as_str();

    // Rule 1: strip along each frontage where the approved width exceeds the existing one.
    let mut setbacks = Vec::with_capacity(parcel.frontages.len());
    for (i, f) in parcel.frontages.iter().enumerate() {
        let n = i + 1;
        let e = (var(format!("frontage_{n}_approved_width"), f.approved_width)
            - var(format!("frontage_{n}_existing_width"), f.existing_width))
        .max(konst(Decimal::ZERO))
            * var("setback_share", share);
        setbacks.push(eval(RuleId::NetArea, Quantity::Setback, na_clause, &e)?);
    }
    let mut net = var("deed_area", parcel.deed_area);
    for (i, (f, s)) in parcel.frontages.iter().zip(&setbacks).enumerate() {
        let n = i + 1;
        net = net - var(format!("frontage_{n}_length"), f.length) * var(format!("setback_{n}"), s.result);
    }
    if let [s1, s2] = setbacks.as_slice() {
        // The corner square lies in both strips; add it back once.
        net = net + var("setback_1", s1.result) * var("setback_2", s2.result);
    }
    let net_area = eval(RuleId::NetArea, Quantity::NetArea, na_clause, &net)?;
    if net_area.result <= Decimal::ZERO {
        return Err(SheetNote {
            rule: RuleId::NetArea,
            message_key: "net_area.not_positive".to_owned(),
            clause: na_clause.to_owned(),
            details: vec![("net_area".to_owned(), fmt_decimal(net_area.result))],
        });
    }
    let net_v = net_area.result;

    // Rule 3: one floor fewer per unmet condition, never below the minimum in a building zone.
    let main = main_frontage(&parcel.frontages).unwrap_or(0);
    let main_f = &parcel.frontages[main];
    let lost =
        var("floors_lost_per_unmet_condition", Decimal::from(rules.floors.floors_lost_per_unmet_condition));
    let floors_clause = clause2(&rules.floors.clause, zone);
    let base = (var("zone_floors", Decimal::from(zone.floors))
        - lost.clone()
            * var("net_area", net_v)
                .less(var("min_parcel_area", zone.min_parcel_area.unwrap_or(Decimal::ZERO)))
        - lost
            * var("main_street_approved_width", main_f.approved_width)
                .less(var("min_street_width", zone.min_street_width.unwrap_or(Decimal::ZERO))))
    .max(var("min_floors", Decimal::from(rules.floors.min_floors_in_building_zone)));
    let base_floors = eval(RuleId::Floors, Quantity::BaseFloors, &floors_clause, &base)?;

    // Rule 4.
    let coverage = zone.coverage();
    let cov_clause = clause2(&rules.coverage.clause, zone);
    let max_footprint = eval(
        RuleId::Coverage,
        Quantity::MaxFootprint,
        &cov_clause,
        &(var("coverage", coverage) * var("net_area", net_v)),
    )?;

    // Rule 5.
    let far_clause = clause2(&rules.floor_area_ratio.clause, zone);
    let base_total = eval(
        RuleId::FloorAreaRatio,
        Quantity::BaseMaxTotalFloorArea,
        &far_clause,
        &(var("far", zone.far()).min(var("base_floors", base_floors.result) * var("coverage", coverage))
            * var("net_area", net_v)),
    )?;

    // Rule 6: measured from the street line after widening.
    let depth_clause = rules.depth.clause.as_str();
    let max_depth = eval(
        RuleId::Depth,
        Quantity::MaxDepth,
        depth_clause,
        &(var("depth_share", rules.depth.share)
            * (var("depth", parcel.depth) - var("main_frontage_setback", setbacks[main].result))
            + var("depth_allowance", rules.depth.allowance)),
    )?;

    // Rule 7: bonus area for merged parcels, capped at the configured floors of coverage.
    let cons = &rules.consolidation;
    let cons_clause = clause2(&cons.clause, zone);
    let merged = Decimal::from(parcel.merged_parcels);
    let bonus_floors = Decimal::from(cons.bonus_floors);
    let bonus = eval(
        RuleId::Consolidation,
        Quantity::ConsolidationBonus,
        &cons_clause,
        &((var("bonus_per_extra_parcel", cons.bonus_percent_per_extra_parcel / Decimal::ONE_HUNDRED)
            * (var("merged_parcels", merged) - konst(Decimal::ONE)))
        .min(var("bonus_floors", bonus_floors) * var("coverage", coverage))
            * var("net_area", net_v)),
    )?;
    let allowed_floors = eval(
        RuleId::Consolidation,
        Quantity::AllowedFloors,
        &cons_clause,
        &(var("base_floors", base_floors.result)
            + var("bonus_floors", bonus_floors)
                * konst(Decimal::ZERO).less(var("consolidation_bonus", bonus.result))),
    )?;
    let max_total = eval(
        RuleId::Consolidation,
        Quantity::MaxTotalFloorArea,
        &cons_clause,
        &(var("base_max_total_floor_area", base_total.result) + var("consolidation_bonus", bonus.result)),
    )?;

    Ok(SheetFigures {
        main_frontage: main,
        setbacks,
        net_area,
        base_floors,
        max_footprint,
        base_max_total_floor_area: base_total,
        consolidation_bonus: bonus,
        allowed_floors,
        max_total_floor_area: max_total,
        max_depth,
        permitted_uses: zone.uses.clone(),
        ground_floor_only_uses: zone.ground_floor_only.clone(),
        extra_floor_purchasable: zone.extra_floor_purchasable,
        parking: rules.parking.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn f(length: Decimal, existing: Decimal, approved: Decimal) -> Frontage {
        Frontage { length, existing_width: existing, approved_width: approved }
    }

    #[test]
    fn main_frontage_prefers_width_then_length_then_order() {
        assert_eq!(main_frontage(&[]), None);
        let a = f(dec!(10), dec!(8), dec!(12));
        let b = f(dec!(20), dec!(8), dec!(16));
        assert_eq!(main_frontage(&[a.clone(), b.clone()]), Some(1));
        let c = f(dec!(25), dec!(12), dec!(12));
        assert_eq!(main_frontage(&[a.clone(), c.clone()]), Some(1));
        assert_eq!(main_frontage(&[a.clone(), a.clone()]), Some(0));
        assert_eq!(main_frontage(&[c, a]), Some(0));
    }
}
