//! Case pages: the catalog, the inbox, opening a case, a case with its actions and documents,
//! the public tracking page with complaints, and the verification page of issued documents.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use daftar_app::AppError;
use daftar_app::cases::{
    self, ActInputs, ActRequest, CaseView, InboxRow, OpenCase, OwnerInput, ServiceSummary, Verification,
};
use daftar_types::{JalaliDate, Lang, Timestamp};
use serde::Deserialize;

use crate::AppState;
use crate::caller::Caller;
use crate::error::{FormErrors, PageError};
use crate::view::Page;

fn signed_in(caller: &Caller, lang: Lang) -> Result<&daftar_app::Principal, PageError> {
    caller.principal().ok_or(PageError(AppError::Unauthenticated, lang))
}

fn no_errors(lang: Lang) -> FormErrors {
    FormErrors { lang, fields: Vec::new(), general: None }
}

/// A Jalali date of a moment, in the page's language.
fn day(p: &Page, at: i64) -> String {
    Timestamp::from_unix(at).to_tehran().date().format_long(p.lang)
}

#[derive(Template, WebTemplate)]
#[template(path = "services.html")]
pub struct ServicesPage {
    p: Page,
    services: Vec<ServiceSummary>,
    errors: FormErrors,
}

pub async fn services(State(state): State<AppState>, p: Page) -> Result<ServicesPage, PageError> {
    let services = cases::service_catalog(&state.app).await.map_err(|e| PageError(e, p.lang))?;
    let errors = no_errors(p.lang);
    Ok(ServicesPage { p, services, errors })
}

#[derive(Deserialize)]
pub struct PublishForm {
    definition: String,
}

/// Publishes a service version pasted as its definition file.
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Form(form): Form<PublishForm>,
) -> Result<Response, PageError> {
    let principal = signed_in(&caller, p.lang)?;
    let by = daftar_app::audit::By::Principal(principal);
    match cases::publish_service(&state.app, by, &caller.meta, &form.definition).await {
        Ok(_) => Ok(Redirect::to("/services").into_response()),
        Err(err) => {
            let errors = FormErrors::from_error(err, p.lang)?;
            let services = cases::service_catalog(&state.app).await.map_err(|e| PageError(e, p.lang))?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, ServicesPage { p, services, errors }).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "cases.html")]
pub struct InboxPage {
    p: Page,
    rows: Vec<InboxRow>,
    state: String,
    q: String,
    can_open: bool,
}

impl InboxPage {
    fn state_name(&self, row: &InboxRow) -> String {
        if self.p.lang == Lang::Fa { row.state_name_fa.clone() } else { row.state_name_en.clone() }
    }

    fn due(&self, row: &InboxRow) -> String {
        row.due_at.map(|at| self.p.datetime(&at)).unwrap_or_default()
    }
}

#[derive(Deserialize)]
pub struct InboxQuery {
    state: Option<String>,
    q: Option<String>,
}

pub async fn inbox(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Query(query): Query<InboxQuery>,
) -> Result<InboxPage, PageError> {
    let principal = signed_in(&caller, p.lang)?;
    let rows = cases::inbox(&state.app, principal, query.state.as_deref(), query.q.as_deref())
        .await
        .map_err(|e| PageError(e, p.lang))?;
    let can_open = principal.office_id.is_some() || principal.role == Some(daftar_app::Role::Citizen);
    Ok(InboxPage {
        p,
        rows,
        state: query.state.unwrap_or_default(),
        q: query.q.unwrap_or_default(),
        can_open,
    })
}

/// A form field as the page shows it.
pub struct FieldView {
    code: String,
    label: String,
    kind: &'static str,
    required: bool,
    options: Vec<(String, String)>,
    value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "case_new.html")]
pub struct NewCasePage {
    p: Page,
    service: ServiceSummary,
    fields: Vec<FieldView>,
    offices: Vec<(String, String)>,
    owners: Vec<(String, String, String)>,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct NewQuery {
    service: Option<String>,
}

async fn new_page(
    state: &AppState,
    p: Page,
    code: &str,
    values: &BTreeMap<String, String>,
    errors: FormErrors,
) -> Result<NewCasePage, PageError> {
    let lang = p.lang;
    let catalog = cases::service_catalog(&state.app).await.map_err(|e| PageError(e, lang))?;
    let service = catalog
        .into_iter()
        .find(|s| s.code == code && s.in_force)
        .ok_or(PageError(AppError::NotFound, lang))?;
    let definition = cases::service_definition(&state.app, &service.code, service.version)
        .await
        .map_err(|e| PageError(e, lang))?;
    let fields = definition
        .fields
        .iter()
        .map(|f| FieldView {
            code: f.code.clone(),
            label: f.name.get(lang).to_owned(),
            kind: match &f.kind {
                daftar_workflow::FieldKind::Choice { .. } => "choice",
                daftar_workflow::FieldKind::Bool => "bool",
                _ => "text",
            },
            required: f.required,
            options: match &f.kind {
                daftar_workflow::FieldKind::Choice { options } => {
                    options.iter().map(|o| (o.code.clone(), o.name.get(lang).to_owned())).collect()
                }
                _ => Vec::new(),
            },
            value: values.get(&format!("form.{}", f.code)).cloned().unwrap_or_default(),
        })
        .collect();
    let offices = offices(state, lang).await?;
    let owners = (0..3)
        .map(|i| {
            let get = |what: &str| values.get(&format!("owners.{i}.{what}")).cloned().unwrap_or_default();
            (get("identifier"), get("name"), get("share"))
        })
        .collect();
    Ok(NewCasePage { p, service, fields, offices, owners, errors })
}

async fn offices(state: &AppState, lang: Lang) -> Result<Vec<(String, String)>, PageError> {
    let offices = daftar_app::directory::offices(&state.app).await.map_err(|e| PageError(e, lang))?;
    Ok(offices
        .into_iter()
        .filter(|o| o.status == "open")
        .map(|o| {
            let name = if lang == Lang::Fa { o.name_fa } else { o.name_en };
            (o.code, name)
        })
        .collect())
}

pub async fn new_form(
    State(state): State<AppState>,
    p: Page,
    Query(query): Query<NewQuery>,
) -> Result<NewCasePage, PageError> {
    let errors = no_errors(p.lang);
    let code = query.service.unwrap_or_else(|| "building_permit".to_owned());
    new_page(&state, p, &code, &BTreeMap::new(), errors).await
}

/// The form's flat fields (`form.<code>`, `owners.<i>.<part>`, `service`, `office`) as the use
/// case's request.
fn open_request(values: &BTreeMap<String, String>) -> OpenCase {
    let form = values
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("form.").map(|code| (code.to_owned(), v.clone())))
        .collect();
    let owners = (0..3)
        .filter_map(|i| {
            let get = |what: &str| values.get(&format!("owners.{i}.{what}")).cloned().unwrap_or_default();
            let owner = OwnerInput { identifier: get("identifier"), name: get("name"), share: get("share") };
            (!owner.identifier.trim().is_empty()).then_some(owner)
        })
        .collect();
    OpenCase {
        service: values.get("service").cloned().unwrap_or_default(),
        office: values.get("office").cloned().filter(|o| !o.is_empty()),
        form,
        owners,
    }
}

pub async fn open(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Form(values): Form<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let principal = signed_in(&caller, p.lang)?;
    let request = open_request(&values);
    match cases::open_case(&state.app, principal, &caller.meta, &request).await {
        Ok(case) => Ok(Redirect::to(&format!("/cases/{}", case.tracking_code)).into_response()),
        Err(err) => {
            let errors = FormErrors::from_error(err, p.lang)?;
            let page = new_page(&state, p, &request.service, &values, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "case.html")]
pub struct CasePage {
    p: Page,
    case: CaseView,
    document_kinds: Vec<(String, String)>,
    errors: FormErrors,
}

impl CasePage {
    fn fa(&self) -> bool {
        self.p.lang == Lang::Fa
    }

    fn service_name(&self) -> &str {
        if self.fa() { &self.case.service_name_fa } else { &self.case.service_name_en }
    }

    fn state_name(&self) -> &str {
        if self.fa() { &self.case.state_name_fa } else { &self.case.state_name_en }
    }

    fn action_name(&self, action: &cases::ActionView) -> String {
        if self.fa() { action.name_fa.clone() } else { action.name_en.clone() }
    }

    fn blocked(&self, action: &cases::ActionView) -> Option<String> {
        if self.fa() { action.blocked_fa.clone() } else { action.blocked_en.clone() }
    }

    fn step_name(&self, step: &cases::StepView) -> String {
        if self.fa() { step.action_name_fa.clone() } else { step.action_name_en.clone() }
    }

    fn when(&self, at: &i64) -> String {
        self.p.datetime(at)
    }

    fn due(&self) -> String {
        self.case.due_at.map(|at| self.p.datetime(&at)).unwrap_or_default()
    }

    fn opened(&self) -> String {
        day(&self.p, self.case.opened_at)
    }

    fn valid_until(&self, until: &str) -> String {
        JalaliDate::parse(until).map(|d| d.format_long(self.p.lang)).unwrap_or_default()
    }

    fn kind_name(&self, kind: &str) -> String {
        self.document_kinds
            .iter()
            .find(|(code, _)| code == kind)
            .map_or_else(|| kind.to_owned(), |(_, n)| n.clone())
    }

    fn size(&self, bytes: &i64) -> String {
        self.p.num(&(bytes.div_euclid(1024).max(1)))
    }

    /// The action's extra inputs, by the kind of form it needs.
    fn form_kind(&self, action: &cases::ActionView) -> &'static str {
        match action.code.as_str() {
            "schedule_site_visit" | "schedule_inspection" => "schedule",
            "report_inspection" | "report_site_visit" => "report",
            "issue_instruction_sheet" => "sheet",
            "settle_review_item" => "settle",
            "start_works" => "supervisor",
            "extend_permit" => "extend",
            "submit_drawings" | "resubmit_drawings" => "drawings",
            _ => "plain",
        }
    }

    fn tomorrow(&self) -> String {
        Timestamp::from_unix(self.p.now)
            .to_tehran()
            .date()
            .add_days(1)
            .map(|d| d.to_string())
            .unwrap_or_default()
    }

    fn review_items(&self) -> Vec<(usize, String, bool)> {
        let items = self
            .case
            .facts
            .pointer("/plan_check/items")
            .and_then(|i| i.as_array())
            .cloned()
            .unwrap_or_default();
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let rule = item["rule"].as_str().unwrap_or_default();
                let level =
                    item["level"].as_i64().map(|l| format!(" ({})", self.p.num(&l))).unwrap_or_default();
                (i, format!("{rule}{level}"), !item["settled"].is_null())
            })
            .collect()
    }

    fn plan_check(&self) -> Option<String> {
        self.case.facts.pointer("/plan_check/overall").and_then(|v| v.as_str()).map(str::to_owned)
    }
}

async fn case_page(
    state: &AppState,
    p: Page,
    caller: &Caller,
    tracking: &str,
    errors: FormErrors,
) -> Result<CasePage, PageError> {
    let lang = p.lang;
    let principal = signed_in(caller, lang)?;
    let case = cases::view(&state.app, principal, tracking).await.map_err(|e| PageError(e, lang))?;
    let definition = cases::service_definition(&state.app, &case.service, case.service_version)
        .await
        .map_err(|e| PageError(e, lang))?;
    let document_kinds =
        definition.documents.iter().map(|d| (d.code.clone(), d.name.get(lang).to_owned())).collect();
    Ok(CasePage { p, case, document_kinds, errors })
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Path(tracking): Path<String>,
) -> Result<CasePage, PageError> {
    let errors = no_errors(p.lang);
    case_page(&state, p, &caller, &tracking, errors).await
}

/// An action from the case page: the action, the version shown, a reason and whatever inputs
/// the action's form has.
#[derive(Deserialize)]
pub struct ActForm {
    action: String,
    version: i64,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    inspector: String,
    #[serde(default)]
    visit_on: String,
    #[serde(default)]
    passed: String,
    #[serde(default)]
    report: String,
    #[serde(default)]
    inquiries: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    accept: String,
    #[serde(default)]
    supervisor: String,
    #[serde(default)]
    months: String,
    /// A design given as figures instead of a DXF drawing: residential storeys of one size.
    #[serde(default)]
    floors: String,
    #[serde(default)]
    floor_area: String,
    #[serde(default)]
    depth: String,
    #[serde(default)]
    unit_area: String,
    #[serde(default)]
    parking_spaces: String,
}

fn some(s: &str) -> Option<String> {
    Some(daftar_types::digits::fold_to_ascii(s.trim())).filter(|s| !s.is_empty())
}

impl ActForm {
    /// The design the figures describe, when the storeys were given.
    fn design(&self) -> Option<daftar_zoning::check::Design> {
        let floors: i32 = some(&self.floors)?.parse().ok().filter(|n| (1..=40).contains(n))?;
        let (area, depth) = (some(&self.floor_area)?, some(&self.depth).unwrap_or_else(|| "0".into()));
        let unit = some(&self.unit_area).unwrap_or_else(|| area.clone());
        let levels: Vec<_> = (0..floors)
            .map(|level| {
                serde_json::json!({ "level": level, "use": "residential", "gross_area": area,
                    "footprint_area": area, "depth": depth, "units": [unit] })
            })
            .collect();
        let parking: u32 = some(&self.parking_spaces).and_then(|p| p.parse().ok()).unwrap_or(0);
        serde_json::from_value(serde_json::json!({ "levels": levels, "parking_spaces": parking })).ok()
    }
}

impl ActForm {
    fn request(&self) -> ActRequest {
        let inputs = ActInputs {
            inspector: some(&self.inspector),
            visit_on: some(&self.visit_on),
            passed: match self.passed.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            report: some(&self.report),
            inquiries: self
                .inquiries
                .split([',', '،', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            item: self.item.trim().parse().ok(),
            accept: match self.accept.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            supervisor: some(&self.supervisor),
            months: daftar_types::digits::fold_to_ascii(self.months.trim()).parse().ok(),
            design: self.design(),
            ..ActInputs::default()
        };
        ActRequest { action: self.action.clone(), version: self.version, reason: some(&self.reason), inputs }
    }
}

pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Path(tracking): Path<String>,
    Form(form): Form<ActForm>,
) -> Result<Response, PageError> {
    let principal = signed_in(&caller, p.lang)?;
    match cases::act(&state.app, principal, &caller.meta, &tracking, &form.request()).await {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{tracking}")).into_response()),
        Err(err) => {
            let errors = FormErrors::from_error(err, p.lang)?;
            let status = if errors.general.is_some() {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok((status, case_page(&state, p, &caller, &tracking, errors).await?).into_response())
        }
    }
}

pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Path(tracking): Path<String>,
    form: Multipart,
) -> Result<Response, PageError> {
    let principal = signed_in(&caller, p.lang)?;
    let result = match crate::api::cases::read_document(form).await {
        Ok(upload) => {
            cases::upload_document(
                &state.app,
                principal,
                &caller.meta,
                &tracking,
                &upload.kind,
                &upload.file_name,
                &upload.bytes,
            )
            .await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{tracking}")).into_response()),
        Err(err) => {
            let errors = FormErrors::from_error(err, p.lang)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, case_page(&state, p, &caller, &tracking, errors).await?)
                .into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "track.html")]
pub struct TrackPage {
    p: Page,
    tracking: String,
    national_id: String,
    case: Option<CaseView>,
    errors: FormErrors,
    filed: bool,
}

impl TrackPage {
    fn state_name(&self, case: &CaseView) -> String {
        if self.p.lang == Lang::Fa { case.state_name_fa.clone() } else { case.state_name_en.clone() }
    }

    fn service_name(&self, case: &CaseView) -> String {
        if self.p.lang == Lang::Fa { case.service_name_fa.clone() } else { case.service_name_en.clone() }
    }
}

#[derive(Deserialize, Default)]
pub struct TrackForm {
    #[serde(default)]
    tracking: String,
    #[serde(default)]
    national_id: String,
    #[serde(default)]
    body: String,
}

async fn track_page(
    state: &AppState,
    p: Page,
    form: TrackForm,
    errors: FormErrors,
    filed: bool,
) -> Result<TrackPage, PageError> {
    let mut errors = errors;
    let case = if form.tracking.trim().is_empty() {
        None
    } else {
        match cases::track(&state.app, &form.tracking, &form.national_id).await {
            Ok(case) => Some(case),
            Err(AppError::NotFound) => {
                errors.general = Some(p.t("track-not-found"));
                None
            }
            Err(err) => {
                errors = FormErrors::from_error(err, p.lang)?;
                None
            }
        }
    };
    Ok(TrackPage { p, tracking: form.tracking, national_id: form.national_id, case, errors, filed })
}

/// Follows a case by tracking code and national ID, without signing in.
pub async fn track(
    State(state): State<AppState>,
    p: Page,
    Query(form): Query<TrackForm>,
) -> Result<TrackPage, PageError> {
    let errors = no_errors(p.lang);
    track_page(&state, p, form, errors, false).await
}

pub async fn complain(
    State(state): State<AppState>,
    caller: Caller,
    p: Page,
    Form(form): Form<TrackForm>,
) -> Result<Response, PageError> {
    match cases::file_complaint(&state.app, &caller.meta, &form.tracking, &form.national_id, &form.body).await
    {
        Ok(_) => {
            let errors = no_errors(p.lang);
            Ok(track_page(&state, p, form, errors, true).await?.into_response())
        }
        Err(err) => {
            let errors = FormErrors::from_error(err, p.lang)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, track_page(&state, p, form, errors, false).await?)
                .into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "verify.html")]
pub struct VerifyPage {
    p: Page,
    verification: Verification,
}

impl VerifyPage {
    fn issued(&self) -> String {
        day(&self.p, self.verification.issued_at)
    }

    fn until(&self) -> String {
        self.verification
            .valid_until
            .as_deref()
            .and_then(|d| JalaliDate::parse(d).ok())
            .map(|d| d.format_long(self.p.lang))
            .unwrap_or_default()
    }

    fn kind_label(&self) -> String {
        self.p.t(&format!("verify-kind-{}", self.verification.kind.replace('_', "-")))
    }

    fn label(&self, key: &str) -> String {
        crate::i18n::try_t(self.p.lang, &format!("verify-essential-{}", key.replace(['_', '.'], "-")))
            .unwrap_or_else(|| key.trim_start_matches("field.").to_owned())
    }
}

/// The QR code's target: an issued document's essentials and whether its signature holds.
pub async fn verify(
    State(state): State<AppState>,
    p: Page,
    Path(code): Path<String>,
) -> Result<VerifyPage, PageError> {
    let verification = cases::verify_code(&state.app, &code).await.map_err(|e| PageError(e, p.lang))?;
    Ok(VerifyPage { p, verification })
}
