//! What a city-wide sweep needs of each sheet — its status and main figures — without building
//! the explanations a person reads.
//!
//! Explanations cost about nine tenths of a sheet. For the plain case (sound data, a building
//! zone, inside it, not reserve land) [`capacity`] runs the same arithmetic as the sheet in the
//! same order with checked decimals; every other parcel, and any overflow, goes through
//! [`instruction_sheet`] itself, so the two can only agree. A property test holds them to it.

use rust_decimal::Decimal;

use crate::plan::{Frontage, Parcel, PlanRules};
use crate::sheet::{InstructionSheet, SheetStatus, ZoneContext, instruction_sheet, main_frontage};

/// The figures of a sheet that capacity totals are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetCapacity {
    pub status: SheetStatus,
    pub net_area: Option<Decimal>,
    pub allowed_floors: Option<Decimal>,
    pub max_footprint: Option<Decimal>,
    pub max_total_floor_area: Option<Decimal>,
    pub max_depth: Option<Decimal>,
}

impl From<&InstructionSheet> for SheetCapacity {
    fn from(sheet: &InstructionSheet) -> Self {
        SheetCapacity {
            status: sheet.status,
            net_area: sheet.net_area(),
            allowed_floors: sheet.allowed_floors(),
            max_footprint: sheet.max_footprint(),
            max_total_floor_area: sheet.max_total_floor_area(),
            max_depth: sheet.max_depth(),
        }
    }
}

/// The sheet's capacity figures, computed the fast way where the case is plain.
pub fn capacity(rules: &PlanRules, parcel: &Parcel, zone_context: ZoneContext) -> SheetCapacity {
    plain(rules, parcel, &zone_context)
        .unwrap_or_else(|| SheetCapacity::from(&instruction_sheet(rules, parcel, zone_context)))
}

fn setback(share: Decimal, f: &Frontage) -> Option<Decimal> {
    f.approved_width.checked_sub(f.existing_width)?.max(Decimal::ZERO).checked_mul(share)
}

/// Rules 1 and 3–7 for a parcel the sheet would issue without notes; `None` sends the parcel
/// down the full path.
fn plain(rules: &PlanRules, parcel: &Parcel, zone_context: &ZoneContext) -> Option<SheetCapacity> {
    let frontages = &parcel.frontages;
    let max_count = usize::try_from(rules.frontages.max_count).unwrap_or(usize::MAX);
    let sound = !frontages.is_empty()
        && frontages.len() <= max_count
        && parcel.deed_area > Decimal::ZERO
        && parcel.depth > Decimal::ZERO
        && parcel.merged_parcels > 0
        && frontages.iter().all(|f| {
            f.length > Decimal::ZERO && f.existing_width >= Decimal::ZERO && f.approved_width >= Decimal::ZERO
        });
    let zone = rules.zone(zone_context.zone_code.as_deref()?)?;
    if !sound
        || !zone.building_zone
        || zone_context.outside_share > rules.zone_overlap.max_outside_share()
        || parcel.deed_area >= rules.reserve_land.min_deed_area
    {
        return None;
    }
    let zero = Decimal::ZERO;
    let share = rules.net_area.setback_share;
    // Rule 1, in the sheet's order: deed − Σ length × setback + setback₁ × setback₂.
    let mut net = parcel.deed_area;
    for f in frontages {
        net = net.checked_sub(f.length.checked_mul(setback(share, f)?)?)?;
    }
    if let [a, b] = frontages.as_slice() {
        net = net.checked_add(setback(share, a)?.checked_mul(setback(share, b)?)?)?;
    }
    if net <= zero {
        return None;
    }
    // Rule 3.
    let main = &frontages[main_frontage(frontages)?];
    let lost = Decimal::from(rules.floors.floors_lost_per_unmet_condition);
    let unmet = |condition: bool| if condition { lost } else { zero };
    let floors = Decimal::from(zone.floors)
        .checked_sub(unmet(net < zone.min_parcel_area.unwrap_or(zero)))?
        .checked_sub(unmet(main.approved_width < zone.min_street_width.unwrap_or(zero)))?
        .max(Decimal::from(rules.floors.min_floors_in_building_zone));
    // Rules 4 and 5.
    let coverage = zone.coverage();
    let max_footprint = coverage.checked_mul(net)?;
    let base_total = zone.far().min(floors.checked_mul(coverage)?).checked_mul(net)?;
    // Rule 6: a depth that is not positive needs a person.
    let depth = rules
        .depth
        .share
        .checked_mul(parcel.depth.checked_sub(setback(share, main)?)?)?
        .checked_add(rules.depth.allowance)?;
    if depth <= zero {
        return None;
    }
    // Rule 7.
    let cons = &rules.consolidation;
    let per_parcel = cons.bonus_percent_per_extra_parcel.checked_div(Decimal::ONE_HUNDRED)?;
    let extra = Decimal::from(parcel.merged_parcels).checked_sub(Decimal::ONE)?;
    let bonus_floors = Decimal::from(cons.bonus_floors);
    let bonus = per_parcel.checked_mul(extra)?.min(bonus_floors.checked_mul(coverage)?).checked_mul(net)?;
    let allowed_floors =
        floors.checked_add(bonus_floors.checked_mul(if zero < bonus { Decimal::ONE } else { zero })?)?;
    let max_total = base_total.checked_add(bonus)?;
    Some(SheetCapacity {
        status: SheetStatus::Issued,
        net_area: Some(net),
        allowed_floors: Some(allowed_floors),
        max_footprint: Some(max_footprint),
        max_total_floor_area: Some(max_total),
        max_depth: Some(depth),
    })
}
