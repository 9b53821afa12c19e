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
    Frontage { length, existing_width: existing, approved_width: approved }
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
    parcel(dec!(245), dec!(24.5), 1, vec![frontage(dec!(10), dec!(12), dec!(12))])
}

fn m111_example() -> Parcel {
    parcel(dec!(400), dec!(25), 1, vec![frontage(dec!(16), dec!(14), dec!(14))])
}

fn res(level: i32, area: Decimal, units: Vec<Decimal>) -> Level {
    Level { level, use_: Use::Residential, gross_area: area, footprint_area: area, depth: dec!(15), units }
}

fn other(level: i32, use_: Use, area: Decimal) -> Level {
    Level { level, use_, gross_area: area, footprint_area: area, depth: dec!(15), units: vec![] }
}

// ---------------------------------------------------------------------------------------------
// Worked examples of sample-plan.md
// ---------------------------------------------------------------------------------------------

#[test]
fn worked_example_r122_245() {
    let s = sheet("R122", &first_example());
    assert_eq!(s.status, SheetStatus::Issued);
    assert_eq!(figures(&s), (dec!(245), dec!(4), dec!(147), dec!(588), dec!(16.7)));
    let f = s.figures.as_ref().expect("figures");
    assert_eq!(f.base_max_total_floor_area.formula, "min(far, base_floors × coverage) × net_area");
    assert_eq!(f.base_max_total_floor_area.arithmetic, "min(3, 4 × 0.6) × 245 = 588");
    assert_eq!(round_for_display(f.max_depth.result).to_string(), "16.7");
}

#[test]
fn worked_example_r121_corner() {
    let p = parcel(
        dec!(500),
        dec!(20),
        1,
        vec![frontage(dec!(20), dec!(8), dec!(12)), frontage(dec!(25), dec!(10), dec!(16))],
    );
    let s = sheet("R121", &p);
    assert_eq!(figures(&s), (dec!(391), dec!(4), dec!(234.6), dec!(938.4), dec!(12.2)));
    let f = s.figures.as_ref().expect("figures");
    assert_eq!(f.main_frontage, 1);
    assert_eq!(f.net_area.arithmetic, "500 − 20 × 2 − 25 × 3 + 2 × 3 = 391");
}

#[test]
fn worked_example_consolidation_three_parcels() {
    let p = parcel(dec!(600), dec!(30), 3, vec![frontage(dec!(20), dec!(12), dec!(12))]);
    let s = sheet("R122", &p);
    assert_eq!(figures(&s), (dec!(600), dec!(6), dec!(360), dec!(2040), dec!(20)));
    let f = s.figures.as_ref().expect("figures");
    assert_eq!(f.consolidation_bonus.result, dec!(240));
    assert_eq!(f.base_floors.result, dec!(5));
}

#[test]
fn worked_example_consolidation_capped_at_one_floor() {
    let p = parcel(dec!(600), dec!(30), 5, vec![frontage(dec!(20), dec!(12), dec!(12))]);
    let s = sheet("R122", &p);
    assert_eq!(figures(&s), (dec!(600), dec!(6), dec!(360), dec!(2160), dec!(20)));
    assert_eq!(s.figures.as_ref().map(|f| f.consolidation_bonus.result), Some(dec!(360)));
}

#[test]
fn worked_example_r111_small_parcel() {
    let p = parcel(dec!(120), dec!(15), 1, vec![frontage(dec!(8), dec!(4), dec!(5))]);
    let s = sheet("R111", &p);
    assert_eq!(figures(&s), (dec!(116), dec!(1), dec!(69.6), dec!(69.6), dec!(10.7)));
}

#[test]
fn worked_design_five_floors_is_accepted_with_purchase() {
    let s = sheet("R122", &first_example());
    let design =
        Design { levels: (0..5).map(|l| res(l, dec!(147), vec![dec!(140)])).collect(), parking_spaces: 5 };
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
    assert_eq!(x.arithmetic, "max(735 − 588, 0) = 147; 147 ≤ 1 × 147 → true");
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

    let short = Design { parking_spaces: 14, ..design };
    let c = plan_check(&rules(), &s, &short).expect("valid design");
    assert_eq!(c.overall, Verdict::NotAccepted);
    assert_eq!(
        c.verdicts_for(RuleId::Parking).next().map(|v| v.message_key.as_str()),
        Some("parking.shortfall")
    );
}

// ---------------------------------------------------------------------------------------------
// Synthetic city
// ---------------------------------------------------------------------------------------------

#[test]
fn synthetic_city_of_a_million_parcels_streams() {
    use daftar_zoning::synth::{SynthCity, SynthConfig};
    let start = std::time::Instant::now();
    let city = SynthCity::generate(SynthConfig::new(2026, 1_000_000));
    let mut count = 0usize;
    let mut area = Decimal::ZERO;
    for p in city.parcels() {
        count += 1;
        area += p.deed_area;
    }
    assert_eq!(count, 1_000_000);
    assert!(area > Decimal::ZERO);
    eprintln!("1,000,000 parcels in {:?}", start.elapsed());
}

// ---------------------------------------------------------------------------------------------
// One hand-computed case per rule
// ---------------------------------------------------------------------------------------------

fn verdict_of(c: &daftar_zoning::PlanCheck, rule: RuleId) -> Vec<(Option<i32>, Verdict, String)> {
    c.verdicts_for(rule).map(|v| (v.level, v.verdict, v.message_key.clone())).collect()
}

#[test]
fn rule1_widening_on_two_frontages() {
    // d1 = (14 − 10) / 2 = 2 along 12 m, d2 = (10 − 6) / 2 = 2 along 25 m:
    // 300 − 24 − 50 + 2 × 2 = 230.
    let p = parcel(
        dec!(300),
        dec!(25),
        1,
        vec![frontage(dec!(12), dec!(10), dec!(14)), frontage(dec!(25), dec!(6), dec!(10))],
    );
    let s = sheet("R121", &p);
    let f = s.figures.as_ref().expect("figures");
    assert_eq!(f.net_area.result, dec!(230));
    assert_eq!(f.setbacks[0].result, dec!(2));
    assert_eq!(
        f.setbacks[0].formula,
        "max(frontage_1_approved_width − frontage_1_existing_width, 0) × setback_share"
    );
    assert_eq!(
        f.net_area.formula,
        "deed_area − frontage_1_length × setback_1 − frontage_2_length × setback_2 + setback_1 × setback_2"
    );
    // Ties on approved width (14 vs 10: no tie) → frontage 1 is the main one; its setback 2
    // enters the depth rule: 0.6 × (25 − 2) + 2 = 15.8.
    assert_eq!(f.main_frontage, 0);
    assert_eq!(f.max_depth.result, dec!(15.8));
    // A street narrower in the plan than today takes no land.
    let p = parcel(dec!(300), dec!(25), 1, vec![frontage(dec!(12), dec!(14), dec!(10))]);
    assert_eq!(sheet("R121", &p).net_area(), Some(dec!(300)));
}

#[test]
fn rule2_reserve_land_needs_review_without_figures() {
    let p = parcel(dec!(10000), dec!(100), 1, vec![frontage(dec!(100), dec!(20), dec!(20))]);
    let s = sheet("R131", &p);
    assert_eq!(s.status, SheetStatus::NeedsReview);
    assert!(s.figures.is_none());
    assert_eq!(s.notes[0].rule, RuleId::ReserveLand);
    assert_eq!(s.notes[0].message_key, "reserve_land.needs_review");
    let p = parcel(dec!(9999.99), dec!(100), 1, vec![frontage(dec!(100), dec!(20), dec!(20))]);
    assert_eq!(sheet("R131", &p).status, SheetStatus::Issued);
}

#[test]
fn rule3_floors_one_fewer_per_unmet_condition() {
    // The Tehran fact: 245 m² in R122 gets 4 floors instead of 5.
    let s = sheet("R122", &first_example());
    let f = s.figures.as_ref().expect("figures");
    assert_eq!(f.base_floors.result, dec!(4));
    assert_eq!(f.base_floors.arithmetic, "max(5 − 1 × [245 < 300] − 1 × [12 < 12], 1) = 4");
    // Narrow street only: 4; both conditions unmet: 3.
    let narrow = parcel(dec!(400), dec!(25), 1, vec![frontage(dec!(16), dec!(10), dec!(10))]);
    assert_eq!(sheet("R122", &narrow).allowed_floors(), Some(dec!(4)));
    let both = parcel(dec!(245), dec!(25), 1, vec![frontage(dec!(10), dec!(10), dec!(10))]);
    assert_eq!(sheet("R122", &both).allowed_floors(), Some(dec!(3)));
    assert_eq!(
        s.figures.as_ref().map(|f| f.base_floors.clause.clone()),
        Some("sample-plan rule 3 (floors); sample-plan zone table, R122".to_owned())
    );
}

#[test]
fn widening_can_cost_a_floor_through_the_net_area() {
    // Not a bug: the plan's own arithmetic. 305 m² on a 12 m street keeps 5 floors in R122;
    // if the street is to be widened to 14 m the strip (10 × 1 m) leaves 295 m² < 300 m².
    let kept = parcel(dec!(305), dec!(30), 1, vec![frontage(dec!(10), dec!(12), dec!(12))]);
    let widened = parcel(dec!(305), dec!(30), 1, vec![frontage(dec!(10), dec!(12), dec!(14))]);
    assert_eq!(sheet("R122", &kept).allowed_floors(), Some(dec!(5)));
    assert_eq!(sheet("R122", &widened).allowed_floors(), Some(dec!(4)));
}

#[test]
fn rule4_coverage_uses_the_zone_percentage() {
    let p = parcel(dec!(800), dec!(40), 1, vec![frontage(dec!(20), dec!(16), dec!(16))]);
    let s = sheet("R131", &p);
    assert_eq!(s.max_footprint(), Some(dec!(400)));
    assert_eq!(
        s.figures.as_ref().map(|f| f.max_footprint.arithmetic.clone()),
        Some("0.5 × 800 = 400".to_owned())
    );
}

#[test]
fn rule5_far_binds_when_lower_than_floors_times_coverage() {
    // A plan edited to give R121 a FAR of 200 %: min(2, 4 × 0.6) × 400 = 800.
    let text = daftar_zoning::DEMO_RULES_TOML.replacen("far_percent = 240", "far_percent = 200", 1);
    let edited = PlanRules::from_toml(&text).expect("still valid");
    let p = parcel(dec!(400), dec!(25), 1, vec![frontage(dec!(16), dec!(12), dec!(12))]);
    let s = instruction_sheet(&edited, &p, ZoneContext::inside("R121"));
    assert_eq!(s.max_total_floor_area(), Some(dec!(800)));
    assert_eq!(sheet("R121", &p).max_total_floor_area(), Some(dec!(960)));
}

#[test]
fn rule6_depth_uses_the_main_frontage_setback() {
    // Equal approved widths: the longer frontage (25 m, 10 → 12, d = 1) is the main one.
    let p = parcel(
        dec!(500),
        dec!(20),
        1,
        vec![frontage(dec!(20), dec!(8), dec!(12)), frontage(dec!(25), dec!(10), dec!(12))],
    );
    let s = sheet("R121", &p);
    let f = s.figures.as_ref().expect("figures");
    assert_eq!(f.main_frontage, 1);
    assert_eq!(f.max_depth.arithmetic, "0.6 × (20 − 1) + 2 = 13.4");
}

#[test]
fn rule7_consolidation_two_parcels_and_cap() {
    let p = parcel(dec!(600), dec!(30), 2, vec![frontage(dec!(20), dec!(12), dec!(12))]);
    let s = sheet("R122", &p);
    let f = s.figures.as_ref().expect("figures");
    assert_eq!(f.consolidation_bonus.result, dec!(120));
    assert_eq!(f.allowed_floors.result, dec!(6));
    assert_eq!(f.max_total_floor_area.result, dec!(1920));
    // Ten merged parcels: 20 % × 9 = 180 % is capped at one floor of coverage (60 %).
    let p = parcel(dec!(600), dec!(30), 10, vec![frontage(dec!(20), dec!(12), dec!(12))]);
    let s = sheet("R122", &p);
    let f = s.figures.as_ref().expect("figures");
    assert_eq!(f.consolidation_bonus.arithmetic, "min(0.2 × (10 − 1), 1 × 0.6) × 600 = 360");
    assert_eq!(f.allowed_floors.result, dec!(6));
}

#[test]
fn rule8_mixed_use_parking_with_office_uplift_is_exact() {
    // 33 m² commercial + 90 m² office: 0.66 + 2.34 = exactly 3 spaces (floats give 4).
    let p = parcel(dec!(400), dec!(25), 1, vec![frontage(dec!(16), dec!(14), dec!(14))]);
    let s = sheet("M111", &p);
    let design = Design {
        levels: vec![other(0, Use::Commercial, dec!(33)), other(1, Use::Office, dec!(90))],
        parking_spaces: 3,
    };
    let c = plan_check(&rules(), &s, &design).expect("valid");
    let v = c.verdicts_for(RuleId::Parking).next().expect("parking verdict");
    assert_eq!(v.verdict, Verdict::Accepted);
    assert_eq!(v.explanation.as_ref().map(|x| x.result), Some(dec!(3)));
    let (commercial, office) = (std::hint::black_box(33.0f64), std::hint::black_box(90.0f64));
    let with_floats = commercial / 50.0 + office / 50.0 * 1.3;
    assert!(with_floats.ceil() == 4.0, "the float trap this rule avoids");
}

#[test]
fn rule9_use_not_permitted_on_an_upper_floor() {
    let s = sheet("M111", &m111_example());
    let design = Design {
        levels: vec![
            other(-1, Use::Parking, dec!(380)),
            other(0, Use::Office, dec!(200)),
            other(1, Use::Commercial, dec!(200)),
        ],
        parking_spaces: 20,
    };
    let c = plan_check(&rules(), &s, &design).expect("valid");
    assert_eq!(
        verdict_of(&c, RuleId::Uses),
        vec![
            (Some(-1), Verdict::Accepted, "uses.accepted".to_owned()),
            (Some(0), Verdict::Accepted, "uses.accepted".to_owned()),
            (Some(1), Verdict::NotAccepted, "uses.ground_floor_only".to_owned()),
        ]
    );
    assert_eq!(c.overall, Verdict::NotAccepted);
    // Office is not a use of R122 at all.
    let s = sheet("R122", &first_example());
    let design = Design { levels: vec![other(0, Use::Office, dec!(100))], parking_spaces: 10 };
    let c = plan_check(&rules(), &s, &design).expect("valid");
    assert_eq!(
        verdict_of(&c, RuleId::Uses),
        vec![(Some(0), Verdict::NotAccepted, "uses.not_permitted".to_owned())]
    );
}

#[test]
fn green_zone_gets_no_building_permit() {
    let s = sheet("G111", &first_example());
    assert_eq!(s.status, SheetStatus::NoBuildingPermit);
    assert!(s.figures.is_none());
    let design = Design { levels: vec![res(0, dec!(100), vec![dec!(100)])], parking_spaces: 1 };
    let c = plan_check(&rules(), &s, &design).expect("valid");
    assert_eq!(c.overall, Verdict::NotAccepted);
    assert_eq!(c.purchased_area, dec!(0));
    // Mostly green but a third in a building zone: a person decides.
    let straddling = ZoneContext {
        zone_code: Some("G111".into()),
        zones_involved: vec!["G111".into(), "R122".into()],
        outside_share: dec!(0.3),
    };
    let s = instruction_sheet(&rules(), &first_example(), straddling);
    assert_eq!(s.status, SheetStatus::NeedsReview);
    let keys: Vec<&str> = s.notes.iter().map(|n| n.message_key.as_str()).collect();
    assert_eq!(keys, vec!["zone_overlap.needs_review", "zone.no_building_permit"]);
    let c = plan_check(&rules(), &s, &design).expect("valid");
    assert_eq!(c.overall, Verdict::NeedsReview);
}

#[test]
fn more_than_two_frontages_need_review() {
    let f = frontage(dec!(10), dec!(12), dec!(12));
    let p = parcel(dec!(400), dec!(25), 1, vec![f.clone(), f.clone(), f]);
    let s = sheet("R122", &p);
    assert_eq!(s.status, SheetStatus::NeedsReview);
    assert_eq!(s.notes[0].rule, RuleId::FrontageCount);
}

#[test]
fn zone_overlap_above_ten_percent_names_the_zones() {
    let ctx = |share: Decimal| ZoneContext {
        zone_code: Some("R122".into()),
        zones_involved: vec!["R122".into(), "M111".into()],
        outside_share: share,
    };
    let s = instruction_sheet(&rules(), &first_example(), ctx(dec!(0.1001)));
    assert_eq!(s.status, SheetStatus::NeedsReview);
    assert!(s.figures.is_some(), "figures stay, provisional");
    let note = &s.notes[0];
    assert_eq!(note.message_key, "zone_overlap.needs_review");
    assert!(note.details.contains(&("zones".to_owned(), "R122, M111".to_owned())));
    let s = instruction_sheet(&rules(), &first_example(), ctx(dec!(0.1)));
    assert_eq!(s.status, SheetStatus::Issued);
    // The check of a design on a sheet that needs review needs review too.
    let s = instruction_sheet(&rules(), &first_example(), ctx(dec!(0.5)));
    let design = Design { levels: vec![res(0, dec!(100), vec![dec!(100)])], parking_spaces: 1 };
    let c = plan_check(&rules(), &s, &design).expect("valid");
    assert_eq!(c.overall, Verdict::NeedsReview);
}

#[test]
fn unknown_or_missing_zone_needs_review() {
    let s = instruction_sheet(&rules(), &first_example(), ZoneContext::default());
    assert_eq!(s.status, SheetStatus::NeedsReview);
    assert_eq!(s.notes[0].message_key, "zone.not_found");
    let s = sheet("X999", &first_example());
    assert_eq!(s.notes[0].message_key, "zone.unknown_code");
}

#[test]
fn below_ground_levels_count_by_use() {
    // R122, max total 588: a storage basement does not count, an office basement does.
    let s = sheet("R122", &first_example());
    let storage = Design {
        levels: vec![
            other(-1, Use::Storage, dec!(245)),
            res(0, dec!(147), vec![dec!(140)]),
            res(1, dec!(147), vec![dec!(140)]),
            res(2, dec!(147), vec![dec!(140)]),
            res(3, dec!(147), vec![dec!(140)]),
        ],
        parking_spaces: 4,
    };
    let c = plan_check(&rules(), &s, &storage).expect("valid");
    assert_eq!(c.overall, Verdict::Accepted);
    let mut with_office = storage.clone();
    with_office.levels[0].use_ = Use::Commercial;
    // Commercial is not a use of R122 either, and its 245 m² count: 833 − 588 = 245 > 147.
    let c = plan_check(&rules(), &s, &with_office).expect("valid");
    assert_eq!(
        verdict_of(&c, RuleId::FloorAreaRatio),
        vec![(None, Verdict::NotAccepted, "floor_area_ratio.excess_too_large".to_owned())]
    );
    assert_eq!(verdict_of(&c, RuleId::Floors)[0].1, Verdict::Accepted);
}

#[test]
fn purchase_limits() {
    let s = sheet("R122", &first_example());
    // Two floors over: not accepted, and then the area cannot be bought either.
    let six =
        Design { levels: (0..6).map(|l| res(l, dec!(100), vec![dec!(100)])).collect(), parking_spaces: 6 };
    let c = plan_check(&rules(), &s, &six).expect("valid");
    assert_eq!(verdict_of(&c, RuleId::Floors)[0].1, Verdict::NotAccepted);
    assert_eq!(verdict_of(&c, RuleId::FloorAreaRatio)[0].2, "floor_area_ratio.floors_not_accepted");
    assert_eq!(c.purchased_area, dec!(0));
    // R121 sells nothing: one floor over is not accepted.
    let p = parcel(dec!(400), dec!(25), 1, vec![frontage(dec!(16), dec!(12), dec!(12))]);
    let s = sheet("R121", &p);
    let five =
        Design { levels: (0..5).map(|l| res(l, dec!(240), vec![dec!(100)])).collect(), parking_spaces: 5 };
    let c = plan_check(&rules(), &s, &five).expect("valid");
    assert_eq!(verdict_of(&c, RuleId::Floors)[0].2, "floors.too_many_floors");
    assert_eq!(verdict_of(&c, RuleId::FloorAreaRatio)[0].2, "floor_area_ratio.not_purchasable");
    assert_eq!(c.overall, Verdict::NotAccepted);
}

#[test]
fn footprint_and_depth_are_checked_per_level() {
    let s = sheet("R122", &first_example());
    let mut big = res(1, dec!(150), vec![dec!(140)]);
    big.depth = dec!(16.71);
    let design = Design { levels: vec![res(0, dec!(147), vec![dec!(140)]), big], parking_spaces: 2 };
    let c = plan_check(&rules(), &s, &design).expect("valid");
    assert_eq!(
        verdict_of(&c, RuleId::Coverage),
        vec![
            (Some(0), Verdict::Accepted, "coverage.accepted".to_owned()),
            (Some(1), Verdict::NotAccepted, "coverage.exceeds_limit".to_owned()),
        ]
    );
    let depth: Vec<_> = c.verdicts_for(RuleId::Depth).collect();
    assert_eq!(depth[1].verdict, Verdict::NotAccepted);
    assert_eq!(depth[1].explanation.as_ref().map(|x| x.arithmetic.as_str()), Some("16.71 ≤ 16.7 → false"));
}

#[test]
fn sheet_pins_as_json_and_checks_the_plan_version() {
    let s = sheet("R121", &m111_example());
    let json = serde_json::to_string(&s).expect("serialises");
    let back: InstructionSheet = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, s);
    assert!(json.contains("\"plan_version\":\"demo-1405.1\""));
    assert!(json.contains("\"rule\":\"net_area\""));
    let mut other_plan = rules();
    other_plan.version = "demo-1406.1".into();
    let design = Design { levels: vec![res(0, dec!(100), vec![dec!(100)])], parking_spaces: 1 };
    assert!(matches!(
        plan_check(&other_plan, &s, &design),
        Err(daftar_zoning::CheckError::PlanVersionMismatch { .. })
    ));
}

#[test]
fn invalid_designs_are_errors_not_verdicts() {
    let s = sheet("R122", &first_example());
    let empty = Design { levels: vec![], parking_spaces: 0 };
    assert!(matches!(
        plan_check(&rules(), &s, &empty),
        Err(daftar_zoning::CheckError::Design(daftar_zoning::DesignError::NoLevels))
    ));
}

// ---------------------------------------------------------------------------------------------
// Drawings
// ---------------------------------------------------------------------------------------------

mod drawings {
    use super::*;
    use daftar_zoning::dxf_reader::{ProblemCode, read_design};
    use dxf::entities::{Entity, EntityType, Line, LwPolyline};
    use dxf::enums::AcadVersion;
    use dxf::{Drawing, LwPolylineVertex, Point};

    /// Map coordinates of the parcel's south-west corner: large numbers, as in real drawings.
    const X0: f64 = 531_200.0;
    const Y0: f64 = 3_951_400.0;

    pub struct Sketch {
        drawing: Drawing,
    }

    impl Sketch {
        pub fn new() -> Sketch {
            let mut drawing = Drawing::new();
            // A new drawing saves as R12, which has no LWPOLYLINE: they would vanish on save.
            drawing.header.version = AcadVersion::R2000;
            Sketch { drawing }
        }

        pub fn poly(mut self, layer: &str, pts: &[(f64, f64)], closed: bool) -> Sketch {
            self.poly_bulged(layer, &pts.iter().map(|&(x, y)| (x, y, 0.0)).collect::<Vec<_>>(), closed);
            self
        }

        fn poly_bulged(&mut self, layer: &str, pts: &[(f64, f64, f64)], closed: bool) {
            let mut p = LwPolyline::default();
            p.set_is_closed(closed);
            for &(x, y, bulge) in pts {
                p.vertices.push(LwPolylineVertex { x: X0 + x, y: Y0 + y, bulge, ..Default::default() });
            }
            let mut e = Entity::new(EntityType::LwPolyline(p));
            e.common.layer = layer.to_owned();
            self.drawing.add_entity(e);
        }

        pub fn arc_outline(mut self, layer: &str, pts: &[(f64, f64, f64)]) -> Sketch {
            self.poly_bulged(layer, pts, true);
            self
        }

        pub fn rect(self, layer: &str, x0: f64, y0: f64, x1: f64, y1: f64) -> Sketch {
            self.poly(layer, &[(x0, y0), (x1, y0), (x1, y1), (x0, y1)], true)
        }

        pub fn line(mut self, layer: &str, a: (f64, f64), b: (f64, f64)) -> Sketch {
            let mut e = Entity::new(EntityType::Line(Line::new(
                Point::new(X0 + a.0, Y0 + a.1, 0.0),
                Point::new(X0 + b.0, Y0 + b.1, 0.0),
            )));
            e.common.layer = layer.to_owned();
            self.drawing.add_entity(e);
            self
        }

        pub fn bytes(&self) -> Vec<u8> {
            let mut buf = Vec::new();
            self.drawing.save(&mut buf).expect("an in-memory drawing saves");
            buf
        }

        pub fn into_r12_bytes(mut self) -> Vec<u8> {
            self.drawing.header.version = AcadVersion::R12;
            self.bytes()
        }
    }

    /// R121, 400 m² (16 m frontage on a 12 m street, depth 25): 4 floors, max footprint 240,
    /// max total 960, max depth 17, floors not purchasable.
    pub fn r121_parcel() -> Parcel {
        parcel(dec!(400), dec!(25), 1, vec![frontage(dec!(16), dec!(12), dec!(12))])
    }

    /// `floors` residential levels of 12 × 15 m (180 m², one 168 m² unit each) over a parking
    /// basement with eight 2.5 × 5 m stalls.
    pub fn building(floors: usize) -> Sketch {
        let mut s = Sketch::new()
            .rect("PARCEL", 0.0, 0.0, 16.0, 25.0)
            .line("FRONTAGE", (0.0, 0.0), (16.0, 0.0))
            .rect("L-01-PRK", 0.0, 0.0, 16.0, 25.0)
            .rect("Labels", 1.0, 1.0, 2.0, 2.0);
        for level in 0..floors {
            s = s.rect(&format!("L+{level:02}-RES"), 2.0, 0.0, 14.0, 15.0).rect(
                &format!("L+{level:02}-UNIT"),
                2.0,
                0.0,
                14.0,
                14.0,
            );
        }
        for i in 0..8 {
            let x = 1.0 + 2.5 * f64::from(i);
            s = s.rect("PARKING", x, 18.0, x + 2.5, 23.0);
        }
        s
    }

    fn codes(bytes: &[u8]) -> Vec<ProblemCode> {
        match read_design(bytes, &rules().parking) {
            Ok(_) => Vec::new(),
            Err(e) => e.reasons.iter().map(|r| r.code).collect(),
        }
    }

    #[test]
    fn compliant_drawing_is_accepted() {
        let read = read_design(&building(4).bytes(), &rules().parking).expect("readable");
        assert_eq!(read.parcel_area, dec!(400));
        assert_eq!(read.design.parking_spaces, 8);
        assert_eq!(read.design.levels.len(), 5);
        let ground = &read.design.levels[1];
        assert_eq!((ground.level, ground.use_), (0, Use::Residential));
        assert_eq!((ground.gross_area, ground.depth), (dec!(180), dec!(15)));
        assert_eq!(ground.units, vec![dec!(168)]);
        let s = sheet("R121", &r121_parcel());
        let c = plan_check(&rules(), &s, &read.design).expect("valid design");
        assert_eq!(c.overall, Verdict::Accepted, "{:#?}", c.verdicts);
    }

    #[test]
    fn one_level_too_many_fails_on_floors_only() {
        let read = read_design(&building(5).bytes(), &rules().parking).expect("readable");
        let s = sheet("R121", &r121_parcel());
        let c = plan_check(&rules(), &s, &read.design).expect("valid design");
        assert_eq!(c.overall, Verdict::NotAccepted);
        let failing: Vec<(RuleId, String)> = c
            .verdicts
            .iter()
            .filter(|v| v.verdict != Verdict::Accepted)
            .map(|v| (v.rule, v.message_key.clone()))
            .collect();
        assert_eq!(failing, vec![(RuleId::Floors, "floors.too_many_floors".to_owned())]);
    }

    #[test]
    fn arcs_in_outlines_are_measured() {
        // Ground floor 12 × 10 m with a half-round bay of radius 6 m at the back:
        // 120 + π × 36 / 2 ≈ 176.55 m², depth 16 m.
        let s = Sketch::new()
            .rect("PARCEL", 0.0, 0.0, 16.0, 25.0)
            .line("FRONTAGE", (0.0, 0.0), (16.0, 0.0))
            .arc_outline(
                "L+00-OFF",
                &[(2.0, 0.0, 0.0), (14.0, 0.0, 0.0), (14.0, 10.0, 1.0), (2.0, 10.0, 0.0)],
            );
        let read = read_design(&s.bytes(), &rules().parking).expect("readable");
        let l = &read.design.levels[0];
        assert_eq!(l.gross_area, dec!(176.55));
        assert_eq!(l.depth, dec!(16));
    }

    #[test]
    fn broken_drawings_are_rejected_with_every_reason() {
        assert_eq!(codes(b"this is not a drawing"), vec![ProblemCode::Unreadable]);
        assert_eq!(codes(&[]), vec![ProblemCode::Unreadable]);

        let broken = Sketch::new()
            .poly("PARCEL", &[(0.0, 0.0), (16.0, 0.0), (16.0, 25.0)], false)
            .rect("L+00-RES", 2.0, 0.0, 14.0, 15.0)
            .rect("L+02-UNIT", 2.0, 0.0, 14.0, 14.0)
            .rect("PARKING", 0.0, 18.0, 2.4, 23.0)
            .poly("PARKING", &[(5.0, 18.0), (7.5, 18.0), (9.0, 23.0), (6.5, 23.0)], true)
            .rect("L+1-OFF", 0.0, 0.0, 1.0, 1.0);
        let found = codes(&broken.bytes());
        for expected in [
            ProblemCode::OpenPolyline,
            ProblemCode::MissingLayer,
            ProblemCode::StallTooSmall,
            ProblemCode::StallNotRectangle,
            ProblemCode::MissingUnits,
            ProblemCode::UnitsWithoutLevel,
            ProblemCode::BadLayerName,
        ] {
            assert!(found.contains(&expected), "{expected:?} missing from {found:?}");
        }
        // Both PARCEL (only an open outline) and FRONTAGE are reported missing.
        assert_eq!(found.iter().filter(|c| **c == ProblemCode::MissingLayer).count(), 2);

        let err = read_design(&broken.bytes(), &rules().parking).expect_err("rejected");
        let small = err.reasons.iter().find(|r| r.code == ProblemCode::StallTooSmall).expect("stall problem");
        assert_eq!(small.layer.as_deref(), Some("PARKING"));
        assert!(small.detail.contains("2.4 × 5 m"), "{}", small.detail);
        assert!(err.to_string().contains("stall_too_small"));
    }

    #[test]
    fn header_values_are_never_given_to_the_parser() {
        // The DXF parser panics on an out-of-range duration such as $TDINDWG = 1e300 (found by
        // fuzzing); the reader parses only the ENTITIES section, so the drawing still reads.
        let text = String::from_utf8(building(4).bytes()).expect("ASCII DXF");
        let mut lines: Vec<&str> = text.split("\r\n").collect();
        let at = lines.iter().position(|l| *l == "$TDINDWG").expect("the writer emits it");
        assert_eq!(lines[at + 1].trim(), "40");
        lines[at + 2] = "1e300";
        let damaged = lines.join("\r\n");
        let read = read_design(damaged.as_bytes(), &rules().parking).expect("still readable");
        assert_eq!(read.design.levels.len(), 5);
    }

    #[test]
    fn drawings_in_millimetres_and_non_dxf_files_are_refused() {
        let mut mm = building(4);
        mm.drawing.header.default_drawing_units = dxf::enums::Units::Millimeters;
        let err = read_design(&mm.bytes(), &rules().parking).expect_err("not metres");
        assert_eq!(err.reasons.len(), 1);
        assert_eq!(err.reasons[0].code, ProblemCode::NotMetres);
        assert!(err.reasons[0].detail.contains("millimetres"));
        assert_eq!(codes(b"AutoCAD Binary DXF\r\n\x1a\0"), vec![ProblemCode::Unreadable]);
        assert_eq!(codes(b"  0\nSECTION\n  2\nENTITIES\nnot a code\n"), vec![ProblemCode::Unreadable]);
        assert_eq!(codes(b"  0\nSECTION\n  0\nENDSEC\n"), vec![ProblemCode::Unreadable]);
    }

    #[test]
    fn empty_and_r12_drawings_have_no_levels() {
        let found = codes(&Sketch::new().bytes());
        assert!(found.contains(&ProblemCode::NoLevels));
        // Saved as R12, the LWPOLYLINEs are dropped: the drawing reads as empty.
        let found = codes(&building(4).into_r12_bytes());
        assert!(found.contains(&ProblemCode::NoLevels), "{found:?}");
    }

    #[test]
    fn levels_with_a_gap_or_two_uses_are_rejected() {
        let gap = Sketch::new()
            .rect("PARCEL", 0.0, 0.0, 16.0, 25.0)
            .line("FRONTAGE", (0.0, 0.0), (16.0, 0.0))
            .rect("L+00-OFF", 2.0, 0.0, 14.0, 15.0)
            .rect("L+02-OFF", 2.0, 0.0, 14.0, 15.0);
        assert_eq!(codes(&gap.bytes()), vec![ProblemCode::InvalidDesign]);
        let two_uses = Sketch::new()
            .rect("PARCEL", 0.0, 0.0, 16.0, 25.0)
            .line("FRONTAGE", (0.0, 0.0), (16.0, 0.0))
            .rect("L+00-OFF", 2.0, 0.0, 14.0, 15.0)
            .rect("L+00-COM", 2.0, 0.0, 14.0, 15.0);
        assert_eq!(codes(&two_uses.bytes()), vec![ProblemCode::LevelWithSeveralUses]);
    }

    #[test]
    fn depth_follows_a_rotated_frontage() {
        // The whole plot rotated by 30°: the level is still 15 m deep.
        let (c, s) = (30f64.to_radians().cos(), 30f64.to_radians().sin());
        let rot = |x: f64, y: f64| (x * c - y * s, x * s + y * c);
        let square = |x0, y0, x1, y1| vec![rot(x0, y0), rot(x1, y0), rot(x1, y1), rot(x0, y1)];
        let sk = Sketch::new()
            .poly("PARCEL", &square(0.0, 0.0, 16.0, 25.0), true)
            .line("FRONTAGE", rot(0.0, 0.0), rot(16.0, 0.0))
            .poly("L+00-OFF", &square(2.0, 0.0, 14.0, 15.0), true);
        let read = read_design(&sk.bytes(), &rules().parking).expect("readable");
        assert_eq!(read.design.levels[0].depth, dec!(15));
        assert_eq!(read.design.levels[0].gross_area, dec!(180));
    }
}

// ---------------------------------------------------------------------------------------------
// Import: one schema for GeoJSON and Shapefile
// ---------------------------------------------------------------------------------------------

mod shapefiles {
    use super::*;
    use daftar_zoning::import::{parcels_from_geojson, parcels_from_shapefile, zones_from_shapefile};
    use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
    use shapefile::{Point, PolygonRing, ShapeWriter, Writer};
    use std::io::Cursor;

    fn name(n: &str) -> FieldName {
        FieldName::try_from(n).expect("a short field name")
    }

    /// Writes polygons with attributes to in-memory .shp and .dbf parts.
    fn write(table: TableWriterBuilder, rows: Vec<(Vec<(f64, f64)>, Record)>) -> (Vec<u8>, Vec<u8>) {
        let (mut shp, mut shx, mut dbf) =
            (Cursor::new(Vec::new()), Cursor::new(Vec::new()), Cursor::new(Vec::new()));
        {
            let mut w =
                Writer::new(ShapeWriter::with_shx(&mut shp, &mut shx), table.build_with_dest(&mut dbf));
            for (ring, record) in &rows {
                let pts = ring.iter().map(|&(x, y)| Point::new(x, y)).collect();
                let poly = shapefile::Polygon::new(PolygonRing::Outer(pts));
                w.write_shape_and_record(&poly, record).expect("writes");
            }
        }
        (shp.into_inner(), dbf.into_inner())
    }

    #[test]
    fn parcels_read_the_same_from_shapefile_and_geojson() {
        let table = TableWriterBuilder::new()
            .add_character_field(name("pkey"), 20)
            .add_character_field(name("plate"), 20)
            .add_character_field(name("district"), 20)
            .add_numeric_field(name("deed_area"), 12, 2)
            .add_numeric_field(name("depth"), 8, 2)
            .add_numeric_field(name("p_value"), 12, 0)
            .add_numeric_field(name("merged"), 4, 0)
            .add_numeric_field(name("f1_len"), 8, 2)
            .add_numeric_field(name("f1_exist"), 8, 2)
            .add_numeric_field(name("f1_appr"), 8, 2)
            .add_numeric_field(name("f2_len"), 8, 2)
            .add_numeric_field(name("f2_exist"), 8, 2)
            .add_numeric_field(name("f2_appr"), 8, 2);
        let mut r = Record::default();
        let text = |s: &str| FieldValue::Character(Some(s.to_owned()));
        r.insert("pkey".into(), text("02-000017-003"));
        r.insert("plate".into(), text("4521/17"));
        r.insert("district".into(), text("منطقه ۲"));
        r.insert("deed_area".into(), FieldValue::Numeric(Some(500.0)));
        r.insert("depth".into(), FieldValue::Numeric(Some(20.0)));
        r.insert("p_value".into(), FieldValue::Numeric(Some(1_234_567.0)));
        r.insert("merged".into(), FieldValue::Numeric(Some(1.0)));
        r.insert("f1_len".into(), FieldValue::Numeric(Some(20.0)));
        r.insert("f1_exist".into(), FieldValue::Numeric(Some(8.0)));
        r.insert("f1_appr".into(), FieldValue::Numeric(Some(12.0)));
        r.insert("f2_len".into(), FieldValue::Numeric(Some(25.0)));
        r.insert("f2_exist".into(), FieldValue::Numeric(Some(10.0)));
        r.insert("f2_appr".into(), FieldValue::Numeric(Some(16.0)));
        let ring = vec![
            (531_200.0, 3_951_400.0),
            (531_200.0, 3_951_420.0),
            (531_225.0, 3_951_420.0),
            (531_225.0, 3_951_400.0),
            (531_200.0, 3_951_400.0),
        ];
        let (shp, dbf) = write(table, vec![(ring, r)]);
        let from_shp = parcels_from_shapefile(&shp, &dbf).expect("valid shapefile");

        let geojson = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
            "geometry":{"type":"Polygon","coordinates":[[[531200,3951400],[531225,3951400],[531225,3951420],[531200,3951420],[531200,3951400]]]},
            "properties":{"pkey":"02-000017-003","plate":"4521/17","district":"منطقه ۲","deed_area":500,"depth":20,
            "p_value":1234567,"merged":1,"f1_len":20,"f1_exist":8,"f1_appr":12,"f2_len":25,"f2_exist":10,"f2_appr":16}}]}"#;
        let from_json = parcels_from_geojson(geojson).expect("valid GeoJSON");

        assert_eq!(from_shp.len(), 1);
        let (a, b) = (&from_shp[0], &from_json[0]);
        assert_eq!(
            (&a.parcel_key, &a.registry_plate, &a.district, a.deed_area, a.depth, a.regional_value_p),
            (&b.parcel_key, &b.registry_plate, &b.district, b.deed_area, b.depth, b.regional_value_p)
        );
        assert_eq!(a.frontages, b.frontages);
        use geo::Area;
        assert_eq!(a.polygon.unsigned_area(), b.polygon.unsigned_area());
        // The corner example of the sample plan, read from a map file.
        let s = sheet("R121", a);
        assert_eq!(s.net_area(), Some(dec!(391)));
    }

    #[test]
    fn windows_arabic_code_page_is_honoured() {
        // Iranian GIS offices often write .dbf files in Windows-1256.
        use shapefile::dbase::encoding::EncodingRs;
        use shapefile::dbase::encoding_rs::WINDOWS_1256;
        let table = TableWriterBuilder::with_encoding(EncodingRs::from(WINDOWS_1256))
            .add_character_field(name("zone"), 20);
        let mut r = Record::default();
        r.insert("zone".into(), FieldValue::Character(Some("منطقه".into())));
        let sq = vec![(0.0, 0.0), (0.0, 10.0), (10.0, 10.0), (10.0, 0.0), (0.0, 0.0)];
        let (shp, dbf) = write(table, vec![(sq, r)]);
        let zones = zones_from_shapefile(&shp, &dbf).expect("readable");
        assert_eq!(zones[0].code, "منطقه");
    }

    #[test]
    fn zone_shapefile_and_a_bad_record() {
        let table = || TableWriterBuilder::new().add_character_field(name("zone"), 10);
        let mut good = Record::default();
        good.insert("zone".into(), FieldValue::Character(Some("M111".into())));
        let mut bad = Record::default();
        bad.insert("zone".into(), FieldValue::Character(None));
        let sq = |x: f64| vec![(x, 0.0), (x, 100.0), (x + 100.0, 100.0), (x + 100.0, 0.0), (x, 0.0)];
        let (shp, dbf) = write(table(), vec![(sq(0.0), good.clone())]);
        let zones = zones_from_shapefile(&shp, &dbf).expect("valid");
        assert_eq!(zones[0].code, "M111");
        let (shp, dbf) = write(table(), vec![(sq(0.0), good), (sq(100.0), bad)]);
        let e = zones_from_shapefile(&shp, &dbf).expect_err("second record has no code");
        assert_eq!((e.index, e.field.as_str(), e.reason.as_str()), (1, "zone", "missing"));
        let e = zones_from_shapefile(b"junk", b"junk").expect_err("unreadable");
        assert_eq!(e.field, "file");
    }
}

// ---------------------------------------------------------------------------------------------
// Spatial index over the synthetic city
// ---------------------------------------------------------------------------------------------

#[test]
fn synthetic_city_sheets_through_the_spatial_index() {
    use daftar_zoning::spatial::SpatialIndex;
    use daftar_zoning::synth::{SynthCity, SynthConfig};
    use geo::Centroid;
    let city = SynthCity::generate(SynthConfig::new(11, 3000));
    let index = SpatialIndex::new(city.parcels().collect(), city.zones.clone());
    let plan = rules();
    let (mut issued, mut green) = (0, 0);
    for p in index.parcels.parcels() {
        let c = p.polygon.centroid().expect("has a centroid");
        assert_eq!(index.parcel_at(c.x(), c.y()).map(|q| &q.parcel_key), Some(&p.parcel_key));
        let ctx = index.zone_context_for(p);
        assert!(ctx.zone_code.is_some());
        assert_eq!(ctx.outside_share, Decimal::ZERO);
        let s = instruction_sheet(&plan, p, ctx);
        match s.status {
            SheetStatus::Issued => issued += 1,
            SheetStatus::NoBuildingPermit => green += 1,
            SheetStatus::NeedsReview => {}
        }
    }
    assert!(issued > 2000, "{issued}");
    assert!(green > 0);
    let first = &index.parcels.parcels()[0];
    let c = first.polygon.centroid().expect("has a centroid");
    let around = index.parcels_in_box((c.x() - 1.0, c.y() - 1.0), (c.x() + 1.0, c.y() + 1.0));
    assert_eq!(around.len(), 1);
    assert!(index.zone_at(c.x(), c.y()).is_some());
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

mod properties {
    use super::*;
    use daftar_zoning::dxf_reader::read_design;
    use proptest::prelude::*;

    const ZONES: [&str; 9] = ["R111", "R112", "R121", "R122", "R131", "S111", "M111", "G111", "X1"];

    fn any_decimal() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            (-1_000_000i64..1_000_000, 0u32..4).prop_map(|(m, s)| Decimal::new(m, s)),
            (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
            Just(Decimal::MAX),
            Just(Decimal::MIN),
            Just(Decimal::ZERO),
        ]
    }

    fn any_frontage() -> impl Strategy<Value = Frontage> {
        (any_decimal(), any_decimal(), any_decimal()).prop_map(|(l, e, a)| frontage(l, e, a))
    }

    fn any_parcel() -> impl Strategy<Value = Parcel> {
        (any_decimal(), any_decimal(), any::<u32>(), prop::collection::vec(any_frontage(), 0..6))
            .prop_map(|(deed, depth, merged, fs)| parcel(deed, depth, merged, fs))
    }

    fn any_level() -> impl Strategy<Value = Level> {
        (
            -3i32..8,
            prop::sample::select(Use::ALL.to_vec()),
            any_decimal(),
            any_decimal(),
            any_decimal(),
            prop::collection::vec(any_decimal(), 0..4),
        )
            .prop_map(|(level, use_, g, f, d, units)| Level {
                level,
                use_,
                gross_area: g,
                footprint_area: f,
                depth: d,
                units,
            })
    }

    fn floors(zone: &str, deed: Decimal, f: Frontage) -> Decimal {
        sheet(zone, &parcel(deed, dec!(30), 1, vec![f])).allowed_floors().unwrap_or(Decimal::ZERO)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn larger_net_area_never_fewer_floors(
            zone in prop::sample::select(ZONES[..7].to_vec()),
            a in 1i64..999_999, b in 1i64..999_999,
            len in 1i64..4000, existing in 0i64..3000, widen in 0i64..800,
        ) {
            // Deed areas in centi-m² below the reserve threshold; same frontage for both.
            let (small, large) = (Decimal::new(a.min(b), 2), Decimal::new(a.max(b), 2));
            let f = frontage(Decimal::new(len, 2), Decimal::new(existing, 2), Decimal::new(existing + widen, 2));
            let (s1, s2) = (
                sheet(zone, &parcel(small, dec!(30), 1, vec![f.clone()])),
                sheet(zone, &parcel(large, dec!(30), 1, vec![f])),
            );
            if let (Some(n1), Some(n2)) = (s1.net_area(), s2.net_area()) {
                prop_assert!(n1 <= n2);
                prop_assert!(s1.allowed_floors() <= s2.allowed_floors());
            }
        }

        #[test]
        fn wider_approved_street_never_fewer_floors(
            zone in prop::sample::select(ZONES[..7].to_vec()),
            deed in 1i64..999_999, len in 1i64..4000,
            w1 in 0i64..4000, w2 in 0i64..4000,
        ) {
            // The street is already built to its approved width, so no land is lost: only the
            // street condition of rule 3 changes (see widening_can_cost_a_floor_through_the_net_area).
            let (narrow, wide) = (Decimal::new(w1.min(w2), 2), Decimal::new(w1.max(w2), 2));
            let deed = Decimal::new(deed, 2);
            let len = Decimal::new(len, 2);
            prop_assert!(
                floors(zone, deed, frontage(len, narrow, narrow))
                    <= floors(zone, deed, frontage(len, wide, wide))
            );
        }

        #[test]
        fn the_sweep_capacity_agrees_with_the_sheet(
            p in any_parcel(),
            zone in prop::sample::select(ZONES.to_vec()),
            share in any_decimal(),
        ) {
            let ctx = ZoneContext {
                zone_code: Some(zone.to_owned()),
                zones_involved: vec![zone.to_owned()],
                outside_share: share,
            };
            let fast = daftar_zoning::sweep::capacity(&rules(), &p, ctx.clone());
            let full = daftar_zoning::sweep::SheetCapacity::from(&instruction_sheet(&rules(), &p, ctx));
            prop_assert_eq!(fast, full);
        }

        #[test]
        fn no_parcel_makes_the_engine_panic(
            p in any_parcel(),
            zone in prop::sample::select(ZONES.to_vec()),
            share in any_decimal(),
            levels in prop::collection::vec(any_level(), 0..7),
            spaces in any::<u32>(),
        ) {
            let ctx = ZoneContext {
                zone_code: Some(zone.to_owned()),
                zones_involved: vec![zone.to_owned()],
                outside_share: share,
            };
            let s = instruction_sheet(&rules(), &p, ctx);
            if s.status == SheetStatus::Issued {
                let f = s.figures.as_ref().expect("an issued sheet has figures");
                prop_assert!(f.net_area.result > Decimal::ZERO);
                prop_assert!(f.allowed_floors.result >= Decimal::ONE);
            } else {
                prop_assert!(!s.notes.is_empty());
            }
            let design = Design { levels, parking_spaces: spaces };
            if let Ok(c) = plan_check(&rules(), &s, &design) {
                prop_assert!(c.purchased_area >= Decimal::ZERO);
                prop_assert!(!c.verdicts.is_empty());
            }
        }

        #[test]
        fn odd_parcel_shapes_never_crash_the_zone_lookup(
            pts in prop::collection::vec(
                (prop_oneof![-50.0f64..250.0, Just(f64::NAN), Just(1e300)], -50.0f64..150.0),
                0..9,
            ),
        ) {
            use daftar_zoning::spatial::ZoneIndex;
            use geo::{LineString, MultiPolygon};
            let rect = |x0: f64, x1: f64| polygon![(x: x0, y: 0.0), (x: x1, y: 0.0), (x: x1, y: 100.0), (x: x0, y: 100.0)];
            let zones = ZoneIndex::new(vec![
                daftar_zoning::Zone { code: "R122".into(), polygon: MultiPolygon::new(vec![rect(0.0, 100.0)]) },
                daftar_zoning::Zone { code: "M111".into(), polygon: MultiPolygon::new(vec![rect(100.0, 200.0)]) },
            ]);
            let ctx = zones.zone_context_for(&Polygon::new(LineString::from(pts), vec![]));
            prop_assert!(ctx.outside_share >= Decimal::ZERO && ctx.outside_share <= Decimal::ONE);
            prop_assert!(ctx.zone_code.is_none() || !ctx.zones_involved.is_empty() || ctx.outside_share == Decimal::ONE);
        }

        #[test]
        fn arbitrary_bytes_never_crash_the_drawing_reader(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
            let _ = read_design(&bytes, &rules().parking);
        }

        #[test]
        fn damaged_drawings_never_crash_the_drawing_reader(
            cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        ) {
            let mut bytes = drawings::building(2).bytes();
            for (at, b) in cuts {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            let _ = read_design(&bytes, &rules().parking);
        }

        #[test]
        fn arbitrary_text_never_crashes_the_importers(text in ".{0,400}", bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = daftar_zoning::import::parcels_from_geojson(&text);
            let _ = daftar_zoning::import::zones_from_geojson(&text);
            let _ = daftar_zoning::import::parcels_from_shapefile(&bytes, &bytes);
        }
    }
}

#[test]
fn the_sweep_capacity_agrees_with_the_sheet_across_a_synthetic_city() {
    let city = daftar_zoning::synth::SynthCity::generate(daftar_zoning::synth::SynthConfig::new(7, 20_000));
    let parcels: Vec<Parcel> = city.parcels().collect();
    let index = daftar_zoning::spatial::SpatialIndex::new(parcels.clone(), city.zones.clone());
    let rules = PlanRules::demo();
    for p in &parcels {
        let ctx = index.zone_context_for(p);
        let fast = daftar_zoning::sweep::capacity(&rules, p, ctx.clone());
        let full = daftar_zoning::sweep::SheetCapacity::from(&instruction_sheet(&rules, p, ctx));
        assert_eq!(fast, full, "parcel {}", p.parcel_key);
    }
}
