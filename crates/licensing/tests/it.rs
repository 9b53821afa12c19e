//! Integration tests of the licensing engine against the demo call: every condition at its
//! boundaries, the rubric, the two selection paths, site assignment, the inputs digest and the
//! life of an office.

use std::collections::BTreeSet;

use daftar_licensing::*;
use daftar_types::{JalaliDate, Lang, NationalId, Rials, TehranDateTime, Timestamp};
use proptest::prelude::*;
use rust_decimal::Decimal;

// ---------------------------------------------------------------------------------------------
// Builders

fn rules() -> CallRules {
    CallRules::demo().expect("the demo call loads")
}

fn date(y: i32, m: u8, d: u8) -> JalaliDate {
    JalaliDate::new(y, m, d).expect("a valid test date")
}

/// An instant given as Tehran wall-clock time.
fn at(y: i32, m: u8, d: u8, h: u8, mi: u8, s: u8) -> Timestamp {
    TehranDateTime::new(date(y, m, d), h, mi, s).expect("a valid test time").to_timestamp()
}

/// A valid national ID for each seed below 46,000: a fixed prefix keeps the 4th digit non-zero,
/// the check digit is computed.
fn nid(seed: u32) -> NationalId {
    let prefix = format!("{:09}", 123_400_000 + seed * 13);
    let digits: Vec<u32> = prefix.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = (0..9).map(|i| digits[i] * (10 - i as u32)).sum();
    let check = if sum % 11 < 2 { sum % 11 } else { 11 - sum % 11 };
    NationalId::parse(&format!("{prefix}{check}")).expect("a generated national ID is valid")
}

fn all_declarations() -> BTreeSet<String> {
    ["no_criminal_record", "no_moral_disqualification", "no_bankruptcy"].map(String::from).into()
}

fn person(seed: u32, birth: JalaliDate, field: &str) -> Person {
    Person {
        national_id: nid(seed),
        name: format!("Person {seed}"),
        birth_date: birth,
        citizen: true,
        declarations: all_declarations(),
        degrees: vec![Degree::new(DegreeLevel::Bachelor, field, "University of Tehran")],
        experience: vec![],
    }
}

fn premises() -> Premises {
    Premises {
        district: 6,
        area_m2: Decimal::from(120),
        customer_area_m2: Decimal::from(70),
        floor: 0,
        zone_use: "commercial".to_owned(),
        sanitary: true,
        hvac: true,
        address: "تهران، خیابان انقلاب، پلاک ۱۲".to_owned(),
    }
}

fn site_request(preferences: &[&str], accept_other_sites: bool) -> Location {
    Location::MunicipalSite(SiteRequest {
        preferences: preferences.iter().map(|s| s.to_string()).collect(),
        accept_other_sites,
    })
}

/// A qualified application with own premises: 34-year-old applicant and 30-year-old technical
/// manager, both with a bachelor's in urban planning.
fn application(seed: u32) -> Application {
    Application {
        applicant: person(seed, date(1370, 5, 10), "urban_planning"),
        technical_manager: person(seed + 20_000, date(1375, 3, 1), "urban_planning"),
        location: Location::OwnPremises(premises()),
        submitted_at: at(1405, 2, 5, 10, 0, 0),
    }
}

fn condition<'a>(eligibility: &'a Eligibility, code: &str) -> &'a ConditionResult {
    eligibility.conditions.iter().find(|c| c.code == code).unwrap_or_else(|| panic!("no condition {code}"))
}

fn passes(rules: &CallRules, app: &Application, code: &str) -> bool {
    condition(&assess_eligibility(rules, app), code).passed
}

fn with_applicant_birth(birth: JalaliDate) -> Application {
    let mut app = application(1);
    app.applicant.birth_date = birth;
    app
}

fn with_manager_birth(birth: JalaliDate) -> Application {
    let mut app = application(1);
    app.technical_manager.birth_date = birth;
    app
}

// ---------------------------------------------------------------------------------------------
// The call file

#[test]
fn demo_call_holds_the_demo_rubric() {
    let r = rules();
    assert_eq!(r.capacity, 50);
    assert_eq!(r.sites.len(), 35);
    assert_eq!((r.applicant.min_age, r.applicant.max_age), (27, 55));
    assert_eq!((r.technical_manager.min_age, r.technical_manager.max_age), (25, 55));
    assert_eq!(r.premises.min_area_m2, Decimal::from(100));
    assert_eq!(r.premises.floors, [0, 1]);
    assert_eq!(r.points.max_total, 50);
    assert_eq!(r.points.experience.per_full_year, 2);
    assert_eq!(r.points.experience.cap, 20);
    assert_eq!(r.points.premises.points, 15);
    assert_eq!(r.selection.tie_breaks, [TieBreak::ExamScore, TieBreak::Points, TieBreak::SubmittedAt]);
    assert_eq!((r.board.members, r.board.quorum), (5, 3));
    assert_eq!(r.offices.min_certified_experts, 3);
    assert_eq!(r.experts.certificate_validity_years, 2);
    assert_eq!(r.licence.validity_years, 3);
    assert_eq!(r.reference_date, date(1405, 2, 15));
    assert_eq!(r.site("S01").map(|s| s.monthly_rent), Some(Rials::new(420_000_000)));
}

#[test]
fn call_errors_name_the_field() {
    let broken = DEMO_CALL_TOML.replacen("cap = 20", "cap = \"twenty\"", 1);
    match CallRules::from_toml(&broken) {
        Err(CallError::Invalid { field, problem }) => {
            assert_eq!(field, "points.experience.cap");
            assert!(problem.contains("twenty"), "{problem}");
        }
        other => panic!("expected a field error, got {other:?}"),
    }
    let broken = DEMO_CALL_TOML.replacen("members = 5", "members = 2", 1);
    let error = CallRules::from_toml(&broken).unwrap_err();
    assert_eq!(error.to_string(), "board.quorum: is more than the board's members");
    assert!(matches!(CallRules::from_toml("version = 1"), Err(CallError::Toml(_))));
}

// ---------------------------------------------------------------------------------------------
// Registration window

#[test]
fn window_opens_at_midnight_of_the_first_day_and_closes_at_midnight_after_the_last() {
    let w = rules().window;
    assert!(w.accepts(at(1405, 2, 1, 0, 0, 0)));
    assert!(!w.accepts(at(1405, 2, 1, 0, 0, 0).plus_seconds(-1)));
    assert!(!w.accepts(at(1405, 1, 31, 23, 59, 59)));
    assert!(w.accepts(at(1405, 2, 15, 23, 59, 59)));
    assert!(!w.accepts(at(1405, 2, 15, 23, 59, 59).plus_seconds(1)));
    assert!(!w.accepts(at(1405, 2, 16, 0, 0, 0)));
    assert_eq!(w.closes_at(), at(1405, 2, 16, 0, 0, 0));
    // Tehran is UTC+03:30 since 2022: 00:00 Tehran is 20:30 UTC of the day before.
    assert_eq!(w.opens_at().unix() % 86_400, 20 * 3600 + 30 * 60);
}

#[test]
fn submission_outside_the_window_fails_eligibility() {
    let r = rules();
    let mut app = application(1);
    app.submitted_at = at(1405, 2, 15, 23, 59, 59);
    assert!(passes(&r, &app, "submission.window"));
    app.submitted_at = app.submitted_at.plus_seconds(1);
    assert!(!passes(&r, &app, "submission.window"));
    let e = assess_eligibility(&r, &app);
    assert!(!e.eligible());
    assert_eq!(e.failed().map(|c| c.code.as_str()).collect::<Vec<_>>(), ["submission.window"]);
    assert_eq!(condition(&e, "submission.window").clause, "call §1");
}

// ---------------------------------------------------------------------------------------------
// Ages

#[test]
fn applicant_age_boundaries_on_the_reference_date() {
    let r = rules();
    let ok = |birth| passes(&r, &with_applicant_birth(birth), "applicant.age");
    assert!(ok(date(1378, 2, 15)), "exactly 27");
    assert!(!ok(date(1378, 2, 16)), "the day before turning 27");
    assert!(ok(date(1350, 2, 15)), "exactly 55");
    assert!(ok(date(1349, 2, 16)), "55 until the day before the 56th birthday");
    assert!(!ok(date(1349, 2, 15)), "56 on the 56th birthday");
    assert!(!ok(date(1349, 2, 14)), "the day after turning 56");
    assert!(!ok(date(1405, 2, 16)), "born after the reference date");
}

#[test]
fn technical_manager_age_boundaries() {
    let r = rules();
    let ok = |birth| passes(&r, &with_manager_birth(birth), "technical_manager.age");
    assert!(ok(date(1380, 2, 15)), "exactly 25");
    assert!(!ok(date(1380, 2, 16)), "the day before turning 25");
    assert!(ok(date(1349, 2, 16)), "55");
    assert!(!ok(date(1349, 2, 15)), "56");
}

#[test]
fn age_uses_the_reference_date_not_the_submission_date() {
    let r = rules();
    // Turns 27 on 10 Ordibehesht: 26 when submitting on the 5th, 27 on the reference date.
    let mut app = with_applicant_birth(date(1378, 2, 10));
    app.submitted_at = at(1405, 2, 5, 9, 0, 0);
    assert!(passes(&r, &app, "applicant.age"));
    match &condition(&assess_eligibility(&r, &app), "applicant.age").check {
        Check::Age { age, reference_date, .. } => {
            assert_eq!(*age, 27);
            assert_eq!(*reference_date, date(1405, 2, 15));
        }
        other => panic!("unexpected check {other:?}"),
    }
}

/// A leap year and a gap of 27 to 55 years after which the year is common (or leap, if
/// `leap_after`).
fn leap_pair(leap_after: bool) -> (i32, i32) {
    (1330..1400)
        .flat_map(|l| (27..=55).map(move |gap| (l, gap)))
        .find(|&(l, gap)| JalaliDate::is_leap_year(l) && JalaliDate::is_leap_year(l + gap) == leap_after)
        .expect("such years exist")
}

#[test]
fn thirtieth_of_esfand_birthdays() {
    let mut r = rules();
    let ok = |r: &CallRules, birth| passes(r, &with_applicant_birth(birth), "applicant.age");

    // Reached on 29 Esfand of a common year.
    let (l, gap) = leap_pair(false);
    r.applicant.min_age = u32::try_from(gap).unwrap();
    let born = date(l, 12, 30);
    r.reference_date = date(l + gap, 12, 29);
    assert!(ok(&r, born), "{gap} on 29 Esfand of the common year {}", l + gap);
    r.reference_date = date(l + gap, 12, 28);
    assert!(!ok(&r, born), "{} on 28 Esfand", gap - 1);

    // In a leap year the birthday is 30 Esfand itself.
    let (l, gap) = leap_pair(true);
    r.applicant.min_age = u32::try_from(gap).unwrap();
    let born = date(l, 12, 30);
    r.reference_date = date(l + gap, 12, 29);
    assert!(!ok(&r, born), "{} on 29 Esfand of the leap year {}", gap - 1, l + gap);
    r.reference_date = date(l + gap, 12, 30);
    assert!(ok(&r, born), "{gap} on 30 Esfand");

    assert_eq!(completed_years(date(1403, 12, 30), date(1404, 12, 29)), 1);
    assert_eq!(completed_years(date(1403, 12, 30), date(1405, 1, 1)), 1);
}

// ---------------------------------------------------------------------------------------------
// General conditions and degrees

#[test]
fn general_conditions_apply_to_both_people() {
    let r = rules();
    for (who, prefix) in [(0, "applicant"), (1, "technical_manager")] {
        let mut app = application(1);
        let person = if who == 0 { &mut app.applicant } else { &mut app.technical_manager };
        person.citizen = false;
        assert!(!passes(&r, &app, &format!("{prefix}.citizenship")));
        for declaration in all_declarations() {
            let mut app = application(1);
            let person = if who == 0 { &mut app.applicant } else { &mut app.technical_manager };
            person.declarations.remove(&declaration);
            let e = assess_eligibility(&r, &app);
            let failed: Vec<&str> = e.failed().map(|c| c.code.as_str()).collect();
            assert_eq!(failed, [format!("{prefix}.declaration.{declaration}")]);
        }
    }
}

#[test]
fn applicant_degree_fields() {
    let r = rules();
    let with_degree = |level, field: &str| {
        let mut app = application(1);
        app.applicant.degrees = vec![Degree::new(level, field, "Shahid Beheshti University")];
        passes(&r, &app, "applicant.degree")
    };
    for field in ["architecture", "urban_planning", "management", "information_technology"] {
        assert!(with_degree(DegreeLevel::Bachelor, field), "{field}");
        assert!(with_degree(DegreeLevel::Doctorate, field), "{field}");
        assert!(!with_degree(DegreeLevel::Associate, field), "associate in {field}");
    }
    for field in ["civil_engineering", "urban_design", "medicine"] {
        assert!(!with_degree(DegreeLevel::Master, field), "{field}");
    }
    let mut app = application(1);
    app.applicant.degrees.clear();
    assert!(!passes(&r, &app, "applicant.degree"));
}

#[test]
fn technical_manager_degree_fields() {
    let r = rules();
    let with_degree = |level, field: &str| {
        let mut app = application(1);
        app.technical_manager.degrees =
            vec![Degree::new(level, field, "Iran University of Science and Technology")];
        passes(&r, &app, "technical_manager.degree")
    };
    for field in ["urban_planning", "urban_design", "regional_planning", "urban_geography"] {
        assert!(with_degree(DegreeLevel::Bachelor, field), "{field}");
        assert!(!with_degree(DegreeLevel::Associate, field), "associate in {field}");
    }
    for field in ["architecture", "management", "information_technology", "civil_engineering"] {
        assert!(!with_degree(DegreeLevel::Bachelor, field), "{field}");
    }
}

// ---------------------------------------------------------------------------------------------
// Premises and site requests

#[test]
fn premises_rules_at_their_boundaries() {
    let r = rules();
    let check = |change: &dyn Fn(&mut Premises), code: &str| {
        let mut p = premises();
        change(&mut p);
        let mut app = application(1);
        app.location = Location::OwnPremises(p);
        passes(&r, &app, code)
    };
    assert!(check(&|p| p.area_m2 = Decimal::from(100), "premises.area"));
    assert!(!check(&|p| p.area_m2 = Decimal::new(9999, 2), "premises.area"));
    assert!(check(&|p| p.floor = 1, "premises.floor"));
    assert!(!check(&|p| p.floor = 2, "premises.floor"));
    assert!(!check(&|p| p.floor = -1, "premises.floor"));
    assert!(check(&|p| p.zone_use = "office".into(), "premises.zone_use"));
    assert!(!check(&|p| p.zone_use = "residential".into(), "premises.zone_use"));
    assert!(check(&|p| p.customer_area_m2 = Decimal::from(60), "premises.customer_share"));
    assert!(!check(&|p| p.customer_area_m2 = Decimal::new(5999, 2), "premises.customer_share"));
    assert!(!check(&|p| p.customer_area_m2 = Decimal::from(121), "premises.customer_share"));
    assert!(!check(&|p| p.sanitary = false, "premises.sanitary"));
    assert!(!check(&|p| p.hvac = false, "premises.hvac"));
}

#[test]
fn site_requests_name_sites_of_the_call() {
    let r = rules();
    let ok = |location: Location| {
        let mut app = application(1);
        app.location = location;
        passes(&r, &app, "site_request.preferences")
    };
    assert!(ok(site_request(&["S03", "S01"], false)));
    assert!(ok(site_request(&[], true)));
    assert!(!ok(site_request(&[], false)));
    assert!(!ok(site_request(&["S99"], true)));
    assert!(!ok(site_request(&["S03", "S03"], true)));
}

// ---------------------------------------------------------------------------------------------
// Points

fn points_of(app: &Application) -> Points {
    score_points(&rules(), app)
}

fn line_points(points: &Points, index: usize) -> u32 {
    points.lines[index].points
}

#[test]
fn only_the_highest_degree_counts() {
    let mut app = application(1);
    app.location = site_request(&["S01"], false);
    let degree = |level, field: &str| Degree::new(level, field, "University of Tehran");
    app.applicant.degrees = vec![
        degree(DegreeLevel::Bachelor, "architecture"),
        degree(DegreeLevel::Master, "urban_planning"),
        degree(DegreeLevel::Doctorate, "management"),
    ];
    assert_eq!(line_points(&points_of(&app), 0), 15);
    app.applicant.degrees.pop();
    assert_eq!(line_points(&points_of(&app), 0), 10);
    app.applicant.degrees.pop();
    assert_eq!(line_points(&points_of(&app), 0), 0);
    // A doctorate outside the fields that earn points earns nothing.
    app.applicant.degrees.push(degree(DegreeLevel::Doctorate, "civil_engineering"));
    assert_eq!(line_points(&points_of(&app), 0), 0);
}

#[test]
fn experience_counts_full_years_and_is_capped() {
    let mut app = application(1);
    let years = |app: &mut Application, entries: Vec<Experience>| {
        app.applicant.experience = entries;
        line_points(&points_of(app), 1)
    };
    assert_eq!(years(&mut app, vec![Experience::months("urban_planning", 83)]), 12, "6 years 11 months");
    assert_eq!(years(&mut app, vec![Experience::months("urban_planning", 84)]), 14);
    assert_eq!(years(&mut app, vec![Experience::months("urban_planning", 11)]), 0);
    assert_eq!(
        years(
            &mut app,
            vec![Experience::months("urban_planning", 6), Experience::months("urban_planning", 6)]
        ),
        2,
        "months of several entries add up"
    );
    assert_eq!(years(&mut app, vec![Experience::years("urban_planning", 10)]), 20);
    assert_eq!(years(&mut app, vec![Experience::years("urban_planning", 15)]), 20, "capped");
    assert_eq!(years(&mut app, vec![Experience::years("management", 8)]), 0, "other fields");
    let p = points_of(&app);
    assert_eq!(p.lines[1].arithmetic, "min(0 × 2, 20) = 0");
}

#[test]
fn premises_points_need_premises_meeting_every_rule() {
    let mut app = application(1);
    assert_eq!(line_points(&points_of(&app), 2), 15);
    app.location = site_request(&["S01"], false);
    assert_eq!(line_points(&points_of(&app), 2), 0);
    let mut small = premises();
    small.area_m2 = Decimal::from(80);
    app.location = Location::OwnPremises(small);
    let p = points_of(&app);
    assert_eq!(line_points(&p, 2), 0);
    assert!(matches!(p.lines[2].item, PointsItem::Premises { basis: PremisesBasis::OwnNotMeetingRules, .. }));
}

#[test]
fn total_is_the_capped_sum() {
    let mut app = application(1);
    app.applicant.degrees.push(Degree::new(DegreeLevel::Doctorate, "urban_planning", "University of Tehran"));
    app.applicant.experience = vec![Experience::years("urban_planning", 12)];
    let p = points_of(&app);
    assert_eq!((p.total, p.max_total), (50, 50));
    assert_eq!(p.arithmetic, "min(15 + 20 + 15, 50) = 50");
    let mut r = rules();
    r.points.max_total = 40;
    let p = score_points(&r, &app);
    assert_eq!(p.total, 40);
    assert_eq!(p.message(Lang::En), "Total: 15 + 20 + 15 = 50, at most 40: 40 points.");
    assert_eq!(p.message(Lang::Fa), "جمع: ۱۵ + ۲۰ + ۱۵ = ۵۰، حداکثر ۴۰: ۴۰ امتیاز.");
}

// ---------------------------------------------------------------------------------------------
// Explanations

#[test]
fn explanations_in_both_languages() {
    let r = rules();
    let mut app = with_applicant_birth(date(1378, 2, 16));
    app.applicant.degrees = vec![Degree::new(DegreeLevel::Associate, "civil_engineering", "Azad University")];
    app.location = site_request(&["S03", "S99"], false);
    let e = assess_eligibility(&r, &app);
    let age = condition(&e, "applicant.age");
    assert_eq!(
        age.message(Lang::Fa),
        "متقاضی، متولد ۱۶ اردیبهشت ۱۳۷۸، در تاریخ ۱۵ اردیبهشت ۱۴۰۵، ۲۶ سال تمام دارد؛ سن مجاز ۲۷ تا ۵۵ سال است. \
         این شرط برآورده نمی‌شود."
    );
    assert_eq!(
        age.message(Lang::En),
        "The applicant, born 16 Ordibehesht 1378, is 26 full years old on 15 Ordibehesht 1405; \
         the call requires 27 to 55. Not met."
    );
    assert_eq!(
        condition(&e, "applicant.degree").message(Lang::En),
        "None of the degrees entered (associate degree in Civil engineering) qualifies; required: at least \
         a bachelor's in Architecture, Urban planning, Management or Information technology. Not met."
    );
    assert!(condition(&e, "site_request.preferences").message(Lang::Fa).contains("S۹۹"));
    let mut associate = rules();
    associate.applicant.min_degree = DegreeLevel::Associate;
    associate.applicant.degree_fields.push("civil_engineering".into());
    assert_eq!(
        condition(&assess_eligibility(&associate, &app), "applicant.degree").message(Lang::En),
        "The applicant holds an associate degree in Civil engineering; required: at least an associate \
         degree in Architecture, Urban planning, Management, Information technology or Civil engineering. Met."
    );
    for c in &e.conditions {
        let fa = c.message(Lang::Fa);
        assert!(!fa.bytes().any(|b| b.is_ascii_digit()), "ASCII digits in {fa}");
        assert!(fa.contains("برآورده\u{200c}") || fa.contains("می\u{200c}شود"), "{fa}");
        let en = c.message(Lang::En);
        assert!(!en.chars().any(|ch| ('\u{0600}'..='\u{06FF}').contains(&ch)), "Persian in {en}");
    }
    let passed =
        condition(&assess_eligibility(&r, &application(1)), "premises.customer_share").message(Lang::Fa);
    assert_eq!(
        passed,
        "۷۰ از ۱۲۰ مترمربع (۵۸٫۳۳٪) به مراجعان اختصاص دارد؛ دست‌کم ۵۰٪ لازم است. این شرط برآورده می‌شود."
    );
    let p = points_of(&app);
    assert_eq!(
        p.lines[1].message(Lang::Fa),
        "سابقهٔ کار در شهرسازی: ۰ ماه، یعنی ۰ سال تمام؛ ۰ × ۲ = ۰، حداکثر ۲۰: ۰ امتیاز."
    );
    let json = serde_json::to_value(&e).expect("explanations serialise");
    assert_eq!(json["conditions"][0]["code"], "submission.window");
    assert_eq!(json["conditions"][0]["check"]["kind"], "window");
}

// ---------------------------------------------------------------------------------------------
// Exam results

#[test]
fn exam_csv_reads_valid_files() {
    let a = nid(1);
    let b = nid(2);
    let c = nid(3);
    let source = format!(
        "\u{FEFF}National_ID,Score\r\n{a},82.5\r\n\r\n\"{b}\",\"100\"\r\n{},۷۵٫۲۵\r\n",
        daftar_types::digits::to_persian(c.as_str())
    );
    let results = parse_exam_csv(&source).expect("a valid file");
    assert_eq!(results.len(), 3);
    assert_eq!(results[0], ExamResult { national_id: a, score: Decimal::new(825, 1) });
    assert_eq!(results[1].score, Decimal::ONE_HUNDRED);
    assert_eq!(results[2], ExamResult { national_id: c, score: Decimal::new(7525, 2) });
    assert_eq!(parse_exam_csv("national_id,score\n"), Ok(vec![]));
}

#[test]
fn exam_csv_errors_name_line_and_field() {
    let a = nid(1);
    let source = format!(
        "national_id,score\n{a},82.5\n0684159415,70\n{},101\n{},82.125\n{},eighty\n{a},90\n{},1,2\n,\n",
        nid(4),
        nid(5),
        nid(6),
        nid(7)
    );
    let errors = parse_exam_csv(&source).unwrap_err();
    let summary: Vec<(usize, CsvField)> = errors.iter().map(|e| (e.line, e.field)).collect();
    assert_eq!(
        summary,
        [
            (3, CsvField::NationalId),
            (4, CsvField::Score),
            (5, CsvField::Score),
            (6, CsvField::Score),
            (7, CsvField::NationalId),
            (8, CsvField::Row),
            (9, CsvField::NationalId),
            (9, CsvField::Score),
        ]
    );
    assert_eq!(errors[4].problem, CsvProblem::Duplicate { first_line: 2 });
    assert!(matches!(errors[1].problem, CsvProblem::OutOfRange { .. }));
    assert!(matches!(errors[2].problem, CsvProblem::TooManyDecimals { .. }));
    assert!(matches!(errors[3].problem, CsvProblem::NotANumber { .. }));
    assert_eq!(
        errors[4].message(Lang::En),
        "Line 7, column national_id: this national ID already appears on line 2; \
         each candidate has one score."
    );
    assert_eq!(
        errors[1].message(Lang::Fa),
        "سطر ۴، ستون نمره (score): نمرهٔ «101» پذیرفته نیست؛ نمره باید بین ۰ و ۱۰۰ باشد."
    );
    assert!(errors[0].message(Lang::Fa).starts_with("سطر ۳، ستون کد ملی (national_id): "));

    let header = parse_exam_csv("id,score\n").unwrap_err();
    assert_eq!((header[0].line, header[0].field), (1, CsvField::Header));
    assert_eq!(header[0].problem, CsvProblem::WrongHeader { found: "id,score".into() });
    assert_eq!(parse_exam_csv("").unwrap_err()[0].problem, CsvProblem::EmptyFile);
    assert_eq!(parse_exam_csv(" \n").unwrap_err()[0].problem, CsvProblem::EmptyFile);
}

// ---------------------------------------------------------------------------------------------
// Board

fn ballots(votes: &[(u8, Vote)]) -> Vec<Ballot> {
    votes.iter().map(|&(member, vote)| Ballot { member, vote }).collect()
}

#[test]
fn board_quorum_and_majority() {
    use Vote::{Abstain, Approve, Reject};
    let r = rules();
    let outcome = |votes: &[(u8, Vote)]| board_outcome(&r, &ballots(votes)).map(|d| d.outcome);
    assert_eq!(outcome(&[]), Ok(BoardOutcome::NoQuorum));
    assert_eq!(outcome(&[(1, Approve), (2, Approve)]), Ok(BoardOutcome::NoQuorum));
    assert_eq!(outcome(&[(1, Approve), (2, Approve), (3, Reject)]), Ok(BoardOutcome::Approved));
    assert_eq!(outcome(&[(1, Approve), (2, Reject), (3, Abstain)]), Ok(BoardOutcome::Rejected), "tie");
    assert_eq!(outcome(&[(1, Approve), (2, Abstain), (3, Abstain)]), Ok(BoardOutcome::Approved));
    assert_eq!(outcome(&[(1, Abstain), (2, Abstain), (3, Abstain)]), Ok(BoardOutcome::Rejected));
    assert_eq!(
        outcome(&[(1, Approve), (2, Approve), (3, Reject), (4, Reject), (5, Abstain)]),
        Ok(BoardOutcome::Rejected)
    );
    assert_eq!(
        outcome(&[(1, Approve), (2, Approve), (3, Approve), (4, Reject), (5, Reject)]),
        Ok(BoardOutcome::Approved)
    );
    assert_eq!(outcome(&[(1, Approve), (1, Reject)]), Err(BoardError::DuplicateBallot { member: 1 }));
    assert_eq!(outcome(&[(6, Approve)]), Err(BoardError::UnknownMember { member: 6, members: 5 }));
    assert_eq!(outcome(&[(0, Approve)]), Err(BoardError::UnknownMember { member: 0, members: 5 }));
    let decision =
        board_outcome(&r, &ballots(&[(1, Approve), (2, Approve), (4, Reject), (5, Abstain)])).unwrap();
    assert_eq!(
        decision.message(Lang::En),
        "Board: 2 approve, 1 reject, 1 abstain; quorum 3 of 5 members: approved."
    );
    assert_eq!(
        decision.message(Lang::Fa),
        "هیات: ۲ موافق، ۱ مخالف، ۱ ممتنع؛ حد نصاب ۳ نفر از ۵ عضو: تأیید شد."
    );
}

fn votes_for(seed: u32, votes: &[(u8, Vote)]) -> Vec<BoardVote> {
    votes.iter().map(|&(member, vote)| BoardVote { applicant: nid(seed), member, vote }).collect()
}

#[test]
fn board_path_when_qualified_do_not_outnumber_capacity() {
    use Vote::{Approve, Reject};
    let r = rules();
    let mut ineligible = application(4);
    ineligible.applicant.citizen = false;
    let apps = vec![application(1), application(2), application(3), ineligible];
    let mut votes = votes_for(1, &[(1, Approve), (2, Approve), (3, Approve)]);
    votes.extend(votes_for(2, &[(1, Approve), (2, Reject), (3, Reject)]));
    votes.extend(votes_for(3, &[(1, Approve), (2, Approve)]));
    let ranking = rank(&r, &apps, &[], &votes).unwrap();
    assert_eq!(ranking.path, SelectionPath::Board);
    assert_eq!(ranking.qualified, 3);
    assert_eq!(ranking.ranked.len(), 1);
    assert_eq!(ranking.ranked[0].national_id, nid(1));
    assert_eq!(ranking.ranked[0].final_score, Decimal::from(15));
    let ids: Vec<&NationalId> = ranking.not_ranked.iter().map(|n| &n.national_id).collect();
    assert_eq!(ids, [&nid(2), &nid(3), &nid(4)]);
    let outcomes: Vec<Option<BoardOutcome>> = ranking
        .not_ranked
        .iter()
        .map(|n| match &n.reason {
            NotRankedReason::Board { decision } => Some(decision.outcome),
            _ => None,
        })
        .collect();
    assert_eq!(outcomes, [Some(BoardOutcome::Rejected), Some(BoardOutcome::NoQuorum), None]);
    assert_eq!(
        ranking.not_ranked[2].reason,
        NotRankedReason::Ineligible { failed: vec!["applicant.citizenship".into()] }
    );
    assert_eq!(
        ranking.not_ranked[2].reason.message(Lang::Fa),
        "متقاضی واجد شرایط نیست؛ ۱ شرط برآورده نشده است (applicant.citizenship)."
    );
    let bad = votes_for(1, &[(1, Approve), (1, Approve)]);
    assert!(matches!(rank(&r, &apps, &[], &bad), Err(RankError::Ballot { .. })));
}

// ---------------------------------------------------------------------------------------------
// Exam path and tie-breaks

fn exam(seed: u32, score: &str) -> ExamResult {
    ExamResult { national_id: nid(seed), score: score.parse().expect("a decimal score") }
}

/// 10 points (a master's, no experience, a municipal site).
fn ten_points(seed: u32) -> Application {
    let mut app = application(seed);
    app.applicant.degrees.push(Degree::new(DegreeLevel::Master, "urban_planning", "University of Tehran"));
    app.location = site_request(&["S01"], true);
    app
}

/// 45 points (a master's, ten years of urban-planning experience, own premises).
fn forty_five_points(seed: u32) -> Application {
    let mut app = application(seed);
    app.applicant.degrees.push(Degree::new(DegreeLevel::Master, "urban_planning", "University of Tehran"));
    app.applicant.experience = vec![Experience::years("urban_planning", 10)];
    app
}

fn order(ranking: &Ranking) -> Vec<NationalId> {
    ranking.ranked.iter().map(|r| r.national_id.clone()).collect()
}

fn small_call() -> CallRules {
    let mut r = rules();
    r.capacity = 2;
    r
}

#[test]
fn final_score_is_exact() {
    let r = small_call();
    let apps = vec![ten_points(1), forty_five_points(2), application(3)];
    let ranking = rank(&r, &apps, &[exam(1, "80"), exam(2, "50"), exam(3, "99.99")], &[]).unwrap();
    assert_eq!(ranking.path, SelectionPath::Exam);
    // 0.7 × 99.99 + 0.3 × (15 × 2) = 69.993 + 9 = 78.993.
    assert_eq!(ranking.ranked[0].final_score, "78.993".parse::<Decimal>().unwrap());
    assert_eq!(ranking.ranked[1].final_score, Decimal::from(62));
    assert_eq!(ranking.ranked[2].final_score, Decimal::from(62));
    assert_eq!(
        ranking.ranked[0].message(&r.selection, Lang::En),
        "Final score = 0.7 × exam 99.99 + 0.3 × (points 15 × 2) = 78.993; rank 1."
    );
    assert_eq!(
        ranking.ranked[0].message(&r.selection, Lang::Fa),
        "امتیاز نهایی = ۰٫۷ × نمرهٔ آزمون ۹۹٫۹۹ + ۰٫۳ × (امتیاز ۱۵ × ۲) = ۷۸٫۹۹۳؛ رتبهٔ ۱."
    );
}

#[test]
fn tie_break_higher_exam_score_first() {
    let r = small_call();
    // Both final scores are 62: 0.7 × 80 + 0.3 × 20 and 0.7 × 50 + 0.3 × 90.
    let apps = vec![forty_five_points(2), ten_points(1), application(3)];
    let ranking = rank(&r, &apps, &[exam(1, "80"), exam(2, "50"), exam(3, "0")], &[]).unwrap();
    assert_eq!(order(&ranking), [nid(1), nid(2), nid(3)]);
}

#[test]
fn tie_break_higher_points_when_the_call_puts_points_first() {
    let mut r = small_call();
    r.selection.tie_breaks = vec![TieBreak::Points, TieBreak::ExamScore, TieBreak::SubmittedAt];
    let apps = vec![forty_five_points(2), ten_points(1), application(3)];
    let ranking = rank(&r, &apps, &[exam(1, "80"), exam(2, "50"), exam(3, "0")], &[]).unwrap();
    assert_eq!(order(&ranking), [nid(2), nid(1), nid(3)]);
}

#[test]
fn tie_break_earlier_submission() {
    let r = small_call();
    let mut early = application(1);
    let mut late = application(2);
    early.submitted_at = at(1405, 2, 3, 8, 0, 0);
    late.submitted_at = early.submitted_at.plus_seconds(1);
    // Whichever has the smaller tie key, the earlier submission wins.
    for (a, b) in [(1, 2), (2, 1)] {
        early.applicant.national_id = nid(a);
        late.applicant.national_id = nid(b);
        let apps = vec![late.clone(), early.clone(), application(3)];
        let results = [exam(a, "70"), exam(b, "70"), exam(3, "10")];
        let ranking = rank(&r, &apps, &results, &[]).unwrap();
        assert_eq!(order(&ranking), [nid(a), nid(b), nid(3)]);
    }
}

#[test]
fn last_tie_break_is_the_documented_hash() {
    let r = small_call();
    let apps = vec![application(1), application(2), application(3)];
    let results = [exam(1, "70"), exam(2, "70"), exam(3, "70")];
    let ranking = rank(&r, &apps, &results, &[]).unwrap();
    let mut expected: Vec<(String, NationalId)> =
        (1..=3).map(|s| (tie_key(&r.code, &nid(s)), nid(s))).collect();
    expected.sort();
    assert_eq!(order(&ranking), expected.into_iter().map(|(_, id)| id).collect::<Vec<_>>());
    let first = &ranking.ranked[0];
    assert_eq!(first.tie_key, hex_sha256(&format!("EO-1405-1:{}", first.national_id)));
}

fn hex_sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[test]
fn exam_path_leaves_out_the_absent() {
    let r = small_call();
    let apps = vec![application(1), application(2), application(3)];
    let ranking = rank(&r, &apps, &[exam(1, "70"), exam(3, "60"), exam(9, "99")], &[]).unwrap();
    assert_eq!(order(&ranking), [nid(1), nid(3)]);
    assert_eq!(ranking.not_ranked.len(), 1);
    assert_eq!(ranking.not_ranked[0].reason, NotRankedReason::AbsentFromExam);
    assert_eq!(
        ranking.not_ranked[0].reason.message(Lang::Fa),
        "متقاضی واجد شرایط است، اما نمرهٔ آزمونی برای او ثبت نشده است."
    );
}

#[test]
fn contradictory_inputs_are_refused() {
    let r = small_call();
    let apps = vec![application(1), application(2), application(3)];
    assert_eq!(
        rank(&r, &[application(1), application(1)], &[], &[]),
        Err(RankError::DuplicateApplication { national_id: nid(1) })
    );
    assert_eq!(
        rank(&r, &apps, &[exam(1, "70"), exam(1, "71")], &[]),
        Err(RankError::DuplicateExamResult { national_id: nid(1) })
    );
    assert_eq!(
        rank(&r, &apps, &[exam(1, "100.5")], &[]),
        Err(RankError::InvalidExamScore { national_id: nid(1) })
    );
    assert_eq!(
        rank(&r, &apps, &[exam(2, "70.125")], &[]),
        Err(RankError::InvalidExamScore { national_id: nid(2) })
    );
}

// ---------------------------------------------------------------------------------------------
// Selection

fn ranked(rank: u32, seed: u32, need: SiteNeed) -> RankedApplicant {
    RankedApplicant {
        rank,
        national_id: nid(seed),
        points: 0,
        exam_score: None,
        final_score: Decimal::ZERO,
        submitted_at: at(1405, 2, 5, 10, 0, 0),
        tie_key: tie_key("EO-1405-1", &nid(seed)),
        need,
    }
}

fn wants(preferences: &[&str], accept_other_sites: bool) -> SiteNeed {
    SiteNeed::MunicipalSite(SiteRequest {
        preferences: preferences.iter().map(|s| s.to_string()).collect(),
        accept_other_sites,
    })
}

fn sites(codes: &[&str]) -> Vec<Site> {
    let r = rules();
    codes.iter().map(|c| r.site(c).cloned().expect("a demo site")).collect()
}

fn placement_of(selection: &Selection, seed: u32) -> Option<&Placement> {
    selection.selected.iter().find(|s| s.national_id == nid(seed)).map(|s| &s.placement)
}

fn reserve_reason(selection: &Selection, seed: u32) -> Option<ReserveReason> {
    selection.reserve.iter().find(|s| s.national_id == nid(seed)).map(|s| s.reason)
}

fn site_code(placement: Option<&Placement>) -> Option<(&str, Option<u32>)> {
    match placement {
        Some(Placement::Site { code, preference, .. }) => Some((code.as_str(), *preference)),
        _ => None,
    }
}

#[test]
fn sites_go_by_serial_choice_in_rank_order() {
    let r = rules();
    let ranked = vec![
        ranked(2, 2, wants(&["S03", "S02"], false)),
        ranked(1, 1, wants(&["S03", "S01"], false)),
        ranked(3, 3, wants(&["S03", "S02"], false)),
        ranked(4, 4, wants(&["S03"], true)),
        ranked(5, 5, SiteNeed::OwnPremises),
    ];
    let s = select(&r, &ranked, &sites(&["S01", "S02", "S03", "S05"]));
    assert_eq!(site_code(placement_of(&s, 1)), Some(("S03", Some(1))));
    assert_eq!(site_code(placement_of(&s, 2)), Some(("S02", Some(2))));
    assert_eq!(reserve_reason(&s, 3), Some(ReserveReason::PreferencesTaken));
    assert_eq!(site_code(placement_of(&s, 4)), Some(("S01", None)), "first free site by code");
    assert_eq!(placement_of(&s, 5), Some(&Placement::OwnPremises));
    assert_eq!(s.free_sites, ["S05"]);
    assert_eq!(s.selected.iter().map(|x| x.rank).collect::<Vec<_>>(), [1, 2, 4, 5]);
    match placement_of(&s, 1) {
        Some(p @ Placement::Site { monthly_rent, .. }) => {
            assert_eq!(*monthly_rent, Rials::new(400_000_000));
            assert_eq!(
                p.message(Lang::Fa),
                "محل شهرداری S۰۳ (اولویت ۱ متقاضی) با اجارهٔ ماهانهٔ ۴۰۰٬۰۰۰٬۰۰۰ ریال واگذار می‌شود."
            );
        }
        other => panic!("unexpected placement {other:?}"),
    }
}

#[test]
fn site_needers_wait_when_sites_run_out_and_capacity_is_respected() {
    let mut r = rules();
    r.capacity = 3;
    let ranked = vec![
        ranked(1, 1, wants(&["S01"], false)),
        ranked(2, 2, wants(&["S01"], true)),
        ranked(3, 3, SiteNeed::OwnPremises),
        ranked(4, 4, SiteNeed::OwnPremises),
        ranked(5, 5, SiteNeed::OwnPremises),
    ];
    let s = select(&r, &ranked, &sites(&["S01"]));
    assert_eq!(reserve_reason(&s, 2), Some(ReserveReason::NoSiteLeft));
    assert_eq!(placement_of(&s, 3), Some(&Placement::OwnPremises));
    assert_eq!(placement_of(&s, 4), Some(&Placement::OwnPremises));
    assert_eq!(reserve_reason(&s, 5), Some(ReserveReason::NoPlaceLeft));
    assert_eq!(s.selected.len(), 3);
    assert_eq!(s.reserve.iter().map(|x| x.rank).collect::<Vec<_>>(), [2, 5]);
    assert!(ReserveReason::NoSiteLeft.message(Lang::Fa).contains("فهرست ذخیره"));
}

#[test]
fn rank_then_select_end_to_end() {
    let mut r = rules();
    r.capacity = 2;
    let mut a = ten_points(1);
    a.location = site_request(&["S07"], false);
    let mut b = ten_points(2);
    b.location = site_request(&["S07"], false);
    let apps = vec![a, b, application(3), application(4)];
    let results = [exam(1, "90"), exam(2, "85"), exam(3, "40"), exam(4, "20")];
    let ranking = rank(&r, &apps, &results, &[]).unwrap();
    assert_eq!(order(&ranking), [nid(1), nid(2), nid(3), nid(4)]);
    let s = select(&r, &ranking.ranked, &r.sites);
    assert_eq!(site_code(placement_of(&s, 1)), Some(("S07", Some(1))));
    assert_eq!(reserve_reason(&s, 2), Some(ReserveReason::PreferencesTaken));
    assert_eq!(placement_of(&s, 3), Some(&Placement::OwnPremises));
    assert_eq!(reserve_reason(&s, 4), Some(ReserveReason::NoPlaceLeft));
    assert_eq!(s.free_sites.len(), 34);
}

// ---------------------------------------------------------------------------------------------
// Inputs digest

#[test]
fn digest_depends_on_values_not_on_order_or_spelling() {
    let r = rules();
    let apps = vec![application(1), application(2)];
    let results = vec![exam(1, "82.5"), exam(2, "70")];
    let digest = inputs_digest(&r, &apps, &results, &[]);
    assert_eq!(digest.len(), 64);
    let reversed: Vec<Application> = apps.iter().rev().cloned().collect();
    let respelled = vec![exam(2, "70.00"), exam(1, "82.50")];
    assert_eq!(inputs_digest(&r, &reversed, &respelled, &[]), digest);
    assert_ne!(inputs_digest(&r, &apps, &[exam(1, "82.5"), exam(2, "70.01")], &[]), digest);
    let mut other = r.clone();
    other.capacity = 49;
    assert_ne!(inputs_digest(&other, &apps, &results, &[]), digest);
    assert_eq!(rank(&r, &apps, &results, &[]).unwrap().inputs_digest, digest);
}

// ---------------------------------------------------------------------------------------------
// Licences and office codes

#[test]
fn office_codes() {
    let code = OfficeCode::new(6, 12).unwrap();
    assert_eq!(code.to_string(), "D06-012");
    assert_eq!(code.display(Lang::Fa), "D۰۶-۰۱۲");
    assert_eq!(OfficeCode::parse("D۰۶-۰۱۲"), Ok(code));
    assert_eq!(OfficeCode::parse(" d22-001 "), OfficeCode::new(22, 1));
    assert_eq!(OfficeCode::parse("D6-12"), Err(OfficeCodeError::Format));
    assert_eq!(OfficeCode::parse("D00-001"), Err(OfficeCodeError::District));
    assert_eq!(OfficeCode::parse("D06-000"), Err(OfficeCodeError::Sequence));
    assert_eq!(OfficeCode::parse("X06-001"), Err(OfficeCodeError::Format));
    assert!(OfficeCode::new(2, 999).unwrap() < OfficeCode::new(10, 1).unwrap());
    assert_eq!(serde_json::to_string(&code).unwrap(), "\"D06-012\"");
}

fn licence() -> Licence {
    Licence::issue(&rules(), OfficeCode::new(6, 12).unwrap(), nid(1), date(1405, 4, 1)).unwrap()
}

#[test]
fn licence_lifecycle() {
    let r = rules();
    let today = date(1405, 4, 10);
    let mut l = licence();
    assert_eq!(l.status(today), LicenceStatus::Issued);
    assert_eq!(l.expires_on(), date(1408, 4, 1));
    assert!(!l.is_in_force(today));
    assert_eq!(
        l.suspend(today),
        Err(LicenceError::IllegalMove { action: LicenceAction::Suspend, status: LicenceStatus::Issued })
    );
    l.activate(today).unwrap();
    assert!(l.is_in_force(today));
    assert!(l.activate(today).is_err());
    l.renew(&r, date(1407, 12, 1)).unwrap();
    assert_eq!(l.expires_on(), date(1411, 4, 1), "renewal extends from the current expiry");
    l.suspend(today).unwrap();
    assert_eq!(l.status(today), LicenceStatus::Suspended);
    assert!(!l.is_in_force(today));
    assert_eq!(
        l.renew(&r, today),
        Err(LicenceError::IllegalMove { action: LicenceAction::Renew, status: LicenceStatus::Suspended })
    );
    l.resume(today).unwrap();
    assert!(l.resume(today).is_err());
    l.revoke(today).unwrap();
    assert_eq!(l.status(today), LicenceStatus::Revoked);
    assert_eq!(l.status(date(1420, 1, 1)), LicenceStatus::Revoked, "revocation outlasts expiry");
    for result in [l.activate(today), l.suspend(today), l.resume(today), l.revoke(today), l.renew(&r, today)]
    {
        assert!(matches!(result, Err(LicenceError::IllegalMove { status: LicenceStatus::Revoked, .. })));
    }
    let error = LicenceError::IllegalMove { action: LicenceAction::Renew, status: LicenceStatus::Expired };
    assert_eq!(error.message(Lang::En), "Cannot renew a licence that is expired.");
    assert_eq!(error.message(Lang::Fa), "تمدید مجوزی که منقضی است ممکن نیست.");
}

#[test]
fn licence_expires_by_date() {
    let r = rules();
    let mut l = licence();
    l.activate(date(1405, 4, 1)).unwrap();
    assert_eq!(l.status(date(1408, 3, 31)), LicenceStatus::Active);
    assert_eq!(l.status(date(1408, 4, 1)), LicenceStatus::Expired);
    assert_eq!(
        l.renew(&r, date(1408, 4, 1)),
        Err(LicenceError::IllegalMove { action: LicenceAction::Renew, status: LicenceStatus::Expired })
    );
    assert!(l.suspend(date(1408, 5, 1)).is_err());
    l.revoke(date(1408, 5, 1)).unwrap();
    assert_eq!(l.state(), LicenceState::Revoked);
    let mut never_opened = licence();
    assert!(never_opened.activate(date(1408, 4, 1)).is_err());
}

// ---------------------------------------------------------------------------------------------
// Opening an office

#[test]
fn opening_blockers_list_what_is_missing() {
    let r = rules();
    let mut checklist = r.equipment_checklist();
    let blockers = opening_blockers(&checklist, 0, &r);
    assert_eq!(blockers.len(), 9);
    assert_eq!(blockers.last(), Some(&Blocker::TooFewExperts { certified: 0, required: 3 }));

    for item in &mut checklist {
        item.status = ItemStatus::Installed;
    }
    assert_eq!(opening_blockers(&checklist, 3, &r), []);
    assert_eq!(opening_blockers(&checklist, 2, &r), [Blocker::TooFewExperts { certified: 2, required: 3 }]);
    assert_eq!(
        Blocker::TooFewExperts { certified: 2, required: 3 }.message(Lang::En),
        "Certified experts at the office: 2; at least 3 are needed to open."
    );

    checklist[0].status = ItemStatus::Delivered;
    let blockers = opening_blockers(&checklist, 5, &r);
    let network = r.equipment[0].label.clone();
    assert_eq!(network.code, "network_gateway");
    assert_eq!(
        blockers,
        [Blocker::EquipmentNotInstalled {
            item: network,
            supplier: Supplier::Municipality,
            status: ItemStatus::Delivered
        }]
    );
    assert_eq!(
        blockers[0].message(Lang::Fa),
        "«تجهیزات اتصال به شبکهٔ شهرداری» (تأمین‌کننده: شهرداری) هنوز نصب نشده است؛ وضعیت: تحویل‌شده."
    );

    checklist.remove(0);
    let mut extra = checklist[0].clone();
    extra.label.code = "coffee_machine".into();
    extra.status = ItemStatus::Pending;
    checklist.push(extra);
    let blockers = opening_blockers(&checklist, 3, &r);
    assert!(
        matches!(&blockers[..], [Blocker::EquipmentMissing { item, .. }] if item.code == "network_gateway")
    );
}

// ---------------------------------------------------------------------------------------------
// Experts

fn candidate(level: DegreeLevel) -> ExpertCandidate {
    ExpertCandidate {
        national_id: nid(100),
        degrees: vec![Degree::new(level, "civil_engineering", "Technical and Vocational University")],
        training_completed: true,
        exam_score: Some(Decimal::from(60)),
    }
}

#[test]
fn expert_certification() {
    let r = rules();
    let issued = date(1405, 6, 1);
    let cert = certify(&r, &candidate(DegreeLevel::Associate), issued).unwrap();
    assert_eq!(cert.expires_on, date(1407, 6, 1));
    assert!(certify(&r, &candidate(DegreeLevel::Bachelor), issued).is_ok());

    let mut c = candidate(DegreeLevel::Bachelor);
    c.degrees.clear();
    c.training_completed = false;
    c.exam_score = Some("59.99".parse().unwrap());
    let problems = certify(&r, &c, issued).unwrap_err();
    assert_eq!(problems.len(), 3);
    assert_eq!(problems[0], CertificationProblem::NoEligibleDegree { min_level: DegreeLevel::Associate });
    assert_eq!(problems[1], CertificationProblem::TrainingNotCompleted);
    assert_eq!(problems[2].message(Lang::Fa), "نمرهٔ آزمون ۵۹٫۹۹ است و از حد قبولی ۶۰ کمتر است.");
    c.exam_score = None;
    assert!(certify(&r, &c, issued).unwrap_err().contains(&CertificationProblem::ExamNotTaken));
}

#[test]
fn experts_act_only_while_certified_and_assigned() {
    let r = rules();
    let office = OfficeCode::new(6, 12).unwrap();
    let cert = certify(&r, &candidate(DegreeLevel::Associate), date(1405, 6, 1)).unwrap();
    let assignment =
        Assignment { expert: nid(100), office, from: date(1405, 6, 10), until: Some(date(1406, 6, 9)) };
    assert!(may_act(&cert, &assignment, office, date(1405, 6, 10)));
    assert!(may_act(&cert, &assignment, office, date(1406, 6, 9)));
    assert_eq!(
        check_may_act(&cert, &assignment, office, date(1405, 6, 9)),
        Err(ActRefusal::AssignmentNotActive)
    );
    assert_eq!(
        check_may_act(&cert, &assignment, office, date(1406, 6, 10)),
        Err(ActRefusal::AssignmentNotActive)
    );
    let other_office = OfficeCode::new(6, 13).unwrap();
    assert_eq!(
        check_may_act(&cert, &assignment, other_office, date(1405, 7, 1)),
        Err(ActRefusal::NotAssigned)
    );

    let open_ended = Assignment { until: None, from: date(1405, 5, 1), ..assignment.clone() };
    assert_eq!(
        check_may_act(&cert, &open_ended, office, date(1405, 5, 31)),
        Err(ActRefusal::CertificateNotYetValid)
    );
    assert!(may_act(&cert, &open_ended, office, date(1407, 5, 31)), "the last day of the certificate");
    assert_eq!(
        check_may_act(&cert, &open_ended, office, date(1407, 6, 1)),
        Err(ActRefusal::CertificateExpired)
    );
    let someone_else = Assignment { expert: nid(101), ..open_ended };
    assert_eq!(check_may_act(&cert, &someone_else, office, date(1406, 1, 1)), Err(ActRefusal::NotCertified));
    assert_eq!(ActRefusal::CertificateExpired.message(Lang::Fa), "اعتبار گواهی صلاحیت کارشناس تمام شده است.");
}

// ---------------------------------------------------------------------------------------------
// Properties

/// Reorders `items` by `keys` (ties by position), to feed the same inputs in another order.
fn permute<T: Clone>(items: &[T], keys: &[u32]) -> Vec<T> {
    let mut index: Vec<usize> = (0..items.len()).collect();
    index.sort_by_key(|&i| (keys[i % keys.len()], i));
    index.into_iter().map(|i| items[i].clone()).collect()
}

const SITE_POOL: [&str; 12] =
    ["S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08", "S09", "S10", "S11", "S12"];

fn need_strategy() -> impl Strategy<Value = SiteNeed> {
    prop_oneof![
        Just(SiteNeed::OwnPremises),
        (prop::collection::vec(0usize..12, 0..5), any::<bool>()).prop_map(|(prefs, accept)| {
            SiteNeed::MunicipalSite(SiteRequest {
                preferences: prefs.into_iter().map(|i| SITE_POOL[i].to_owned()).collect(),
                accept_other_sites: accept,
            })
        }),
    ]
}

fn check_selection(rules: &CallRules, ranked: &[RankedApplicant], offered: &[Site], s: &Selection) {
    let offered_codes: BTreeSet<&str> = offered.iter().map(|s| s.code.as_str()).collect();
    let mut assigned = BTreeSet::new();
    for chosen in &s.selected {
        let applicant =
            ranked.iter().find(|r| r.national_id == chosen.national_id).expect("a ranked applicant");
        match (&applicant.need, &chosen.placement) {
            (SiteNeed::OwnPremises, Placement::OwnPremises) => {}
            (SiteNeed::MunicipalSite(request), Placement::Site { code, preference, .. }) => {
                assert!(assigned.insert(code.clone()), "site {code} assigned twice");
                assert!(offered_codes.contains(code.as_str()));
                match preference {
                    Some(n) => assert_eq!(&request.preferences[*n as usize - 1], code),
                    None => assert!(request.accept_other_sites),
                }
            }
            other => panic!("placement does not match the need: {other:?}"),
        }
    }
    assert!(s.selected.len() <= rules.capacity as usize);
    assert_eq!(s.selected.len() + s.reserve.len(), ranked.len());
    let free: BTreeSet<&str> = s.free_sites.iter().map(String::as_str).collect();
    assert_eq!(free.len() + assigned.len(), offered_codes.len());
    assert!(s.selected.windows(2).all(|w| w[0].rank < w[1].rank));
}

fn vote_strategy() -> impl Strategy<Value = Option<Vote>> {
    prop::option::of(prop_oneof![Just(Vote::Approve), Just(Vote::Reject), Just(Vote::Abstain)])
}

/// One generated applicant: rubric inputs, an optional exam score in hundredths, the hour of the
/// final submission (few values, so ties happen), whether they qualify and the five ballots.
#[derive(Debug, Clone)]
struct Spec {
    master: bool,
    years: u32,
    own_premises: bool,
    score: Option<u32>,
    hour: i64,
    qualified: bool,
    ballots: Vec<Option<Vote>>,
}

fn spec_strategy() -> impl Strategy<Value = Spec> {
    let rubric = (any::<bool>(), 0u32..15, any::<bool>());
    let rest =
        (prop::option::of(0u32..=10_000), 0i64..4, any::<bool>(), prop::collection::vec(vote_strategy(), 5));
    (rubric, rest).prop_map(|((master, years, own_premises), (score, hour, qualified, ballots))| Spec {
        master,
        years,
        own_premises,
        score,
        hour,
        qualified,
        ballots,
    })
}

fn hundredths(n: u32) -> Decimal {
    Decimal::new(i64::from(n), 2)
}

/// The applications, exam results and votes the specs describe; applicant `i` has seed `i + 1`.
fn inputs(specs: &[Spec]) -> (Vec<Application>, Vec<ExamResult>, Vec<BoardVote>) {
    let (mut apps, mut results, mut votes) = (Vec::new(), Vec::new(), Vec::new());
    for (seed, spec) in (1..).zip(specs) {
        let mut app = application(seed);
        if spec.master {
            app.applicant.degrees.push(Degree::new(
                DegreeLevel::Master,
                "management",
                "University of Tehran",
            ));
        }
        app.applicant.experience = vec![Experience::years("urban_planning", spec.years)];
        if !spec.own_premises {
            app.location = site_request(&["S01", "S02"], true);
        }
        app.submitted_at = at(1405, 2, 5, 10, 0, 0).plus_seconds(spec.hour * 3600);
        app.applicant.citizen = spec.qualified;
        apps.push(app);
        if let Some(score) = spec.score {
            results.push(ExamResult { national_id: nid(seed), score: hundredths(score) });
        }
        for (member, vote) in (1..).zip(&spec.ballots) {
            if let Some(vote) = vote {
                votes.push(BoardVote { applicant: nid(seed), member, vote: *vote });
            }
        }
    }
    (apps, results, votes)
}

proptest! {
    #[test]
    fn selection_invariants_and_order_independence(
        needs in prop::collection::vec(need_strategy(), 0..40),
        offered in prop::collection::vec(any::<bool>(), 10),
        capacity in 1u32..30,
        keys in prop::collection::vec(any::<u32>(), 64),
    ) {
        let mut rules = rules();
        rules.capacity = capacity;
        let ranked: Vec<RankedApplicant> =
            (1..).zip(needs).map(|(i, need)| ranked(i, i, need)).collect();
        let offered: Vec<Site> =
            sites(&SITE_POOL[..10]).into_iter().zip(offered).filter(|(_, on)| *on).map(|(s, _)| s).collect();
        let selection = select(&rules, &ranked, &offered);
        check_selection(&rules, &ranked, &offered, &selection);
        let shuffled = select(&rules, &permute(&ranked, &keys), &permute(&offered, &keys[7..]));
        prop_assert_eq!(shuffled, selection);
    }

    #[test]
    fn ranking_and_digest_do_not_depend_on_input_order(
        specs in prop::collection::vec(spec_strategy(), 1..12),
        capacity in 1u32..8,
        keys in prop::collection::vec(any::<u32>(), 64),
    ) {
        let mut rules = rules();
        rules.capacity = capacity;
        let (apps, results, votes) = inputs(&specs);
        let ranking = rank(&rules, &apps, &results, &votes).expect("consistent inputs");
        let shuffled_apps = permute(&apps, &keys);
        let shuffled_results = permute(&results, &keys[3..]);
        let shuffled_votes = permute(&votes, &keys[5..]);
        let again = rank(&rules, &shuffled_apps, &shuffled_results, &shuffled_votes).expect("consistent inputs");
        prop_assert_eq!(&again, &ranking);
        let ranks: Vec<u32> = ranking.ranked.iter().map(|r| r.rank).collect();
        prop_assert_eq!(ranks, (1..=ranking.ranked.len() as u32).collect::<Vec<_>>());
        prop_assert!(ranking.ranked.windows(2).all(|w| w[0].final_score >= w[1].final_score));
        prop_assert_eq!(ranking.ranked.len() + ranking.not_ranked.len(), apps.len());
        let selection = select(&rules, &ranking.ranked, &rules.sites);
        check_selection(&rules, &ranking.ranked, &rules.sites, &selection);
    }

    #[test]
    fn completed_years_brackets_the_reference_date(birth in 0i64..40_000, offset in 0i64..30_000) {
        let birth = date(1350, 1, 1).add_days(birth).unwrap();
        let on = birth.add_days(offset).unwrap();
        let age = completed_years(birth, on);
        prop_assert!(age >= 0);
        prop_assert!(add_years(birth, age).unwrap() <= on);
        prop_assert!(on < add_years(birth, age + 1).unwrap());
    }

    #[test]
    fn exam_csv_round_trips(rows in prop::collection::btree_map(0u32..40_000, 0u32..=10_000, 0..30)) {
        let mut source = String::from("national_id,score\n");
        for (seed, score) in &rows {
            source.push_str(&format!("{},{}\n", nid(*seed), hundredths(*score)));
        }
        let parsed = parse_exam_csv(&source).expect("a valid file");
        let result = |(seed, score): (&u32, &u32)| ExamResult { national_id: nid(*seed), score: hundredths(*score) };
        let expected: Vec<ExamResult> = rows.iter().map(result).collect();
        prop_assert_eq!(parsed, expected);
    }
}
