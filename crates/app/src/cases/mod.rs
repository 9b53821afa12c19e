//! Cases: a citizen's request for a service, opened at any office and carried through the
//! service's workflow.
//!
//! A case runs on the service version it was opened under. Every step is taken by the workflow
//! engine on the case as stored, then written in one transaction (new state under a conditional
//! update of the case's version, the steps, subtasks, the audit row and any webhook event), so two
//! people acting on the same version cannot both succeed.

mod catalog;
mod facts;
mod files;
mod follow;
mod issue;
mod steps;

use std::collections::BTreeMap;

use daftar_store::cases::{self as store, CaseRow, CaseScope, NewCase, OwnerRow};
use daftar_store::orgs::OfficeRow;
use daftar_types::{Lang, LegalEntityId, NationalId, Timestamp, text};
use daftar_workflow::{ServiceDefinition, validate_form};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;

pub use catalog::{ServiceSummary, publish_service, service_catalog, service_definition};
pub use facts::CaseFacts;
pub(crate) use files::{clean_name, sniff};
pub use files::{document_bytes, upload_document};
pub use follow::{
    ComplaintView, answer_complaint, escalate_overdue, file_complaint, open_complaints, run_sla_worker,
};
pub use issue::{Verification, issued_pdf, verify_code, verify_pdf};
pub(crate) use steps::invoice_settled;
pub use steps::{ActInputs, ActRequest, Stepped, act, act_brief, answer_inquiry};

use crate::audit::{By, entry};
use crate::authz::{Principal, Role};
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::{App, RequestMeta};

/// A request to open a case.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct OpenCase {
    /// The service's code, e.g. `building_permit`; the version in force today is used.
    pub service: String,
    /// The office that handles the case. Office staff open cases at their own office; citizens
    /// choose one.
    pub office: Option<String>,
    /// The application form, by field code.
    pub form: BTreeMap<String, String>,
    pub owners: Vec<OwnerInput>,
}

/// An owner of the parcel: a national ID or a legal-entity ID, a name, and a share in dang
/// (the six parts of a property).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct OwnerInput {
    pub identifier: String,
    pub name: String,
    pub share: String,
}

/// The workflow role codes the caller acts in on this case, with the office check of
/// [`check_acting_office`], on a connection of the pool.
pub(crate) async fn acting_roles(
    app: &App,
    principal: &Principal,
    case: &CaseRow,
    definition: &ServiceDefinition,
) -> AppResult<Vec<&'static str>> {
    let mut conn = app.store().acquire().await?;
    check_acting_office(app, &mut conn, principal).await?;
    workflow_roles(&mut conn, principal, case, definition).await
}

/// The workflow role codes the caller acts in on this case. Office roles act only on their own
/// office's cases, district roles on their district's, a citizen on cases they apply for or own.
/// Reads on `conn`, so that a step can ask inside its own transaction.
pub(crate) async fn workflow_roles(
    conn: &mut AnyConnection,
    principal: &Principal,
    case: &CaseRow,
    definition: &ServiceDefinition,
) -> AppResult<Vec<&'static str>> {
    let role = principal.role.ok_or(AppError::Forbidden)?;
    let same_office = principal.office_id == Some(case.office_id);
    let same_district = principal.district_id == Some(case.district_id);
    let roles: &[&str] = match role {
        Role::Citizen if is_party(conn, principal, case).await? => &["citizen"],
        Role::OfficeLicenseHolder if same_office => &["office_manager", "office_intake"],
        Role::OfficeTechnicalManager if same_office => &["office_manager", "office_intake", "office_expert"],
        Role::OfficeExpert if same_office => &["office_expert", "office_intake", "inspector"],
        Role::DistrictReviewer if same_district => &["municipal_reviewer"],
        Role::DistrictPermitApprover if same_district => &["permit_approver"],
        Role::Supervisor => &["district_supervisor"],
        Role::Agency if agency_code(conn, principal).await?.as_deref() == Some(&definition.agency.code) => {
            &["agency_officer"]
        }
        _ => return Err(AppError::Forbidden),
    };
    Ok(roles.to_vec())
}

/// An office's staff act on cases only while their office may act (see [`check_office_may_act`]).
pub(crate) async fn check_acting_office(
    app: &App,
    conn: &mut AnyConnection,
    principal: &Principal,
) -> AppResult<()> {
    match (principal.role, principal.office_id) {
        (Some(role), Some(office)) if role.scope() == crate::authz::ScopeKind::Office => {
            check_office_may_act(app, conn, office).await
        }
        _ => Ok(()),
    }
}

/// An agency account's agency: its username, in the code form services use
/// (`fire-department` → `fire_department`).
pub(crate) async fn agency_code(
    conn: &mut AnyConnection,
    principal: &Principal,
) -> AppResult<Option<String>> {
    let user = daftar_store::users::get(conn, principal.user_id).await?;
    Ok(user.filter(|u| u.kind == "agency").and_then(|u| u.username).map(|name| name.replace('-', "_")))
}

/// The signed-in person's national ID, if the account has one.
pub(crate) async fn national_id_of(conn: &mut AnyConnection, user_id: i64) -> AppResult<Option<String>> {
    Ok(daftar_store::users::get(conn, user_id).await?.and_then(|u| u.national_id))
}

/// Whether a citizen applies for or owns the case.
async fn is_party(conn: &mut AnyConnection, principal: &Principal, case: &CaseRow) -> AppResult<bool> {
    let Some(id) = national_id_of(&mut *conn, principal.user_id).await? else {
        return Ok(false);
    };
    if case.applicant_national_id == id {
        return Ok(true);
    }
    let owners = store::owners(&mut *conn, case.id).await?;
    Ok(owners.iter().any(|o| o.identifier == id))
}

fn field(
    code: &'static str,
    fa: &'static str,
    en: &'static str,
    problem_fa: String,
    problem_en: String,
) -> AppError {
    AppError::invalid(FieldError::new(code, Message::new(fa, en), Message::new(problem_fa, problem_en)))
}

fn form_errors(errors: &[daftar_workflow::FieldError]) -> AppError {
    AppError::Invalid(
        errors
            .iter()
            .map(|e| {
                FieldError::new(
                    format!("form.{}", e.field),
                    Message::new("فرم درخواست", "Application form"),
                    Message::new(e.message(Lang::Fa), e.message(Lang::En)),
                )
            })
            .collect(),
    )
}

/// Checks the owners: each identified by a valid national or legal-entity ID and named, shares
/// positive and summing to the whole property (six dang).
fn check_owners(owners: &[OwnerInput]) -> AppResult<Vec<(String, String, Decimal)>> {
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    let label = |i: usize, what: &str| format!("owners.{i}.{what}");
    for (i, owner) in owners.iter().enumerate() {
        let raw = text::normalize(&owner.identifier);
        let identifier = NationalId::parse(&raw)
            .map(|id| id.as_str().to_owned())
            .or_else(|_| LegalEntityId::parse(&raw).map(|id| id.as_str().to_owned()));
        let name = text::normalize(&owner.name);
        let share = daftar_types::digits::fold_to_ascii(owner.share.trim()).parse::<Decimal>().ok();
        match identifier {
            Err(_) => errors.push(FieldError::new(
                label(i, "identifier"),
                Message::new("شناسهٔ مالک", "Owner's ID"),
                Message::new(
                    "کد ملی یا شناسهٔ ملی شخص حقوقی معتبر نیست.",
                    "is not a valid national or legal-entity ID.",
                ),
            )),
            Ok(identifier) => match share {
                Some(share) if share > Decimal::ZERO && share <= Decimal::from(6) && !name.is_empty() => {
                    checked.push((identifier, name, share));
                }
                _ => errors.push(FieldError::new(
                    label(i, "share"),
                    Message::new("سهم و نام مالک", "Owner's share and name"),
                    Message::new(
                        "نام لازم است و سهم باید میان صفر و شش دانگ باشد.",
                        "a name is required and the share must be more than 0 and at most 6 dang.",
                    ),
                )),
            },
        }
    }
    let total: Decimal = checked.iter().map(|(_, _, s)| *s).sum();
    if errors.is_empty() && (checked.is_empty() || total != Decimal::from(6)) {
        errors.push(FieldError::new(
            "owners",
            Message::new("مالکان", "Owners"),
            Message::new(
                "سهم مالکان باید روی هم شش دانگ باشد.",
                "the owners' shares must add up to six dang.",
            ),
        ));
    }
    if errors.is_empty() { Ok(checked) } else { Err(AppError::Invalid(errors)) }
}

/// The office a case is opened at: staff open at their own office, citizens choose one that is
/// open.
async fn opening_office(app: &App, principal: &Principal, requested: Option<&str>) -> AppResult<OfficeRow> {
    let offices = crate::directory::offices(app).await?;
    let office = match (principal.role, principal.office_id, requested) {
        (
            Some(Role::OfficeLicenseHolder | Role::OfficeTechnicalManager | Role::OfficeExpert),
            Some(id),
            _,
        ) => offices.into_iter().find(|o| o.id == id),
        (Some(Role::Citizen), _, Some(code)) => offices.into_iter().find(|o| o.code == code.trim()),
        (Some(Role::Citizen), _, None) => {
            return Err(field(
                "office",
                "دفتر خدمات",
                "Office",
                "یک دفتر را انتخاب کنید.".into(),
                "choose an office.".into(),
            ));
        }
        _ => return Err(AppError::Forbidden),
    };
    let office = office.ok_or_else(|| {
        field("office", "دفتر خدمات", "Office", "چنین دفتری نیست.".into(), "no such office.".into())
    })?;
    let mut conn = app.store().acquire().await?;
    check_office_may_act(app, &mut conn, office.id).await?;
    Ok(office)
}

/// Refuses when the office may not act today: not open, or its licence suspended, revoked or
/// expired.
async fn check_office_may_act(app: &App, conn: &mut AnyConnection, office_id: i64) -> AppResult<()> {
    if crate::licensing::office_may_act(conn, office_id, tehran_day(app.now())).await? {
        return Ok(());
    }
    Err(AppError::Conflict(Message::new(
        "این دفتر باز نیست یا پروانه‌اش معلق، لغو یا منقضی شده است؛ نمی‌تواند اقدام کند.",
        "This office is not open, or its licence is suspended, revoked or expired; it cannot act.",
    )))
}

/// Where the case's parcel is: from the form's parcel key, checked against the detailed plan,
/// or, for services about a permitted building, from the permit the form names.
async fn locate(app: &App, form: &BTreeMap<String, String>) -> AppResult<(String, String)> {
    if let Some(key) = form.get("renovation_code").map(|k| text::normalize(k)) {
        let parcel = crate::plan::parcel(app, &key).await?;
        return Ok((parcel.parcel.parcel_key.clone(), parcel.parcel.district.clone()));
    }
    if let Some(number) = form.get("permit_number") {
        let number = daftar_types::digits::fold_to_ascii(number.trim());
        let issued = store::issued_by_code(app.store().pool(), &number).await?.ok_or_else(|| {
            field(
                "form.permit_number",
                "شمارهٔ پروانه",
                "Permit number",
                "چنین پروانه‌ای صادر نشده است.".into(),
                "no such permit was issued.".into(),
            )
        })?;
        let case = case_by_id(app, issued.case_id).await?;
        let district = crate::directory::districts(app)
            .await?
            .into_iter()
            .find(|d| d.id == case.district_id)
            .map(|d| d.code)
            .unwrap_or_default();
        return Ok((case.parcel_key, district));
    }
    Err(field("form.renovation_code", "کد نوسازی", "Parcel key", "لازم است.".into(), "is required.".into()))
}

async fn case_by_id(app: &App, id: i64) -> AppResult<CaseRow> {
    store::case_by_id(app.store().pool(), id, "").await?.ok_or(AppError::NotFound)
}

/// Opens a case under the service version in force today.
pub async fn open_case(
    app: &App,
    principal: &Principal,
    meta: &RequestMeta,
    request: &OpenCase,
) -> AppResult<CaseView> {
    let (service, definition) = catalog::in_force(app, &request.service).await?;
    let office = opening_office(app, principal, request.office.as_deref()).await?;
    let form = validate_form(&definition, &request.form).map_err(|errors| form_errors(&errors))?;
    let owners = check_owners(&request.owners)?;
    let (parcel_key, district_code) = locate(app, &request.form).await?;
    let district =
        crate::directory::districts(app).await?.into_iter().find(|d| d.code == district_code).ok_or_else(
            || {
                field(
                    "form.renovation_code",
                    "کد نوسازی",
                    "Parcel key",
                    "منطقهٔ این قطعه در سامانه نیست.".into(),
                    "the parcel's district is not in the system.".into(),
                )
            },
        )?;
    let applicant = match form.get("owner_national_id") {
        Some(daftar_workflow::FieldValue::NationalId(id)) => id.as_str().to_owned(),
        _ => national_id_of(&mut *app.store().acquire().await?, principal.user_id).await?.unwrap_or_default(),
    };
    let mobile = match form.get("mobile") {
        Some(daftar_workflow::FieldValue::Mobile(m)) => m.as_str().to_owned(),
        _ => String::new(),
    };
    let now = app.now();
    let state = definition.workflow.initial();
    let due = facts::due_at(&definition, state, now);
    let form_json =
        serde_json::to_string(&form).map_err(|e| AppError::Conflict(Message::new("فرم", e.to_string())))?;
    let owner_text: Vec<&str> =
        owners.iter().flat_map(|(id, name, _)| [id.as_str(), name.as_str()]).collect();
    let tracking = tracking_code();
    let search = text::search_key(&format!(
        "{tracking} {parcel_key} {applicant} {} {}",
        owner_text.join(" "),
        request.form.get("address").map(String::as_str).unwrap_or("")
    ));
    let new = NewCase {
        tracking_code: &tracking,
        service_id: service.id,
        office_id: office.id,
        district_id: district.id,
        parcel_key: &parcel_key,
        applicant_national_id: &applicant,
        applicant_mobile: &mobile,
        form: &form_json,
        state,
        state_due_at: due,
        search_text: &search,
        opened_by: Some(principal.user_id),
    };
    let mut tx = app.store().begin_write().await?;
    let case_id = store::insert_case(tx.conn(), &new, now).await?;
    for (position, (identifier, name, share)) in owners.iter().enumerate() {
        let owner = OwnerRow {
            case_id,
            position: position as i64,
            identifier: identifier.clone(),
            name: name.clone(),
            share: share.normalize().to_string(),
        };
        store::insert_owner(tx.conn(), &owner).await?;
    }
    tx.audit(entry(
        app,
        By::Principal(principal),
        meta,
        "case.opened",
        ("case", tracking.clone()),
        json!({ "service": [service.code, service.version], "office": office.code, "parcel": parcel_key }),
    ));
    let event = json!({ "tracking_code": tracking, "service": service.code, "state": state, "parcel_key": parcel_key });
    crate::webhooks::enqueue(&mut tx, app, &definition.agency.code, "case.opened", &event).await?;
    app.commit(tx).await?;
    view(app, principal, &tracking).await
}

/// Twelve random digits: unguessable enough that, with the applicant's national ID, it lets the
/// public follow a case.
fn tracking_code() -> String {
    let bytes = crate::random_bytes::<8>();
    format!("{:012}", u64::from_le_bytes(bytes) % 1_000_000_000_000)
}

/// A case as the people on it see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub tracking_code: String,
    pub service: String,
    pub service_version: i64,
    pub service_name_fa: String,
    pub service_name_en: String,
    pub office: String,
    pub district: String,
    pub parcel_key: String,
    pub state: String,
    pub state_name_fa: String,
    pub state_name_en: String,
    /// The case's version: send it back with the next action.
    pub version: i64,
    pub terminal: bool,
    pub opened_at: i64,
    /// The state's deadline (Unix seconds), if its clock runs.
    pub due_at: Option<i64>,
    pub escalated: bool,
    #[schema(value_type = Object)]
    pub form: serde_json::Value,
    pub owners: Vec<OwnerView>,
    /// The actions the caller may take now, each with why it is blocked, if it is.
    pub actions: Vec<ActionView>,
    pub steps: Vec<StepView>,
    pub documents: Vec<DocumentView>,
    pub inspections: Vec<InspectionView>,
    pub inquiries: Vec<InquiryView>,
    #[schema(value_type = Object)]
    pub facts: serde_json::Value,
    /// The invoices of the case, newest first: public ids to pay or print.
    pub invoices: Vec<String>,
    pub issued: Option<IssuedView>,
    pub complaints: Vec<ComplaintView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OwnerView {
    pub identifier: String,
    pub name: String,
    pub share: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActionView {
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
    pub requires_reason: bool,
    pub blocked_fa: Option<String>,
    pub blocked_en: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepView {
    pub seq: i64,
    pub action: String,
    pub action_name_fa: String,
    pub action_name_en: String,
    pub from_state: String,
    pub to_state: String,
    pub role: String,
    pub automatic: bool,
    pub reason: Option<String>,
    pub at: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentView {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    pub mime_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_at: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InspectionView {
    pub round: i64,
    pub scheduled_on: String,
    pub passed: Option<bool>,
    pub report: Option<String>,
    #[schema(value_type = Object)]
    pub checklist: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InquiryView {
    pub code: String,
    pub name_fa: String,
    pub agency: String,
    pub state: String,
    pub answer: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedView {
    pub kind: String,
    pub number: String,
    pub code: String,
    pub issued_at: i64,
    pub valid_until: Option<String>,
    pub delivered: bool,
}

/// The case, if the caller may see it.
pub async fn view(app: &App, principal: &Principal, tracking: &str) -> AppResult<CaseView> {
    let case = store::case_by_tracking(app.store().pool(), tracking, "").await?.ok_or(AppError::NotFound)?;
    let definition = catalog::definition_of(app, case.service_id).await?;
    let roles = acting_roles(app, principal, &case, &definition).await?;
    let actor = daftar_workflow::Actor::new(principal.user_id.to_string(), &roles);
    build_view(app, &case, &definition, Some((&actor, principal.user_id))).await
}

/// What anyone holding the tracking code and the applicant's national ID may see, without
/// signing in: the case without its actions.
pub async fn track(app: &App, tracking: &str, national_id: &str) -> AppResult<CaseView> {
    let tracking = daftar_types::digits::fold_to_ascii(tracking.trim());
    let id = NationalId::parse(national_id).map_err(|e| {
        field("national_id", "کد ملی", "National ID", e.message(Lang::Fa), e.message(Lang::En))
    })?;
    let case = store::case_by_tracking(app.store().pool(), &tracking, "").await?;
    let case = case.filter(|c| c.applicant_national_id == id.as_str()).ok_or(AppError::NotFound)?;
    let definition = catalog::definition_of(app, case.service_id).await?;
    build_view(app, &case, &definition, None).await
}

async fn build_view(
    app: &App,
    case: &CaseRow,
    definition: &ServiceDefinition,
    actor: Option<(&daftar_workflow::Actor, i64)>,
) -> AppResult<CaseView> {
    let pool = app.store().pool();
    let steps = store::steps(pool, case.id).await?;
    let state = definition.workflow.state(&case.state);
    let actions = match actor {
        Some((actor, user_id)) => {
            let mut conn = app.store().acquire().await?;
            let reads = definition.workflow.reads_offered(&case.state);
            let snapshot = facts::snapshot(&mut conn, case, &reads).await?;
            // Facts that an action's own inputs provide (the inspector named when scheduling,
            // the invoice issued by issuing it) do not block offering it.
            let facts = facts::gather(app, &mut conn, case, definition, &reads, Some(user_id))
                .await?
                .with_flag("inspector_assigned", true)
                .with_flag("invoice_issued", true)
                .with_flag("supervisor_appointed", true);
            definition
                .workflow
                .available_actions(&snapshot, actor, &facts)
                .into_iter()
                .map(|a| ActionView {
                    code: a.action.code.clone(),
                    name_fa: a.action.name.get(Lang::Fa).to_owned(),
                    name_en: a.action.name.get(Lang::En).to_owned(),
                    requires_reason: a.action.requires_reason,
                    blocked_fa: a.blocked.as_ref().map(|b| b.message(Lang::Fa)),
                    blocked_en: a.blocked.as_ref().map(|b| b.message(Lang::En)),
                })
                .collect()
        }
        None => Vec::new(),
    };
    let offices = crate::directory::offices(app).await?;
    let districts = crate::directory::districts(app).await?;
    let service = catalog::service_row(app, case.service_id).await?;
    let subtasks = store::subtasks(pool, case.id).await?;
    let inquiries = subtasks
        .into_iter()
        .map(|t| {
            let spec = definition.workflow.subtasks().iter().find(|s| s.code == t.code);
            InquiryView {
                name_fa: spec.map(|s| s.name.get(Lang::Fa).to_owned()).unwrap_or_else(|| t.code.clone()),
                agency: spec.map(|s| s.agency.code.clone()).unwrap_or_default(),
                code: t.code,
                state: t.state,
                answer: t.answer,
            }
        })
        .collect();
    let issued = store::issued_of_case(pool, case.id).await?.map(|i| IssuedView {
        kind: i.kind,
        number: i.number,
        code: i.code,
        issued_at: i.issued_at,
        valid_until: i.valid_until,
        delivered: i.delivered_at.is_some(),
    });
    let invoices = daftar_store::money::invoices_of_owner(pool, "case", &case.tracking_code)
        .await?
        .into_iter()
        .map(|i| i.public_id)
        .collect();
    Ok(CaseView {
        tracking_code: case.tracking_code.clone(),
        service: service.code.clone(),
        service_version: service.version,
        service_name_fa: definition.name.get(Lang::Fa).to_owned(),
        service_name_en: definition.name.get(Lang::En).to_owned(),
        office: offices.iter().find(|o| o.id == case.office_id).map(|o| o.code.clone()).unwrap_or_default(),
        district: districts
            .iter()
            .find(|d| d.id == case.district_id)
            .map(|d| d.code.clone())
            .unwrap_or_default(),
        parcel_key: case.parcel_key.clone(),
        state: case.state.clone(),
        state_name_fa: state.map(|s| s.name.get(Lang::Fa).to_owned()).unwrap_or_default(),
        state_name_en: state.map(|s| s.name.get(Lang::En).to_owned()).unwrap_or_default(),
        version: case.version,
        terminal: case.terminal != 0,
        opened_at: case.opened_at,
        due_at: case.state_due_at,
        escalated: case.escalated_at.is_some(),
        form: serde_json::from_str(&case.form).unwrap_or_default(),
        owners: store::owners(pool, case.id)
            .await?
            .into_iter()
            .map(|o| OwnerView { identifier: o.identifier, name: o.name, share: o.share })
            .collect(),
        actions,
        steps: steps
            .into_iter()
            .map(|s| StepView {
                seq: s.seq,
                action_name_fa: action_name(definition, &s.action, Lang::Fa),
                action_name_en: action_name(definition, &s.action, Lang::En),
                action: s.action,
                from_state: s.from_state,
                to_state: s.to_state,
                role: s.role,
                automatic: s.automatic != 0,
                reason: s.reason,
                at: s.at,
            })
            .collect(),
        documents: store::documents(pool, case.id)
            .await?
            .into_iter()
            .map(|d| DocumentView {
                id: d.id,
                kind: d.kind,
                file_name: d.file_name,
                mime_type: d.mime_type,
                size: d.size,
                sha256: d.sha256,
                uploaded_at: d.uploaded_at,
            })
            .collect(),
        inspections: store::inspections(pool, case.id)
            .await?
            .into_iter()
            .map(|i| InspectionView {
                round: i.round,
                scheduled_on: i.scheduled_on,
                passed: i.passed.map(|p| p != 0),
                report: i.report,
                checklist: i.checklist.and_then(|c| serde_json::from_str(&c).ok()).unwrap_or_default(),
            })
            .collect(),
        inquiries,
        facts: serde_json::from_str(&case.facts).unwrap_or_default(),
        invoices,
        issued,
        complaints: follow::complaints_of(app, case.id).await?,
    })
}

fn action_name(definition: &ServiceDefinition, code: &str, lang: Lang) -> String {
    definition.workflow.action(code).map_or_else(|| code.to_owned(), |a| a.name.get(lang).to_owned())
}

/// One row of an inbox.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InboxRow {
    pub tracking_code: String,
    pub service: String,
    pub state: String,
    pub state_name_fa: String,
    pub state_name_en: String,
    pub parcel_key: String,
    pub opened_at: i64,
    pub due_at: Option<i64>,
    pub overdue: bool,
    pub escalated: bool,
    pub terminal: bool,
}

/// The cases the caller handles: an office's, a district's, the whole city's for the
/// supervisor, a citizen's own; filtered by state and by a Persian-normalised search.
pub async fn inbox(
    app: &App,
    principal: &Principal,
    state: Option<&str>,
    search: Option<&str>,
) -> AppResult<Vec<InboxRow>> {
    let national_id;
    let scope = match (principal.role, principal.office_id, principal.district_id) {
        (
            Some(Role::OfficeLicenseHolder | Role::OfficeTechnicalManager | Role::OfficeExpert),
            Some(office),
            _,
        ) => CaseScope::Office(office),
        (Some(Role::DistrictReviewer | Role::DistrictPermitApprover), _, Some(district)) => {
            CaseScope::District(district)
        }
        (Some(Role::Supervisor), _, _) => CaseScope::City,
        // Agencies hear of their cases through webhooks and answer inquiries by tracking code.
        (Some(Role::Agency), _, _) => return Ok(Vec::new()),
        (Some(Role::Citizen), _, _) => {
            national_id = national_id_of(&mut *app.store().acquire().await?, principal.user_id)
                .await?
                .ok_or(AppError::Forbidden)?;
            CaseScope::Applicant(&national_id)
        }
        _ => return Err(AppError::Forbidden),
    };
    let search = search.map(text::search_key).filter(|s| !s.is_empty());
    let state = state.filter(|s| !s.is_empty());
    let rows = store::list_cases(app.store().pool(), scope, state, search.as_deref(), 200).await?;
    let now = app.now();
    let mut inbox = Vec::with_capacity(rows.len());
    for case in rows {
        let definition = catalog::definition_of(app, case.service_id).await?;
        let state = definition.workflow.state(&case.state);
        inbox.push(InboxRow {
            service: definition.code.clone(),
            state_name_fa: state.map(|s| s.name.get(Lang::Fa).to_owned()).unwrap_or_default(),
            state_name_en: state.map(|s| s.name.get(Lang::En).to_owned()).unwrap_or_default(),
            overdue: case.state_due_at.is_some_and(|d| d < now),
            escalated: case.escalated_at.is_some(),
            terminal: case.terminal != 0,
            tracking_code: case.tracking_code,
            state: case.state,
            parcel_key: case.parcel_key,
            opened_at: case.opened_at,
            due_at: case.state_due_at,
        });
    }
    Ok(inbox)
}

/// The Tehran date of a moment, for messages.
pub(crate) fn tehran_day(at: i64) -> daftar_types::JalaliDate {
    Timestamp::from_unix(at).to_tehran().date()
}
