//! Eligibility: every condition of the call checked on its own, with the clause it comes from
//! and the inputs it looked at, so a refused applicant sees exactly which condition failed and
//! why.

use daftar_types::{JalaliDate, Lang, Timestamp, digits};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::application::{Application, Degree, DegreeLevel, Location, Person, Premises, SiteRequest};
use crate::calendar::completed_years;
use crate::call::{CallRules, Label, PersonRules};
use crate::text::{self, alternatives, dec, int, verdict};

/// Whom or what a condition is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Applicant,
    TechnicalManager,
    Premises,
    SiteRequest,
    Submission,
}

impl Subject {
    /// The prefix of condition codes: `applicant.age`, `premises.area`, …
    pub fn key(self) -> &'static str {
        match self {
            Subject::Applicant => "applicant",
            Subject::TechnicalManager => "technical_manager",
            Subject::Premises => "premises",
            Subject::SiteRequest => "site_request",
            Subject::Submission => "submission",
        }
    }

    /// The person a condition is about, as the subject of a sentence.
    fn noun(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Subject::TechnicalManager, Lang::Fa) => "مدیر فنی",
            (Subject::TechnicalManager, Lang::En) => "The technical manager",
            (_, Lang::Fa) => "متقاضی",
            (_, Lang::En) => "The applicant",
        }
    }
}

/// A degree as shown in explanations: its level and the named field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldDegree {
    pub level: DegreeLevel,
    pub field: Label,
}

impl HeldDegree {
    fn of(rules: &CallRules, degree: &Degree) -> HeldDegree {
        HeldDegree { level: degree.level, field: rules.field_label(&degree.field) }
    }

    /// `کارشناسی ارشد شهرسازی`, `master's in Urban planning`.
    pub fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::Fa => format!("{} {}", self.level.name(lang), self.field.fa),
            Lang::En => format!("{} in {}", self.level.name(lang), self.field.en),
        }
    }
}

/// The inputs a condition looked at; each variant is one kind of condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Check {
    Citizenship {
        citizen: bool,
    },
    Declaration {
        declaration: Label,
        declared: bool,
    },
    Age {
        birth_date: JalaliDate,
        reference_date: JalaliDate,
        /// Completed years on the reference date.
        age: i32,
        min: u32,
        max: u32,
    },
    Degree {
        min_level: DegreeLevel,
        accepted_fields: Vec<Label>,
        held: Vec<HeldDegree>,
        /// The highest held degree that meets the condition.
        qualifying: Option<HeldDegree>,
    },
    PremisesArea {
        #[serde(serialize_with = "text::normalized")]
        area_m2: Decimal,
        #[serde(serialize_with = "text::normalized")]
        min_area_m2: Decimal,
    },
    PremisesFloor {
        floor: i32,
        allowed: Vec<i32>,
    },
    PremisesZone {
        zone_use: Label,
        allowed: Vec<Label>,
    },
    CustomerShare {
        #[serde(serialize_with = "text::normalized")]
        customer_area_m2: Decimal,
        #[serde(serialize_with = "text::normalized")]
        area_m2: Decimal,
        #[serde(serialize_with = "text::normalized")]
        min_share: Decimal,
    },
    Sanitary {
        present: bool,
    },
    Hvac {
        present: bool,
    },
    SitePreferences {
        preferences: Vec<String>,
        accept_other_sites: bool,
        /// Listed codes that are not sites of the call.
        unknown: Vec<String>,
        /// Codes listed more than once.
        repeated: Vec<String>,
    },
    Window {
        submitted_at: Timestamp,
        first_day: JalaliDate,
        last_day: JalaliDate,
    },
}

/// The outcome of one condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConditionResult {
    /// Stable key, e.g. `applicant.age`, `technical_manager.declaration.no_bankruptcy`.
    pub code: String,
    /// Where the call states the condition.
    pub clause: String,
    pub subject: Subject,
    pub passed: bool,
    pub check: Check,
}

impl ConditionResult {
    fn new(subject: Subject, name: &str, clause: &str, passed: bool, check: Check) -> ConditionResult {
        ConditionResult {
            code: format!("{}.{name}", subject.key()),
            clause: clause.to_owned(),
            subject,
            passed,
            check,
        }
    }

    /// What was checked, against what, and whether it was met, as one or two sentences.
    pub fn message(&self, lang: Lang) -> String {
        format!("{} {}", self.check.describe(self.subject, lang), verdict(self.passed, lang))
    }
}

/// Every condition of a call applied to one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Eligibility {
    pub call_version: String,
    pub conditions: Vec<ConditionResult>,
}

impl Eligibility {
    /// Qualified: every condition met.
    pub fn eligible(&self) -> bool {
        self.conditions.iter().all(|c| c.passed)
    }

    pub fn failed(&self) -> impl Iterator<Item = &ConditionResult> {
        self.conditions.iter().filter(|c| !c.passed)
    }
}

/// Checks an application against every condition of the call: the submission time, the general
/// conditions, age and degree of the applicant and of the technical manager, then the premises
/// rules or the site request.
pub fn assess_eligibility(rules: &CallRules, app: &Application) -> Eligibility {
    let mut conditions = vec![window_condition(rules, app.submitted_at)];
    conditions.extend(person_conditions(rules, Subject::Applicant, &rules.applicant, &app.applicant));
    conditions.extend(person_conditions(
        rules,
        Subject::TechnicalManager,
        &rules.technical_manager,
        &app.technical_manager,
    ));
    match &app.location {
        Location::OwnPremises(premises) => conditions.extend(premises_conditions(rules, premises)),
        Location::MunicipalSite(request) => conditions.push(site_request_condition(rules, request)),
    }
    Eligibility { call_version: rules.version.clone(), conditions }
}

fn window_condition(rules: &CallRules, submitted_at: Timestamp) -> ConditionResult {
    let window = &rules.window;
    let check = Check::Window { submitted_at, first_day: window.first_day, last_day: window.last_day };
    ConditionResult::new(Subject::Submission, "window", &window.clause, window.accepts(submitted_at), check)
}

/// The general conditions (citizenship, declarations), age and degree of one person.
fn person_conditions(
    rules: &CallRules,
    subject: Subject,
    role: &PersonRules,
    person: &Person,
) -> Vec<ConditionResult> {
    let general = &rules.general;
    let mut out = vec![ConditionResult::new(
        subject,
        "citizenship",
        &general.citizenship_clause,
        person.citizen,
        Check::Citizenship { citizen: person.citizen },
    )];
    for d in &general.declarations {
        let declared = person.declarations.contains(&d.label.code);
        let check = Check::Declaration { declaration: d.label.clone(), declared };
        out.push(ConditionResult::new(
            subject,
            &format!("declaration.{}", d.label.code),
            &d.clause,
            declared,
            check,
        ));
    }
    out.push(age_condition(rules, subject, role, person.birth_date));
    out.push(degree_condition(rules, subject, role, &person.degrees));
    out
}

fn age_condition(
    rules: &CallRules,
    subject: Subject,
    role: &PersonRules,
    birth: JalaliDate,
) -> ConditionResult {
    let age = completed_years(birth, rules.reference_date);
    let passed = i64::from(role.min_age) <= i64::from(age) && i64::from(age) <= i64::from(role.max_age);
    let check = Check::Age {
        birth_date: birth,
        reference_date: rules.reference_date,
        age,
        min: role.min_age,
        max: role.max_age,
    };
    ConditionResult::new(subject, "age", &role.age_clause, passed, check)
}

fn degree_condition(
    rules: &CallRules,
    subject: Subject,
    role: &PersonRules,
    degrees: &[Degree],
) -> ConditionResult {
    let qualifying = degrees
        .iter()
        .filter(|d| d.level >= role.min_degree && role.degree_fields.contains(&d.field))
        .max_by(|a, b| a.level.cmp(&b.level).then_with(|| b.field.cmp(&a.field)))
        .map(|d| HeldDegree::of(rules, d));
    let check = Check::Degree {
        min_level: role.min_degree,
        accepted_fields: role.degree_fields.iter().map(|f| rules.field_label(f)).collect(),
        held: degrees.iter().map(|d| HeldDegree::of(rules, d)).collect(),
        qualifying: qualifying.clone(),
    };
    ConditionResult::new(subject, "degree", &role.degree_clause, qualifying.is_some(), check)
}

/// The premises rules, one condition each. Also decides the premises points: own premises earn
/// them only when every one of these is met.
pub fn premises_conditions(rules: &CallRules, premises: &Premises) -> Vec<ConditionResult> {
    let r = &rules.premises;
    let c = |name: &str, passed: bool, check: Check| {
        ConditionResult::new(Subject::Premises, name, &r.clause, passed, check)
    };
    let mut out = vec![
        c(
            "area",
            premises.area_m2 >= r.min_area_m2,
            Check::PremisesArea { area_m2: premises.area_m2, min_area_m2: r.min_area_m2 },
        ),
        c(
            "floor",
            r.floors.contains(&premises.floor),
            Check::PremisesFloor { floor: premises.floor, allowed: r.floors.clone() },
        ),
        c(
            "zone_use",
            r.zone_uses.iter().any(|z| z.code == premises.zone_use),
            Check::PremisesZone {
                zone_use: rules.zone_label(&premises.zone_use),
                allowed: r.zone_uses.clone(),
            },
        ),
        c(
            "customer_share",
            customer_share_met(premises, r.min_customer_share),
            Check::CustomerShare {
                customer_area_m2: premises.customer_area_m2,
                area_m2: premises.area_m2,
                min_share: r.min_customer_share,
            },
        ),
    ];
    if r.sanitary_required {
        out.push(c("sanitary", premises.sanitary, Check::Sanitary { present: premises.sanitary }));
    }
    if r.hvac_required {
        out.push(c("hvac", premises.hvac, Check::Hvac { present: premises.hvac }));
    }
    out
}

/// Compared by multiplication, not division, so the test is exact: customer area ≥ share × area,
/// and the customer area cannot exceed the floor.
fn customer_share_met(premises: &Premises, min_share: Decimal) -> bool {
    let needed = min_share.checked_mul(premises.area_m2);
    premises.customer_area_m2 <= premises.area_m2 && needed.is_some_and(|n| premises.customer_area_m2 >= n)
}

fn site_request_condition(rules: &CallRules, request: &SiteRequest) -> ConditionResult {
    let unknown: Vec<String> =
        request.preferences.iter().filter(|code| rules.site(code).is_none()).cloned().collect();
    let mut repeated: Vec<String> = request
        .preferences
        .iter()
        .enumerate()
        .filter(|(i, code)| request.preferences[..*i].contains(code))
        .map(|(_, code)| code.clone())
        .collect();
    repeated.dedup();
    let chose_something = !request.preferences.is_empty() || request.accept_other_sites;
    let passed = unknown.is_empty() && repeated.is_empty() && chose_something;
    let check = Check::SitePreferences {
        preferences: request.preferences.clone(),
        accept_other_sites: request.accept_other_sites,
        unknown,
        repeated,
    };
    // Premises rules govern both ways of having a place: own premises or a municipal site.
    ConditionResult::new(Subject::SiteRequest, "preferences", &rules.premises.clause, passed, check)
}

impl Check {
    fn describe(&self, subject: Subject, lang: Lang) -> String {
        let who = subject.noun(lang);
        match self {
            Check::Citizenship { citizen } => citizenship(who, *citizen, lang),
            Check::Declaration { declaration, declared } => {
                declaration_text(who, declaration.name(lang), *declared, lang)
            }
            Check::Age { birth_date, reference_date, age, min, max } => {
                age_text(who, *birth_date, *reference_date, *age, (*min, *max), lang)
            }
            Check::Degree { min_level, accepted_fields, held, qualifying } => {
                degree_text(who, *min_level, accepted_fields, held, qualifying.as_ref(), lang)
            }
            Check::PremisesArea { area_m2, min_area_m2 } => match lang {
                Lang::Fa => format!(
                    "مساحت محل {} مترمربع است؛ دست‌کم {} مترمربع لازم است.",
                    dec(*area_m2, lang),
                    dec(*min_area_m2, lang)
                ),
                Lang::En => format!(
                    "The premises are {} m²; at least {} m² is required.",
                    dec(*area_m2, lang),
                    dec(*min_area_m2, lang)
                ),
            },
            Check::PremisesFloor { floor, allowed } => {
                let allowed: Vec<String> = allowed.iter().map(|f| floor_name(*f, lang)).collect();
                match lang {
                    Lang::Fa => format!(
                        "محل در {} است؛ طبقه‌های مجاز: {}.",
                        floor_name(*floor, lang),
                        alternatives(&allowed, lang)
                    ),
                    Lang::En => format!(
                        "The premises are on {}; allowed: {}.",
                        floor_name(*floor, lang),
                        alternatives(&allowed, lang)
                    ),
                }
            }
            Check::PremisesZone { zone_use, allowed } => {
                let allowed: Vec<String> = allowed.iter().map(|z| z.name(lang).to_owned()).collect();
                match lang {
                    Lang::Fa => format!(
                        "کاربری محل «{}» است؛ کاربری‌های مجاز: {}.",
                        zone_use.fa,
                        alternatives(&allowed, lang)
                    ),
                    Lang::En => format!(
                        "The premises are in a zone of “{}” use; allowed: {}.",
                        zone_use.en,
                        alternatives(&allowed, lang)
                    ),
                }
            }
            Check::CustomerShare { customer_area_m2, area_m2, min_share } => {
                customer_share_text(*customer_area_m2, *area_m2, *min_share, lang)
            }
            Check::Sanitary { present } => match (lang, present) {
                (Lang::Fa, true) => "محل سرویس بهداشتی دارد؛ داشتن سرویس بهداشتی الزامی است.".to_owned(),
                (Lang::Fa, false) => "محل سرویس بهداشتی ندارد؛ داشتن سرویس بهداشتی الزامی است.".to_owned(),
                (Lang::En, true) => "The premises have sanitary facilities, which are required.".to_owned(),
                (Lang::En, false) => {
                    "The premises have no sanitary facilities, which are required.".to_owned()
                }
            },
            Check::Hvac { present } => match (lang, present) {
                (Lang::Fa, true) => "محل سامانهٔ گرمایش، سرمایش و تهویه دارد؛ داشتن آن الزامی است.".to_owned(),
                (Lang::Fa, false) => {
                    "محل سامانهٔ گرمایش، سرمایش و تهویه ندارد؛ داشتن آن الزامی است.".to_owned()
                }
                (Lang::En, true) => {
                    "The premises have heating, cooling and ventilation, which are required.".to_owned()
                }
                (Lang::En, false) => {
                    "The premises have no heating, cooling and ventilation, which are required.".to_owned()
                }
            },
            Check::SitePreferences { preferences, accept_other_sites, unknown, repeated } => {
                site_request_text(preferences, *accept_other_sites, unknown, repeated, lang)
            }
            Check::Window { submitted_at, first_day, last_day } => {
                window_text(*submitted_at, *first_day, *last_day, lang)
            }
        }
    }
}

fn citizenship(who: &str, citizen: bool, lang: Lang) -> String {
    match (lang, citizen) {
        (Lang::Fa, true) => format!("{who} تبعهٔ ایران است؛ تابعیت ایران الزامی است."),
        (Lang::Fa, false) => format!("{who} تبعهٔ ایران نیست؛ تابعیت ایران الزامی است."),
        (Lang::En, true) => format!("{who} is an Iranian citizen, which is required."),
        (Lang::En, false) => format!("{who} is not an Iranian citizen, which is required."),
    }
}

fn declaration_text(who: &str, name: &str, declared: bool, lang: Lang) -> String {
    match (lang, declared) {
        (Lang::Fa, true) => format!("{who} «{name}» را اعلام کرده است؛ این اعلام الزامی است."),
        (Lang::Fa, false) => format!("{who} «{name}» را اعلام نکرده است؛ این اعلام الزامی است."),
        (Lang::En, true) => format!("{who} declared “{name}”, which is required."),
        (Lang::En, false) => format!("{who} did not declare “{name}”, which is required."),
    }
}

fn age_text(
    who: &str,
    birth: JalaliDate,
    on: JalaliDate,
    age: i32,
    (min, max): (u32, u32),
    lang: Lang,
) -> String {
    let (birth, on) = (birth.format_long(lang), on.format_long(lang));
    let (age, min, max) = (int(age, lang), int(min, lang), int(max, lang));
    match lang {
        Lang::Fa => {
            format!(
                "{who}، متولد {birth}، در تاریخ {on}، {age} سال تمام دارد؛ سن مجاز {min} تا {max} سال است."
            )
        }
        Lang::En => {
            format!("{who}, born {birth}, is {age} full years old on {on}; the call requires {min} to {max}.")
        }
    }
}

fn degree_text(
    who: &str,
    min_level: DegreeLevel,
    accepted: &[Label],
    held: &[HeldDegree],
    qualifying: Option<&HeldDegree>,
    lang: Lang,
) -> String {
    let fields: Vec<String> = accepted.iter().map(|f| f.name(lang).to_owned()).collect();
    let fields = alternatives(&fields, lang);
    let required = match lang {
        Lang::Fa => format!("دست‌کم مدرک {} در یکی از رشته‌های {}", min_level.name(lang), fields),
        Lang::En => format!("at least {} {} in {}", article(min_level), min_level.name(lang), fields),
    };
    let entered: Vec<String> = held.iter().map(|d| d.describe(lang)).collect();
    match (lang, qualifying) {
        (Lang::Fa, Some(d)) => format!("{who} مدرک {} دارد؛ شرط لازم: {required}.", d.describe(lang)),
        (Lang::En, Some(d)) => {
            format!("{who} holds {} {}; required: {required}.", article(d.level), d.describe(lang))
        }
        (Lang::Fa, None) if entered.is_empty() => {
            format!("{who} مدرکی وارد نکرده است؛ شرط لازم: {required}.")
        }
        (Lang::En, None) if entered.is_empty() => format!("{who} entered no degree; required: {required}."),
        (Lang::Fa, None) => {
            format!("هیچ‌یک از مدرک‌های {who} ({}) شرط را ندارد؛ شرط لازم: {required}.", entered.join("، "))
        }
        (Lang::En, None) => {
            format!("None of the degrees entered ({}) qualifies; required: {required}.", entered.join("; "))
        }
    }
}

/// The article English needs before a level: `an associate degree`, `a bachelor's`.
fn article(level: DegreeLevel) -> &'static str {
    if level == DegreeLevel::Associate { "an" } else { "a" }
}

/// `همکف`, `طبقهٔ ۱`, `زیرزمین ۱`; `the ground floor`, `floor 1`, `basement level 1`.
fn floor_name(floor: i32, lang: Lang) -> String {
    let n = int(floor.unsigned_abs(), lang);
    match (lang, floor.signum()) {
        (Lang::Fa, 0) => "همکف".to_owned(),
        (Lang::Fa, 1) => format!("طبقهٔ {n}"),
        (Lang::Fa, _) => format!("زیرزمین {n}"),
        (Lang::En, 0) => "the ground floor".to_owned(),
        (Lang::En, 1) => format!("floor {n}"),
        (Lang::En, _) => format!("basement level {n}"),
    }
}

fn customer_share_text(customer: Decimal, area: Decimal, min_share: Decimal, lang: Lang) -> String {
    let share = customer.checked_div(area).unwrap_or(Decimal::ZERO);
    let (customer, area) = (dec(customer, lang), dec(area, lang));
    let (share, min) = (text::percent(share, lang), text::percent(min_share, lang));
    match lang {
        Lang::Fa => {
            format!("{customer} از {area} مترمربع ({share}) به مراجعان اختصاص دارد؛ دست‌کم {min} لازم است.")
        }
        Lang::En => format!("{customer} of {area} m² ({share}) serve customers; at least {min} is required."),
    }
}

fn site_request_text(
    preferences: &[String],
    accept_other: bool,
    unknown: &[String],
    repeated: &[String],
    lang: Lang,
) -> String {
    let list = |codes: &[String]| match lang {
        Lang::Fa => digits::to_persian(&codes.join("، ")),
        Lang::En => codes.join(", "),
    };
    let mut out = match (lang, preferences.is_empty()) {
        (Lang::Fa, false) => {
            format!("متقاضی محل شهرداری خواسته است؛ اولویت‌ها به ترتیب: {}.", list(preferences))
        }
        (Lang::En, false) => {
            format!("The applicant asks for a municipal site; preferences in order: {}.", list(preferences))
        }
        (Lang::Fa, true) => "متقاضی محل شهرداری خواسته و محل خاصی را انتخاب نکرده است.".to_owned(),
        (Lang::En, true) => "The applicant asks for a municipal site without naming one.".to_owned(),
    };
    out.push(' ');
    out.push_str(match (lang, accept_other) {
        (Lang::Fa, true) => "اگر این محل‌ها واگذار شده باشند، هر محل دیگری را می‌پذیرد.",
        (Lang::Fa, false) => "محل دیگری جز این‌ها را نمی‌پذیرد.",
        (Lang::En, true) => "Any other site is accepted if these are taken.",
        (Lang::En, false) => "No other site is accepted.",
    });
    if !unknown.is_empty() {
        out.push_str(&match lang {
            Lang::Fa => format!(" این کدها محل‌های فراخوان نیستند: {}.", list(unknown)),
            Lang::En => format!(" These codes are not sites of the call: {}.", list(unknown)),
        });
    }
    if !repeated.is_empty() {
        out.push_str(&match lang {
            Lang::Fa => format!(" این کدها تکرار شده‌اند: {}.", list(repeated)),
            Lang::En => format!(" These codes are listed twice: {}.", list(repeated)),
        });
    }
    out
}

fn window_text(at: Timestamp, first: JalaliDate, last: JalaliDate, lang: Lang) -> String {
    let local = at.to_tehran();
    let time = format!("{:02}:{:02}:{:02}", local.hour(), local.minute(), local.second());
    let (day, first, last) =
        (local.date().format_long(lang), first.format_long(lang), last.format_long(lang));
    match lang {
        Lang::Fa => format!(
            "ارسال نهایی در {day}، ساعت {} به وقت تهران انجام شده است؛ \
             ثبت‌نام از ساعت ۰۰:۰۰ روز {first} تا ساعت ۲۴:۰۰ روز {last} باز است.",
            digits::to_persian(&time)
        ),
        Lang::En => format!(
            "The final submission was made on {day} at {time} Tehran time; \
             registration is open from 00:00 on {first} to 24:00 on {last}."
        ),
    }
}
