//! Integration tests of the fee engine against the demo bylaw and the worked invoice of
//! shared/domain/sample-plan.md.

use std::collections::BTreeMap;

use daftar_fees::{
    AssessError, Assessment, AssessmentInputs, Bylaw, BylawError, EvalError, LevelInput, Party, Rials, assess,
};
use rust_decimal::Decimal;

fn d(value: i64) -> Decimal {
    Decimal::from(value)
}

fn demo() -> Bylaw {
    Bylaw::demo().expect("the demo bylaw loads")
}

/// The M111 example of sample-plan.md: parking basement, commercial ground floor, office level 1,
/// two residential levels.
fn m111(p: i64) -> AssessmentInputs {
    AssessmentInputs {
        service: "building_permit".to_owned(),
        levels: vec![
            LevelInput::new(0, "commercial", d(200)),
            LevelInput::new(-1, "parking", d(380)),
            LevelInput::new(1, "office", d(200)),
            LevelInput::new(2, "residential", d(240)),
            LevelInput::new(3, "residential", d(240)),
        ],
        p,
        ..AssessmentInputs::default()
    }
}

fn worked() -> Assessment {
    assess(&demo(), &m111(1_234_567)).expect("the worked example assesses")
}

fn amounts(assessment: &Assessment, head: &str) -> Vec<i64> {
    assessment.lines.iter().filter(|l| l.head == head).map(|l| l.amount.get()).collect()
}

#[test]
fn worked_invoice_to_the_rial() {
    let a = worked();
    assert_eq!(a.bylaw_version, "demo-1405.1");
    assert_eq!(
        amounts(&a, "floor_area"),
        [1_407_406_000, 1_234_567_000, 1_481_480_000, 1_777_776_000, 2_074_073_000]
    );
    let levels: Vec<_> = a.lines.iter().filter(|l| l.head == "floor_area").map(|l| l.level).collect();
    assert_eq!(levels, [Some(-1), Some(0), Some(1), Some(2), Some(3)]);
    assert_eq!(a.municipal_total, Rials::new(7_975_302_000));
    assert_eq!(amounts(&a, "office_service"), [4_500_000]);
    assert_eq!(a.office_total, Rials::new(4_500_000));
    assert_eq!(a.agency_total, Rials::ZERO);
    assert_eq!(a.total, Rials::new(7_979_802_000));
    assert_eq!(a.cash_discount.amount, Rials::new(398_765_000));
    assert_eq!(a.cash_total(), Rials::new(7_979_802_000 - 398_765_000));
    assert!(amounts(&a, "purchased_area").is_empty());
    assert!(amounts(&a, "parking_shortfall").is_empty());
    assert!(amounts(&a, "rent").is_empty());
}

#[test]
fn lines_explain_themselves() {
    let a = worked();
    let basement = &a.lines[0];
    assert_eq!(basement.head, "floor_area");
    assert_eq!(basement.name_fa, "عوارض زیربنا");
    assert_eq!(basement.name_en, "Floor-area fee");
    assert_eq!(basement.clause, "fee bylaw, floor-area fee");
    assert_eq!(basement.party, Party::Municipality);
    assert_eq!(basement.formula, "area × multiplier(level) × P");
    assert_eq!(basement.arithmetic, "380 × 3 × 1234567 = 1407406380 → 1407406000");
    assert_eq!(basement.exact, d(1_407_406_380));
    let inputs: Vec<(&str, &str)> = basement.inputs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert_eq!(inputs, [("area", "380"), ("level", "-1"), ("multiplier(level)", "3"), ("P", "1234567")]);
    // A line that needs no rounding shows no arrow.
    assert_eq!(a.lines[1].arithmetic, "200 × 5 × 1234567 = 1234567000");
    let office = a.lines.iter().find(|l| l.head == "office_service").expect("office line");
    assert_eq!(office.party, Party::Office);
    assert_eq!(office.name_fa, "حق‌الزحمهٔ دفتر");
    assert_eq!(office.arithmetic, "4500000");
    assert_eq!(
        office.inputs,
        [
            ("service".to_owned(), "building_permit".to_owned()),
            ("tariff(service)".to_owned(), "4500000".to_owned())
        ]
    );
    assert_eq!(a.cash_discount.arithmetic, "5 × 7975302000 ÷ 100 = 398765100 → 398765000");
    assert_eq!(a.cash_discount.party, Party::Municipality);
}

#[test]
fn totals_equal_the_sum_of_lines() {
    let a = worked();
    let sum: i64 = a.lines.iter().map(|l| l.amount.get()).sum();
    assert_eq!(a.total.get(), sum);
    assert_eq!(a.total.get(), a.municipal_total.get() + a.office_total.get() + a.agency_total.get());
}

#[test]
fn purchased_area_is_fifteen_p_per_square_metre() {
    let mut inputs = m111(1_000_000);
    inputs.purchased_area = "147.5".parse().expect("decimal");
    let a = assess(&demo(), &inputs).expect("assesses");
    let line = a.lines.iter().find(|l| l.head == "purchased_area").expect("purchase line");
    assert_eq!(line.amount, Rials::new(2_212_500_000));
    assert_eq!(line.arithmetic, "15 × 1000000 × 147.5 = 2212500000");
    assert_eq!(line.name_fa, "عوارض خرید مازاد تراکم");
    assert_eq!(a.municipal_total.get(), 6_460_000_000 + 2_212_500_000);
}

#[test]
fn parking_shortfall_only_when_an_exemption_is_given() {
    let bylaw = demo();
    let none = assess(&bylaw, &m111(1_234_567)).expect("assesses");
    assert!(amounts(&none, "parking_shortfall").is_empty());
    let mut inputs = m111(1_234_567);
    inputs.missing_parking = 2;
    let a = assess(&bylaw, &inputs).expect("assesses");
    // 40 × 1234567 × 2 = 98765360 → 98765000
    assert_eq!(amounts(&a, "parking_shortfall"), [98_765_000]);
    assert_eq!(a.municipal_total, Rials::new(7_975_302_000 + 98_765_000));
    assert_eq!(a.office_total, Rials::new(4_500_000));
}

#[test]
fn rounding_is_half_up_at_exactly_500() {
    let bylaw = demo();
    let ground = |area: &str, p: i64| {
        let inputs = AssessmentInputs {
            service: "building_permit".to_owned(),
            levels: vec![LevelInput::new(0, "residential", area.parse().expect("decimal"))],
            p,
            ..AssessmentInputs::default()
        };
        assess(&bylaw, &inputs).expect("assesses").lines[0].amount.get()
    };
    // 5 × 1 × 300 = 1500 → 2000; 1499 → 1000; 2500 → 3000 (half up, not half even).
    assert_eq!(ground("1", 300), 2_000);
    assert_eq!(ground("1", 500), 3_000);
    assert_eq!(ground("0.2", 1_499), 1_000);
    assert_eq!(ground("0.1", 999), 0);
    assert_eq!(ground("0.1", 1_000), 1_000);
}

#[test]
fn rent_of_an_office_site() {
    let bylaw = demo();
    let mut inputs = AssessmentInputs { service: "site_rent".to_owned(), ..AssessmentInputs::default() };
    let missing = assess(&bylaw, &inputs).expect_err("rent needs the site's rent");
    assert_eq!(
        missing,
        AssessError::Head {
            head: "rent".to_owned(),
            level: None,
            error: EvalError::MissingInput("site_rent".to_owned())
        }
    );
    inputs.extra = BTreeMap::from([("site_rent".to_owned(), d(65_000_000))]);
    let a = assess(&bylaw, &inputs).expect("assesses");
    assert_eq!(amounts(&a, "rent"), [65_000_000]);
    assert_eq!(a.office_total, Rials::ZERO);
    inputs.extra.insert("rent_months".to_owned(), d(3));
    assert_eq!(assess(&bylaw, &inputs).expect("assesses").total, Rials::new(195_000_000));
}

#[test]
fn input_errors_are_named() {
    let bylaw = demo();
    let mut inputs = m111(-1);
    assert!(matches!(assess(&bylaw, &inputs), Err(AssessError::Input { field, .. }) if field == "P"));
    inputs = m111(1);
    inputs.levels[2].area = d(-1);
    assert!(
        matches!(assess(&bylaw, &inputs), Err(AssessError::Input { field, .. }) if field == "levels[2].area")
    );
    inputs = m111(1);
    inputs.extra.insert("sit_rent".to_owned(), d(1));
    let err = assess(&bylaw, &inputs).expect_err("undeclared input");
    assert_eq!(err.to_string(), "input extra.sit_rent: the bylaw declares no such input");
    inputs = m111(1);
    inputs.service = "demolition".to_owned();
    assert_eq!(assess(&bylaw, &inputs), Err(AssessError::UnknownService("demolition".to_owned())));
    // Overflow is an error naming the head and level, never a panic or a silent zero.
    inputs = m111(i64::MAX);
    inputs.levels = vec![LevelInput::new(7, "residential", "79228162514264337593543950".parse().expect("d"))];
    let err = assess(&bylaw, &inputs).expect_err("overflow");
    assert_eq!(
        err,
        AssessError::Head { head: "floor_area".to_owned(), level: Some(7), error: EvalError::Overflow }
    );
    assert_eq!(err.to_string(), "head floor_area (level 7): the arithmetic overflows");
    // A result that fits a decimal but not a Rial amount.
    inputs.levels = vec![LevelInput::new(0, "residential", d(1_000_000))];
    let err = assess(&bylaw, &inputs).expect_err("too large");
    assert!(matches!(err, AssessError::TooLarge { what } if what == "head floor_area (level 0)"));
}

fn bylaw_with_head(head: &str) -> String {
    let demo = daftar_fees::DEMO_BYLAW_TOML;
    let start = demo.find("[[heads]]").expect("heads");
    format!("{}{head}\n\n{}", &demo[..start], &demo[start..])
}

fn head_error(head: &str) -> (String, String, String) {
    match Bylaw::from_toml(&bylaw_with_head(head)) {
        Err(BylawError::Invalid { section, field, problem }) => (section, field, problem),
        other => panic!("expected an invalid-bylaw error, got {other:?}"),
    }
}

const HEAD: &str = r#"[[heads]]
code = "fire_safety"
name_fa = "عوارض ایمنی"
name_en = "Fire safety surcharge"
clause = "fee bylaw, surcharges"
party = "agency"
per = "case"
services = ["building_permit"]"#;

#[test]
fn bylaw_errors_name_head_and_field() {
    let (section, field, problem) = head_error(&format!("{HEAD}\nformula = \"2 * totl_area\""));
    assert_eq!((section.as_str(), field.as_str()), ("heads.fire_safety", "formula"));
    assert!(problem.contains("unknown input `totl_area`"), "{problem}");

    let (_, field, problem) = head_error(&format!("{HEAD}\nformula = \"sqrt(P)\""));
    assert_eq!(field, "formula");
    assert!(problem.contains("unknown function or table `sqrt`"), "{problem}");

    let (_, field, problem) = head_error(&format!("{HEAD}\nformula = \"area * P\""));
    assert_eq!(field, "formula");
    assert!(problem.contains("only in per-level heads"), "{problem}");

    let (_, field, _) = head_error(&format!("{HEAD}\nformula = \"P\"\nwhen = \"P\""));
    assert_eq!(field, "when");

    let (_, field, problem) = head_error(&format!("{HEAD}\nformula = \"P\"\n[heads.table.rate]\nx = 1"));
    assert_eq!(field, "table.rate");
    assert!(problem.contains("not used"), "{problem}");

    let overlapping =
        format!("{HEAD}\nformula = \"rate(total_area)\"\n[heads.table.rate]\n\"3+\" = 1\n\"4\" = 2");
    let (_, field, problem) = head_error(&overlapping);
    assert_eq!(field, "table.rate.4");
    assert!(problem.contains("overlaps the key \"3+\""), "{problem}");

    let float = format!("{HEAD}\nformula = \"rate(total_area)\"\n[heads.table.rate]\n\"0+\" = 0.5");
    let (_, field, problem) = head_error(&float);
    assert_eq!(field, "table.rate.0+");
    assert!(problem.contains("quoted strings"), "{problem}");

    let (section, field, _) =
        head_error(&HEAD.replace("agency", "bank").replace("services", "formula = \"P\"\nservices"));
    assert_eq!((section.as_str(), field.as_str()), ("heads.fire_safety", "party"));

    let duplicate = HEAD.replace("fire_safety", "floor_area") + "\nformula = \"P\"";
    let (section, field, _) = head_error(&duplicate);
    assert_eq!((section.as_str(), field.as_str()), ("heads.floor_area", "code"));

    let bad_date = daftar_fees::DEMO_BYLAW_TOML.replace("1405/01/01", "1405/13/01");
    assert!(
        matches!(Bylaw::from_toml(&bad_date), Err(BylawError::Invalid { field, .. }) if field == "effective_from")
    );
    let bad_round = daftar_fees::DEMO_BYLAW_TOML.replace("round_to = 1000", "round_to = 0");
    assert!(
        matches!(Bylaw::from_toml(&bad_round), Err(BylawError::Invalid { section, .. }) if section == "rounding")
    );
    assert!(matches!(Bylaw::from_toml("version = 1"), Err(BylawError::Toml(_))));
}

#[test]
fn surcharges_change_of_use_and_commercial_admission_as_data() {
    let extra = r#"[inputs.changed_use_area]
description = "area whose use changes from the approved use, m²"
default = 0

[[heads]]
code = "commercial_admission"
name_fa = "عوارض پذیرهٔ تجاری"
name_en = "Commercial admission fee"
clause = "fee bylaw, commercial admission"
party = "municipality"
per = "level"
services = ["building_permit"]
formula = "area * if(level == 0, 8, 4) * P"
when = 'use == "commercial"'

[[heads]]
code = "change_of_use"
name_fa = "عوارض تغییر کاربری"
name_en = "Change-of-use fee"
clause = "fee bylaw, change of use"
party = "municipality"
per = "case"
services = ["building_permit"]
formula = "changed_use_area * P * 12"
when = "changed_use_area > 0"

[[heads]]
code = "surcharge_fire"
name_fa = "عوارض آتش‌نشانی"
name_en = "Fire-service surcharge"
clause = "fee bylaw, surcharges"
party = "agency"
per = "case"
services = ["building_permit"]
formula = "total_area * rate(total_area)"

[heads.table.rate]
"<300" = 1000
"300+" = "1500.5""#;
    let source = bylaw_with_head(extra);
    let bylaw = Bylaw::from_toml(&source).expect("extended bylaw loads");
    let mut inputs = m111(1_000_000);
    let a = assess(&bylaw, &inputs).expect("assesses");
    assert_eq!(amounts(&a, "commercial_admission"), [1_600_000_000]);
    assert!(amounts(&a, "change_of_use").is_empty());
    // 1260 m² × 1500.5 = 1890630 → 1891000, to the agency.
    assert_eq!(amounts(&a, "surcharge_fire"), [1_891_000]);
    assert_eq!(a.agency_total, Rials::new(1_891_000));
    inputs.extra.insert("changed_use_area".to_owned(), d(10));
    let a = assess(&bylaw, &inputs).expect("assesses");
    assert_eq!(amounts(&a, "change_of_use"), [120_000_000]);
    // The cash discount is on municipal lines only.
    assert_eq!(a.cash_discount.exact, Decimal::from(a.municipal_total.get()) * d(5) / d(100));
}

#[test]
fn bylaw_in_force() {
    let old = demo();
    let newer_source = daftar_fees::DEMO_BYLAW_TOML
        .replace("1405/01/01", "1406/01/01")
        .replace("demo-1405.1", "demo-1406.1");
    let newer = Bylaw::from_toml(&newer_source).expect("loads");
    let bylaws = [newer, old];
    let day = |s: &str| daftar_types::JalaliDate::parse(s).expect("date");
    assert_eq!(Bylaw::in_force(&bylaws, day("1405/09/12")).map(|b| b.version.as_str()), Some("demo-1405.1"));
    assert_eq!(Bylaw::in_force(&bylaws, day("1406/01/01")).map(|b| b.version.as_str()), Some("demo-1406.1"));
    assert!(Bylaw::in_force(&bylaws, day("1404/12/29")).is_none());
}
