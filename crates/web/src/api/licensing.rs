//! Licensing over JSON: the call, applications, exam results, board votes, the selection,
//! licences, equipment, experts and opening an office. The same use cases as the pages.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use daftar_app::AppError;
use daftar_app::licensing::{self, ApplicantResult, Draft, ExpertStep, LicenceView, PublicResult, Saved};
use daftar_licensing::{Application, Degree};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::ApiJson;
use crate::caller::Caller;
use crate::error::{ApiError, ApiErrorBody};

fn signed_in(caller: &Caller) -> Result<&daftar_app::Principal, AppError> {
    caller.principal().ok_or(AppError::Unauthenticated)
}

/// A JSON body that did not parse, as a field error in both languages.
fn body_error(what: &'static str, error: impl std::fmt::Display) -> AppError {
    AppError::invalid(daftar_app::FieldError::new(
        what,
        daftar_app::Message::new("متن درخواست", "Request body"),
        daftar_app::Message::new(format!("خوانا نیست: {error}"), format!("cannot be read: {error}")),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct CallView {
    pub code: String,
    pub version: String,
    /// The call's rules, as published (eligibility, rubric, window, sites).
    #[schema(value_type = Object)]
    pub rules: Value,
    /// The call file itself (TOML).
    pub source: String,
}

/// A licensing call: public, so anyone may read its rules before applying.
#[utoipa::path(get, path = "/api/v1/licensing/calls/{call}", tag = "licensing",
    params(("call" = String, Path)), responses((status = 200, body = CallView), (status = 404, body = ApiErrorBody)))]
pub async fn call(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<CallView>, ApiError> {
    let (row, rules) = licensing::call(&state.app, &code).await?;
    Ok(Json(CallView {
        code: row.code,
        version: row.version,
        rules: serde_json::to_value(&rules).unwrap_or(Value::Null),
        source: row.source,
    }))
}

/// Publishes a call (the body is the call file, TOML).
#[utoipa::path(post, path = "/api/v1/licensing/calls", tag = "licensing",
    request_body(content = String, content_type = "text/plain"),
    responses((status = 201, body = Object), (status = 422, body = ApiErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    body: String,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let principal = signed_in(&caller)?;
    let code =
        licensing::publish_call(&state.app, daftar_app::audit::By::Principal(principal), &caller.meta, &body)
            .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "code": code }))))
}

fn application(body: &Value) -> Result<Application, AppError> {
    serde_json::from_value(body.clone()).map_err(|e| body_error("application", e))
}

async fn save_or_submit(
    state: &AppState,
    caller: &Caller,
    code: &str,
    body: &Value,
    submit: bool,
) -> Result<Json<Saved>, ApiError> {
    let principal = signed_in(caller)?;
    let draft = Draft::of(application(body)?);
    Ok(Json(licensing::save_application(&state.app, principal, &caller.meta, code, draft, submit).await?))
}

/// Saves the caller's application as a draft (resumable until the window closes).
#[utoipa::path(put, path = "/api/v1/licensing/calls/{call}/application", tag = "licensing",
    params(("call" = String, Path)), request_body(content = Object),
    responses((status = 200, body = Object), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn save(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(body): Json<Value>,
) -> Result<Json<Saved>, ApiError> {
    save_or_submit(&state, &caller, &code, &body, false).await
}

/// Submits the caller's application: final, with a receipt; refused outside the window.
#[utoipa::path(post, path = "/api/v1/licensing/calls/{call}/application", tag = "licensing",
    params(("call" = String, Path)), request_body(content = Object),
    responses((status = 200, body = Object), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(body): Json<Value>,
) -> Result<Json<Saved>, ApiError> {
    save_or_submit(&state, &caller, &code, &body, true).await
}

#[derive(Deserialize, IntoParams)]
pub struct FileName {
    /// The file's name, kept as a label (folders and control characters removed).
    #[serde(default)]
    pub name: String,
}

/// Attaches a file to a slot of the caller's application (the body is the file):
/// `a.decl.{code}.certificate` or `m.decl.{code}.certificate` for the certificate of the
/// applicant's or the technical manager's declaration, `p.photo.1` to `p.photo.3` for the
/// premises. PDF, JPEG or PNG by content, 5 MB at most. A submission needs the certificate of
/// every declaration made and, with premises, a photo.
#[utoipa::path(put, path = "/api/v1/licensing/calls/{call}/application/files/{slot}", tag = "licensing",
    params(("call" = String, Path), ("slot" = String, Path), FileName),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Object), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn attach(
    State(state): State<AppState>,
    caller: Caller,
    Path((code, slot)): Path<(String, String)>,
    Query(file): Query<FileName>,
    body: axum::body::Bytes,
) -> Result<Json<Saved>, ApiError> {
    let principal = signed_in(&caller)?;
    let upload = licensing::Upload { slot, file_name: file.name, bytes: body.to_vec() };
    let draft = Draft { uploads: vec![upload], ..Draft::default() };
    Ok(Json(licensing::save_application(&state.app, principal, &caller.meta, &code, draft, false).await?))
}

/// The caller's own result: each condition explained, the points, the rank and the outcome.
#[utoipa::path(get, path = "/api/v1/licensing/calls/{call}/application", tag = "licensing",
    params(("call" = String, Path)), responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<ApplicantResult>, ApiError> {
    let principal = signed_in(&caller)?;
    Ok(Json(licensing::my_result(&state.app, principal, &code, caller.lang).await?))
}

/// Imports the exam results (CSV: `national_id,score`).
#[utoipa::path(post, path = "/api/v1/licensing/calls/{call}/exam", tag = "licensing",
    params(("call" = String, Path)), request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = Object), (status = 422, body = ApiErrorBody)))]
pub async fn exam(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    body: String,
) -> Result<Json<Value>, ApiError> {
    let principal = signed_in(&caller)?;
    let count = licensing::import_exam(&state.app, principal, &caller.meta, &code, &body).await?;
    Ok(Json(serde_json::json!({ "imported": count })))
}

#[derive(Deserialize, ToSchema)]
pub struct SeatBody {
    /// From 1 to the call's board size.
    pub seat: u8,
    /// The board member's account.
    pub username: String,
}

/// Seats a board member: the seat is the member's number on every ballot.
#[utoipa::path(post, path = "/api/v1/licensing/calls/{call}/board", tag = "licensing",
    params(("call" = String, Path)), request_body = SeatBody,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn seat(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<SeatBody>,
) -> Result<StatusCode, ApiError> {
    let principal = signed_in(&caller)?;
    licensing::seat_board_member(&state.app, principal, &caller.meta, &code, body.seat, &body.username)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct VoteBody {
    pub applicant: String,
    /// `approve`, `reject` or `abstain`.
    pub vote: String,
}

/// A board member's vote on an applicant.
#[utoipa::path(post, path = "/api/v1/licensing/calls/{call}/votes", tag = "licensing",
    params(("call" = String, Path)), request_body = VoteBody,
    responses((status = 204), (status = 409, body = ApiErrorBody)))]
pub async fn vote(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(body): Json<VoteBody>,
) -> Result<StatusCode, ApiError> {
    let principal = signed_in(&caller)?;
    licensing::vote(&state.app, principal, &caller.meta, &code, &body.applicant, &body.vote).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ranks and selects, once; the answer carries the digest of the inputs.
#[utoipa::path(post, path = "/api/v1/licensing/calls/{call}/selection", tag = "licensing",
    params(("call" = String, Path)), responses((status = 200, body = Object), (status = 409, body = ApiErrorBody)))]
pub async fn select(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let principal = signed_in(&caller)?;
    let row = licensing::run_selection(
        &state.app,
        daftar_app::audit::By::Principal(principal),
        &caller.meta,
        &code,
    )
    .await?;
    let selection: Value = serde_json::from_str(&row.selection).unwrap_or(Value::Null);
    Ok(Json(serde_json::json!({ "inputs_digest": row.inputs_digest, "selection": selection })))
}

/// The public ranking, national IDs masked.
#[utoipa::path(get, path = "/api/v1/licensing/calls/{call}/ranking", tag = "licensing",
    params(("call" = String, Path)), responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)))]
pub async fn ranking(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<PublicResult>, ApiError> {
    Ok(Json(licensing::public_ranking(&state.app, &code).await?))
}

/// Issues the licences of the selected: offices, checklists, sites let.
#[utoipa::path(post, path = "/api/v1/licensing/calls/{call}/licences", tag = "licensing",
    params(("call" = String, Path)), responses((status = 200, body = Object), (status = 409, body = ApiErrorBody)))]
pub async fn licences(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let principal = signed_in(&caller)?;
    let offices = licensing::issue_licences(&state.app, principal, &caller.meta, &code).await?;
    Ok(Json(serde_json::json!({ "offices": offices })))
}

#[derive(Deserialize, ToSchema)]
pub struct ExpertBody {
    pub national_id: String,
    /// `register`, `training_completed`, `exam`, `certify` or `assign`.
    pub step: String,
    pub name: Option<String>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub degrees: Option<Vec<Degree>>,
    pub score: Option<String>,
    pub office: Option<String>,
}

fn expert_step(body: ExpertBody) -> Result<(String, ExpertStep), AppError> {
    let missing = |field: &'static str| body_error(field, "missing");
    let step = match body.step.as_str() {
        "register" => ExpertStep::Register {
            name: body.name.ok_or_else(|| missing("name"))?,
            degrees: body.degrees.ok_or_else(|| missing("degrees"))?,
        },
        "training_completed" => ExpertStep::TrainingCompleted,
        "exam" => ExpertStep::Exam {
            score: body
                .score
                .as_deref()
                .and_then(|s| s.parse::<Decimal>().ok())
                .ok_or_else(|| missing("score"))?,
        },
        "certify" => ExpertStep::Certify,
        "assign" => ExpertStep::Assign { office_code: body.office.ok_or_else(|| missing("office"))? },
        other => return Err(body_error("step", format!("unknown step {other}"))),
    };
    Ok((body.national_id, step))
}

/// One step of an expert: registration, training, exam, certification, assignment.
#[utoipa::path(post, path = "/api/v1/licensing/calls/{call}/experts", tag = "licensing",
    params(("call" = String, Path)), request_body = ExpertBody,
    responses((status = 204), (status = 422, body = ApiErrorBody)))]
pub async fn expert(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Json(body): Json<ExpertBody>,
) -> Result<StatusCode, ApiError> {
    let principal = signed_in(&caller)?;
    let (national_id, step) = expert_step(body)?;
    licensing::expert_step(&state.app, principal, &caller.meta, &code, &national_id, step).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct EquipmentBody {
    pub item: String,
    /// `pending`, `delivered` or `installed`.
    pub status: String,
}

/// Sets an office's equipment item.
#[utoipa::path(post, path = "/api/v1/offices/{office}/equipment", tag = "licensing",
    params(("office" = String, Path)), request_body = EquipmentBody,
    responses((status = 204), (status = 404, body = ApiErrorBody)))]
pub async fn equipment(
    State(state): State<AppState>,
    caller: Caller,
    Path(office): Path<String>,
    Json(body): Json<EquipmentBody>,
) -> Result<StatusCode, ApiError> {
    let principal = signed_in(&caller)?;
    licensing::set_equipment(&state.app, principal, &caller.meta, &office, &body.item, &body.status).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Opens an office: refused, with every reason, until its checklist is complete and it has its
/// certified experts.
#[utoipa::path(post, path = "/api/v1/licensing/calls/{call}/offices/{office}/open", tag = "licensing",
    params(("call" = String, Path), ("office" = String, Path)),
    responses((status = 204), (status = 409, body = ApiErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    caller: Caller,
    Path((code, office)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let principal = signed_in(&caller)?;
    licensing::open_office(&state.app, principal, &caller.meta, &code, &office).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An office's licence with its status today and its history of moves and reasons.
#[utoipa::path(get, path = "/api/v1/licences/{office}", tag = "licensing",
    params(("office" = String, Path)), responses((status = 200, body = Object), (status = 404, body = ApiErrorBody)))]
pub async fn licence(
    State(state): State<AppState>,
    Path(office): Path<String>,
) -> Result<Json<LicenceView>, ApiError> {
    Ok(Json(licensing::licence(&state.app, &office).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct ReasonBody {
    /// Why; kept in the licence's history.
    pub reason: String,
}

/// Renews, suspends, resumes or revokes an office's licence (`action`: `renew`, `suspend`,
/// `resume`, `revoke`), with the reason.
#[utoipa::path(post, path = "/api/v1/licences/{office}/{action}", tag = "licensing",
    params(("office" = String, Path), ("action" = String, Path)), request_body = ReasonBody,
    responses((status = 200, body = Object), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn change_licence(
    State(state): State<AppState>,
    caller: Caller,
    Path((office, action)): Path<(String, String)>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<LicenceView>, ApiError> {
    let principal = signed_in(&caller)?;
    let action = licensing::committee_action(&action)?;
    Ok(Json(
        licensing::change_licence(&state.app, principal, &caller.meta, &office, action, &body.reason).await?,
    ))
}
