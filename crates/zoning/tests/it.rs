//! Acceptance tests: the sample plan's worked examples, one hand-computed case per rule, and
//! properties that must hold for any input.

use daftar_zoning::check::{Design, Level, Verdict, plan_check};
use daftar_zoning::num::round_for_display;
use daftar_zoning::plan::{Frontage, Parcel, PlanRules, Use};
use daftar_zoning::sheet::{InstructionSheet, SheetStatus, ZoneContext, instruction_sheet};
use daftar_zoning::{Quantity, RuleId};
use geo::{Polygon, polygon};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn rules() -> PlanRules {
    PlanRules::demo()
}

fn square(side: f64) -> Polygon<f64> {
    polygon![(x: 0.0, y: 0.0), (x: side, y: 0.0), (x: side, y: side), (x: 0.0, y: side)]
}

fn frontage(length: Decimal, existing: Decimal, approved: Decimal) -> Frontage {
    Frontage {
        length,
        existing_width: existing,
        approved_width: approved,
    }
}

fn parcel(deed: Decimal, depth: Decimal, merged: u32, frontages: Vec<Frontage>) -> Parcel {
    Parcel {
        parcel_key: "01-0001-001".into(),
        registry_plate: "1234/56".into(),
        district: "1".into(),
        polygon: square(20.0),
        deed_area: deed,
        depth,
        regional_value_p: 1_234_567,
        merged_parcels: merged,
        frontages,
    }
}

fn sheet(zone: &str, p: &Parcel) -> InstructionSheet {
    instruction_sheet(&rules(), p, ZoneContext::inside(zone))
}

/// (net, floors, max footprint, max total, max depth) as displayed: two decimals, half up.
fn figures(s: &InstructionSheet) -> (Decimal, Decimal, Decimal, Decimal, Decimal) {
    let f = s.figures.as_ref().expect("sheet has figures");
    (
        round_for_display(f.net_area.result),
        f.allowed_floors.result,
        round_for_display(f.max_footprint.result),
        round_for_display(f.max_total_floor_area.result),
        round_for_display(f.max_depth.result),
    )
}

fn first_example() -> Parcel {
    parcel(
        dec!(245),
        dec!(24.5),
        1,
        vec![frontage(dec!(10), dec!(12), dec!(12))],
    )
}

fn m111_example() -> Parcel {
    parcel(
        dec!(400),
        dec!(25),
        1,
        vec![frontage(dec!(16), dec!(14), dec!(14))],
    )
}

fn res(level: i32, area: Decimal, units: Vec<Decimal>) -> Level {
    Level {
        level,
        use_: Use::Residential,
        gross_area: area,
        footprint_area: area,
        depth: dec!(15),
        units,
    }
}

fn other(level: i32, use_: Use, area: Decimal) -> Level {
    Level {
        level,
        use_,
        gross_area: area,
        footprint_area: area,
        depth: dec!(15),
        units: vec![],
    }
}

// ---------------------------------------------------------------------------------------------
// Worked examples of sample-plan.md
// ---------------------------------------------------------------------------------------------

#[test]
fn worked_example_r122_245() {
    let s = sheet("R122", &first_example());
    assert_eq!(s.status, SheetStatus::Issued);
    assert_eq!(
        figures(&s),
        (dec!(245), dec!(4), dec!(147), dec!(588), dec!(16.7))
    );
    let f = s.figures.as_ref().expect("figures");
    assert_eq!(
        f.base_max_total_floor_area.formula,
        "min(far, base_floors × coverage) × net_area"
    );
    assert_eq!(
        f.base_max_total_floor_area.arithmetic,
        "min(3, 4 × 0.6) × 245 = 588"
    );
    assert_eq!(round_for_display(f.max_depth.result).to_string(), "16.7");
}

#[test]
fn worked_example_r121_corner() {
    let p = parcel(
        dec!(500),
        dec!(20),
        1,
        vec![
            frontage(dec!(20), dec!(8), dec!(12)),
            frontage(dec!(25), dec!(10), dec!(16)),
        ],
    );
    let s = sheet("R121", &p);
    assert_eq!(
        figures(&s),
        (dec!(391), dec!(4), dec!(234.6), dec!(938.4), dec!(12.2))
    );
    let f = s.figures.as_ref().expect("figures");
    assert_eq!(f.main_frontage, 1);
    assert_eq!(f.net_area.arithmetic, "500 − 20 × 2 − 25 × 3 + 2 × 3 = 391");
}

#[test]
fn worked_example_consolidation_three_parcels() {
    let p = parcel(
        dec!(600),
        dec!(30),
        3,
        vec![frontage(dec!(20), dec!(12), dec!(12))],
    );
    let s = sheet("R122", &p);
    assert_eq!(
        figures(&s),
        (dec!(600), dec!(6), dec!(360), dec!(2040), dec!(20))
    );
    let f = s.figures.as_ref().expect("figures");
    assert_eq!(f.consolidation_bonus.result, dec!(240));
    assert_eq!(f.base_floors.result, dec!(5));
}

#[test]
fn worked_example_consolidation_capped_at_one_floor() {
    let p = parcel(
        dec!(600),
        dec!(30),
        5,
        vec![frontage(dec!(20), dec!(12), dec!(12))],
    );
    let s = sheet("R122", &p);
    assert_eq!(
        figures(&s),
        (dec!(600), dec!(6), dec!(360), dec!(2160), dec!(20))
    );
    assert_eq!(
        s.figures.as_ref().map(|f| f.consolidation_bonus.result),
        Some(dec!(360))
    );
}

#[test]
fn worked_example_r111_small_parcel() {
    let p = parcel(
        dec!(120),
        dec!(15),
        1,
        vec![frontage(dec!(8), dec!(4), dec!(5))],
    );
    let s = sheet("R111", &p);
    assert_eq!(
        figures(&s),
        (dec!(116), dec!(1), dec!(69.6), dec!(69.6), dec!(10.7))
    );
}

#[test]
fn worked_design_five_floors_is_accepted_with_purchase() {
    let s = sheet("R122", &first_example());
    let design = Design {
        levels: (0..5).map(|l| res(l, dec!(147), vec![dec!(140)])).collect(),
        parking_spaces: 5,
    };
    let c = plan_check(&rules(), &s, &design).expect("valid design");
    assert_eq!(c.overall, Verdict::AcceptedWithPurchase);
    assert_eq!(c.purchased_area, dec!(147));
    let floors: Vec<_> = c.verdicts_for(RuleId::Floors).collect();
    assert_eq!(floors.len(), 1);
    assert_eq!(floors[0].verdict, Verdict::AcceptedWithPurchase);
    let far: Vec<_> = c.verdicts_for(RuleId::FloorAreaRatio).collect();
    assert_eq!(far[0].verdict, Verdict::AcceptedWithPurchase);
    let x = far[0].explanation.as_ref().expect("explained");
    assert_eq!(x.quantity, Quantity::ExcessFloorArea);
    assert_eq!(
        x.arithmetic,
        "max(735 − 588, 0) = 147; 147 ≤ 1 × 147 → true"
    );
    assert!(
        c.verdicts
            .iter()
            .filter(|v| !matches!(v.rule, RuleId::Floors | RuleId::FloorAreaRatio))
            .all(|v| v.verdict == Verdict::Accepted)
    );
}

#[test]
fn worked_m111_parking_needs_fifteen_spaces() {
    let s = sheet("M111", &m111_example());
    assert_eq!(s.status, SheetStatus::Issued);
    let design = Design {
        levels: vec![
            other(-1, Use::Parking, dec!(380)),
            other(0, Use::Commercial, dec!(200)),
            other(1, Use::Office, dec!(200)),
            res(2, dec!(240), vec![dec!(110), dec!(160)]),
            res(3, dec!(240), vec![dec!(110), dec!(160)]),
        ],
        parking_spaces: 15,
    };
    let c = plan_check(&rules(), &s, &design).expect("valid design");
    let parking: Vec<_> = c.verdicts_for(RuleId::Parking).collect();
    let x = parking[0].explanation.as_ref().expect("explained");
    assert_eq!(x.result, dec!(15));
    assert_eq!(
        x.arithmetic,
        "ceil(2 × 1 + 2 × 1.5 + 0 × 2 + 200 × 1 / 50 + 200 × 1.3 / 50) = 15; 15 ≥ 15 → true"
    );
    assert_eq!(parking[0].verdict, Verdict::Accepted);
    assert_eq!(c.overall, Verdict::Accepted);

    let short = Design {
        parking_spaces: 14,
        ..design
    };
    let c = plan_check(&rules(), &s, &short).expect("valid design");
    assert_eq!(c.overall, Verdict::NotAccepted);
    assert_eq!(
        c.verdicts_for(RuleId::Parking)
            .next()
            .map(|v| v.message_key.as_str()),
        Some("parking.shortfall")
    );
}
