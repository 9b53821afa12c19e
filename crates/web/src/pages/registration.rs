//! The applicant's registration form (S1): the applicant, degrees and experience in repeatable
//! rows, declarations, the technical manager, and either premises or a municipal site with
//! ranked preferences. "Save" keeps the form as typed, complete or not, to resume later (and
//! names what is still missing); "submit" is final and leads to the receipt. Certificates and photos are uploaded with the form (checked by content, stored by
//! their SHA-256). A bad form comes back with every error beside its field and everything typed
//! kept; nothing is written, so what was saved before stays (files chosen in the refused request
//! have to be chosen again: browsers do not refill file inputs).

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use daftar_app::licensing::{self, Draft, Upload};
use daftar_app::{AppError, FieldError, Message};
use daftar_licensing::{
    Application, CallRules, Degree, DegreeLevel, Experience, Location, Person, Premises, SiteRequest,
};
use daftar_types::{JalaliDate, Lang, NationalId, Timestamp, digits};
use rust_decimal::Decimal;

use crate::AppState;
use crate::caller::Caller;
use crate::error::{FormErrors, PageError};
use crate::view::Page;

/// Rows offered for degrees and for experience: those filled plus one empty, up to this many.
const MAX_ROWS: usize = 5;
/// Preferences offered for municipal sites.
const PREFERENCES: usize = 3;

/// The form's values by field name, as typed or as stored.
type Values = BTreeMap<String, String>;

#[derive(Template, WebTemplate)]
#[template(path = "apply.html")]
pub struct ApplyPage {
    p: Page,
    call: String,
    rules: CallRules,
    national_id: String,
    values: Values,
    /// (slot, file name) of the files attached so far.
    files: Vec<(String, String)>,
    errors: FormErrors,
}

impl ApplyPage {
    fn v(&self, name: impl AsRef<str>) -> &str {
        self.values.get(name.as_ref()).map_or("", String::as_str)
    }

    fn checked(&self, name: impl AsRef<str>) -> &'static str {
        if self.values.get(name.as_ref()).is_some_and(|v| v == "on") { "checked" } else { "" }
    }

    fn selected(&self, name: impl AsRef<str>, value: &str) -> &'static str {
        if self.v(name) == value { "selected" } else { "" }
    }

    fn title(&self) -> &str {
        self.rules.title(self.p.lang)
    }

    fn rows(&self, prefix: impl AsRef<str>) -> Vec<usize> {
        let prefix = prefix.as_ref();
        let filled = (0..MAX_ROWS)
            .filter(|i| self.values.keys().any(|k| k.starts_with(&format!("{prefix}.{i}."))))
            .count();
        (0..(filled + 1).min(MAX_ROWS)).collect()
    }

    fn photos(&self) -> Vec<u32> {
        (1..=licensing::PHOTOS).collect()
    }

    /// The file already attached to a slot, if any.
    fn attached(&self, slot: impl AsRef<str>) -> Option<&str> {
        self.files.iter().find(|(s, _)| s == slot.as_ref()).map(|(_, name)| name.as_str())
    }

    fn preferences(&self) -> Vec<u32> {
        (1..=PREFERENCES as u32).collect()
    }

    fn label(&self, fa: &str, en: &str) -> String {
        if self.p.lang == Lang::Fa { fa.to_string() } else { en.to_string() }
    }

    fn levels(&self) -> Vec<(&'static str, &'static str)> {
        DegreeLevel::ALL.iter().map(|l| (l.key(), l.name(self.p.lang))).collect()
    }

    fn fields(&self) -> Vec<(String, String)> {
        self.rules.fields.iter().map(|(code, l)| (code.clone(), self.label(&l.fa, &l.en))).collect()
    }

    fn error(&self, name: impl AsRef<str>) -> Option<String> {
        self.errors.for_field(name.as_ref())
    }

    fn invalid(&self, name: impl AsRef<str>) -> &'static str {
        self.errors.invalid(name.as_ref())
    }
}

/// Reads the form into an application, collecting one error per bad field.
struct Reader<'a> {
    values: &'a Values,
    errors: Vec<FieldError>,
}

impl Reader<'_> {
    fn text(&self, name: &str) -> String {
        self.values.get(name).map(|v| v.trim().to_string()).unwrap_or_default()
    }

    fn flag(&self, name: &str) -> bool {
        self.values.get(name).is_some_and(|v| v == "on")
    }

    fn fail(&mut self, name: &str, label: (&str, &str), fa: &str, en: &str) {
        self.errors.push(FieldError::new(
            name.to_string(),
            Message::new(label.0, label.1),
            Message::new(fa, en),
        ));
    }

    fn required(&mut self, name: &str, label: (&str, &str)) -> String {
        let value = self.text(name);
        if value.is_empty() {
            self.fail(name, label, "را بنویسید.", "is required.");
        }
        value
    }

    fn date(&mut self, name: &str, label: (&str, &str)) -> Option<JalaliDate> {
        let value = self.required(name, label);
        if value.is_empty() {
            return None;
        }
        let parsed = JalaliDate::parse(&digits::fold_to_ascii(&value)).ok();
        if parsed.is_none() {
            self.fail(
                name,
                label,
                "تاریخ شمسی به شکل ۱۳۷۰/۰۶/۳۱ باشد.",
                "must be a Jalali date like 1370/06/31.",
            );
        }
        parsed
    }

    fn number<T: std::str::FromStr>(&mut self, name: &str, label: (&str, &str)) -> Option<T> {
        let value = self.required(name, label);
        if value.is_empty() {
            return None;
        }
        let parsed = digits::fold_to_ascii(&value).replace(['٫', '/'], ".").parse().ok();
        if parsed.is_none() {
            self.fail(name, label, "باید عدد باشد.", "must be a number.");
        }
        parsed
    }

    fn person(&mut self, prefix: &str, rules: &CallRules, national_id: Option<NationalId>) -> Option<Person> {
        let who = if prefix == "a" {
            ("متقاضی", "Applicant")
        } else {
            ("مدیر فنی", "Technical manager")
        };
        let label = |fa: &str, en: &str| (format!("{fa} ({})", who.0), format!("{en} ({})", who.1));
        let national_id = match national_id {
            Some(id) => Some(id),
            None => {
                let name = format!("{prefix}.national_id");
                let l = label("کد ملی", "National ID");
                let value = self.required(&name, (&l.0, &l.1));
                match NationalId::parse(&value) {
                    Ok(id) => Some(id),
                    Err(e) if !value.is_empty() => {
                        self.fail(&name, (&l.0, &l.1), &e.message(Lang::Fa), &e.message(Lang::En));
                        None
                    }
                    Err(_) => None,
                }
            }
        };
        let l = label("نام و نام خانوادگی", "Full name");
        let name = self.required(&format!("{prefix}.name"), (&l.0, &l.1));
        let l = label("تاریخ تولد", "Date of birth");
        let birth_date = self.date(&format!("{prefix}.birth_date"), (&l.0, &l.1));
        let declarations: BTreeSet<String> = rules
            .general
            .declarations
            .iter()
            .filter(|d| self.flag(&format!("{prefix}.decl.{}", d.label.code)))
            .map(|d| d.label.code.clone())
            .collect();
        let mut degrees = Vec::new();
        for i in 0..MAX_ROWS {
            let key = |part: &str| format!("{prefix}.deg.{i}.{part}");
            let (level, field, university) =
                (self.text(&key("level")), self.text(&key("field")), self.text(&key("university")));
            if level.is_empty() && field.is_empty() && university.is_empty() {
                continue;
            }
            let l = label("مقطع تحصیلی", "Degree level");
            match DegreeLevel::parse(&level) {
                Some(level) => degrees.push(Degree::new(level, field, university)),
                None => {
                    self.fail(&key("level"), (&l.0, &l.1), "یکی از مقطع‌ها را برگزینید.", "choose a level.")
                }
            }
        }
        let mut experience = Vec::new();
        for i in 0..MAX_ROWS {
            let key = |part: &str| format!("{prefix}.exp.{i}.{part}");
            if self.text(&key("field")).is_empty() && self.text(&key("years")).is_empty() {
                continue;
            }
            let l = label("سال‌های سابقه", "Years of experience");
            if let Some(years) = self.number::<u32>(&key("years"), (&l.0, &l.1)) {
                experience.push(Experience::years(self.text(&key("field")), years));
            }
        }
        Some(Person {
            national_id: national_id?,
            name,
            birth_date: birth_date?,
            citizen: self.flag(&format!("{prefix}.citizen")),
            declarations,
            degrees,
            experience,
        })
    }

    fn location(&mut self) -> Option<Location> {
        match self.text("location").as_str() {
            "own" => {
                let district = self.number::<u8>("p.district", ("منطقهٔ شهرداری", "Municipal district"));
                let area = self.number::<Decimal>("p.area", ("مساحت (متر مربع)", "Area (m²)"));
                let customer = self
                    .number::<Decimal>("p.customer_area", ("فضای مراجعان (متر مربع)", "Customer area (m²)"));
                let floor = self.number::<i32>("p.floor", ("طبقه", "Floor"));
                let address = self.required("p.address", ("نشانی", "Address"));
                let zone_use = self.required("p.zone_use", ("کاربری", "Zone use"));
                Some(Location::OwnPremises(Premises {
                    district: district?,
                    area_m2: area?,
                    customer_area_m2: customer?,
                    floor: floor?,
                    zone_use,
                    sanitary: self.flag("p.sanitary"),
                    hvac: self.flag("p.hvac"),
                    address,
                }))
            }
            "site" => {
                let mut preferences: Vec<String> = Vec::new();
                for i in 1..=PREFERENCES {
                    let site = self.text(&format!("s.pref.{i}"));
                    if !site.is_empty() && !preferences.contains(&site) {
                        preferences.push(site);
                    }
                }
                Some(Location::MunicipalSite(SiteRequest {
                    preferences,
                    accept_other_sites: self.flag("s.accept_other"),
                }))
            }
            _ => {
                self.fail("location", ("محل دفتر", "Office location"), "یکی را برگزینید.", "choose one.");
                None
            }
        }
    }
}

fn read(
    values: &Values,
    rules: &CallRules,
    national_id: NationalId,
    now: i64,
) -> Result<Application, AppError> {
    let mut reader = Reader { values, errors: Vec::new() };
    let applicant = reader.person("a", rules, Some(national_id));
    let technical_manager = reader.person("m", rules, None);
    let location = reader.location();
    match (applicant, technical_manager, location) {
        (Some(applicant), Some(technical_manager), Some(location)) if reader.errors.is_empty() => {
            Ok(Application {
                applicant,
                technical_manager,
                location,
                submitted_at: Timestamp::from_unix(now),
            })
        }
        _ => Err(AppError::Invalid(reader.errors)),
    }
}

/// The form's values of a stored application, to resume it.
fn values_of(application: &Application) -> Values {
    let mut values = Values::new();
    let mut person = |prefix: &str, p: &Person| {
        values.insert(format!("{prefix}.national_id"), p.national_id.as_str().to_string());
        values.insert(format!("{prefix}.name"), p.name.clone());
        values.insert(format!("{prefix}.birth_date"), p.birth_date.format_numeric(Lang::En));
        if p.citizen {
            values.insert(format!("{prefix}.citizen"), "on".into());
        }
        for code in &p.declarations {
            values.insert(format!("{prefix}.decl.{code}"), "on".into());
        }
        for (i, d) in p.degrees.iter().enumerate() {
            values.insert(format!("{prefix}.deg.{i}.level"), d.level.key().into());
            values.insert(format!("{prefix}.deg.{i}.field"), d.field.clone());
            values.insert(format!("{prefix}.deg.{i}.university"), d.university.clone());
        }
        for (i, e) in p.experience.iter().enumerate() {
            values.insert(format!("{prefix}.exp.{i}.field"), e.field.clone());
            values.insert(format!("{prefix}.exp.{i}.years"), (e.months / 12).to_string());
        }
    };
    person("a", &application.applicant);
    person("m", &application.technical_manager);
    match &application.location {
        Location::OwnPremises(p) => {
            values.insert("location".into(), "own".into());
            values.insert("p.district".into(), p.district.to_string());
            values.insert("p.area".into(), p.area_m2.normalize().to_string());
            values.insert("p.customer_area".into(), p.customer_area_m2.normalize().to_string());
            values.insert("p.floor".into(), p.floor.to_string());
            values.insert("p.zone_use".into(), p.zone_use.clone());
            values.insert("p.address".into(), p.address.clone());
            for (flag, on) in [("p.sanitary", p.sanitary), ("p.hvac", p.hvac)] {
                if on {
                    values.insert(flag.into(), "on".into());
                }
            }
        }
        Location::MunicipalSite(request) => {
            values.insert("location".into(), "site".into());
            for (i, site) in request.preferences.iter().enumerate() {
                values.insert(format!("s.pref.{}", i + 1), site.clone());
            }
            if request.accept_other_sites {
                values.insert("s.accept_other".into(), "on".into());
            }
        }
    }
    values
}

async fn page(
    state: &AppState,
    caller: &Caller,
    p: Page,
    call: &str,
    values: Option<Values>,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let lang = p.lang;
    let principal = caller.principal().ok_or(PageError(AppError::Unauthenticated, lang))?;
    let (_, rules) = licensing::call(&state.app, call).await.map_err(|e| PageError(e, lang))?;
    let mine =
        licensing::my_application(&state.app, principal, call).await.map_err(|e| PageError(e, lang))?;
    if mine.submitted {
        return Ok(Redirect::to(&format!("/calls/{call}/result")).into_response());
    }
    let values =
        values.or(mine.form).unwrap_or_else(|| mine.application.as_ref().map(values_of).unwrap_or_default());
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = ApplyPage {
        p,
        call: call.to_string(),
        rules,
        national_id: mine.national_id.as_str().to_string(),
        values,
        files: mine.files.into_iter().map(|f| (f.slot, f.file_name)).collect(),
        errors,
    };
    Ok((status, page).into_response())
}

/// The form, with the saved draft if there is one; a submitted application goes to its result.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Path(call): Path<String>,
) -> Result<Response, PageError> {
    let errors = FormErrors { lang: p.lang, ..FormErrors::default() };
    page(&state, &caller, p, &call, None, errors).await
}

fn form_error(fa: &str, en: &str) -> AppError {
    AppError::invalid(FieldError::new("form", Message::new("فرم", "Form"), Message::new(fa, en)))
}

/// Reads the multipart form: text fields into values, files (non-empty) into uploads by slot.
async fn read_form(mut form: Multipart) -> Result<(Values, Vec<Upload>), AppError> {
    let mut values = Values::new();
    let mut uploads = Vec::new();
    let incomplete =
        || form_error("فرم ناقص رسید؛ دوباره بفرستید.", "The form arrived incomplete; send it again.");
    while let Some(field) = form.next_field().await.map_err(|_| incomplete())? {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            Some(file_name) => {
                let bytes = field.bytes().await.map_err(|_| {
                    form_error(
                        "فایل‌ها روی هم بزرگ‌تر از ۲۰ مگابایت‌اند؛ کمتر بفرستید.",
                        "The files together are larger than 20 MB; send fewer at a time.",
                    )
                })?;
                if !bytes.is_empty() {
                    uploads.push(Upload { slot: name, file_name, bytes: bytes.to_vec() });
                }
            }
            None => {
                values.insert(name, field.text().await.map_err(|_| incomplete())?);
            }
        }
    }
    Ok((values, uploads))
}

/// Saves the draft or submits it, with the files attached; errors come back beside their fields
/// with what was typed.
pub async fn save(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Path(call): Path<String>,
    form: Multipart,
) -> Result<Response, PageError> {
    let lang = p.lang;
    let (values, uploads) = match read_form(form).await {
        Ok(read) => read,
        Err(err) => {
            let errors = FormErrors::from_error(err, lang)?;
            return page(&state, &caller, p, &call, None, errors).await;
        }
    };
    let submit = values.get("action").is_some_and(|a| a == "submit");
    let mut incomplete = None;
    let outcome = async {
        let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
        let (_, rules) = licensing::call(&state.app, &call).await?;
        let national_id = licensing::applicant_national_id(&state.app, principal).await?;
        let application = match read(&values, &rules, national_id, state.app.now()) {
            Ok(application) => Some(application),
            // A submission must be complete; a draft is kept as typed, with what is missing.
            Err(err) if submit => return Err(err),
            Err(err) => {
                incomplete = Some(err);
                None
            }
        };
        let draft = Draft { application, form: Some(values.clone()), uploads };
        licensing::save_application(&state.app, principal, &caller.meta, &call, draft, submit).await
    }
    .await;
    match (outcome, incomplete) {
        (Ok(_), _) if submit => Ok(Redirect::to(&format!("/calls/{call}/result")).into_response()),
        (Ok(_), None) => {
            let p = Page { notice: Some(p.t("apply-saved")), ..p };
            page(&state, &caller, p, &call, None, FormErrors { lang, ..FormErrors::default() }).await
        }
        (Ok(_), Some(missing)) => {
            let p = Page { notice: Some(p.t("apply-saved-incomplete")), ..p };
            let errors = FormErrors::from_error(missing, lang)?;
            let page = page(&state, &caller, p, &call, None, errors).await?;
            Ok((StatusCode::OK, page).into_response())
        }
        (Err(err), _) => {
            let errors = FormErrors::from_error(err, lang)?;
            page(&state, &caller, p, &call, Some(values), errors).await
        }
    }
}
