//! Services and cases over JSON: the catalog, opening a case, steps, documents, inquiries, the
//! public tracking and complaints, and the verification of issued documents. The same use
//! cases as the pages.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use daftar_app::cases::{
    self, ActRequest, CaseView, ComplaintView, InboxRow, OpenCase, ServiceSummary, Verification,
};
use daftar_app::{AppError, FieldError, Message};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::ApiJson;
use crate::AppState;
use crate::caller::Caller;
use crate::error::{ApiError, ApiErrorBody};

fn signed_in(caller: &Caller) -> Result<&daftar_app::Principal, AppError> {
    caller.principal().ok_or(AppError::Unauthenticated)
}

/// Every published service version, each marked whether new cases use it today.
#[utoipa::path(get, path = "/api/v1/services", tag = "cases", responses((status = 200, body = [ServiceSummary])))]
pub async fn services(State(state): State<AppState>) -> Result<Json<Vec<ServiceSummary>>, ApiError> {
    Ok(Json(cases::service_catalog(&state.app).await?))
}

/// Publishes a service version (the body is its definition file, TOML). Open cases keep the
/// version they were opened under.
#[utoipa::path(post, path = "/api/v1/services", tag = "cases",
    request_body(content = String, content_type = "text/plain"),
    responses((status = 201, body = ServiceSummary), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    body: String,
) -> Result<(StatusCode, Json<ServiceSummary>), ApiError> {
    let principal = signed_in(&caller)?;
    let by = daftar_app::audit::By::Principal(principal);
    Ok((StatusCode::CREATED, Json(cases::publish_service(&state.app, by, &caller.meta, &body).await?)))
}

/// Opens a case under the service version in force today.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = OpenCase,
    responses((status = 201, body = CaseView), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<OpenCase>,
) -> Result<(StatusCode, Json<CaseView>), ApiError> {
    let principal = signed_in(&caller)?;
    Ok((StatusCode::CREATED, Json(cases::open_case(&state.app, principal, &caller.meta, &request).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct InboxQuery {
    /// Only cases in this state.
    pub state: Option<String>,
    /// Words to find in the tracking code, parcel key, owners' names and IDs, or address.
    pub q: Option<String>,
}

/// The caller's inbox: an office's cases, a district's, the city's for the supervisor, or a
/// citizen's own, the most urgent first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(InboxQuery),
    responses((status = 200, body = [InboxRow]), (status = 403, body = ApiErrorBody)))]
pub async fn inbox(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<InboxQuery>,
) -> Result<Json<Vec<InboxRow>>, ApiError> {
    let principal = signed_in(&caller)?;
    Ok(Json(cases::inbox(&state.app, principal, query.state.as_deref(), query.q.as_deref()).await?))
}

/// A case with the actions the caller may take now.
#[utoipa::path(get, path = "/api/v1/cases/{tracking}", tag = "cases", params(("tracking" = String, Path)),
    responses((status = 200, body = CaseView), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn case(
    State(state): State<AppState>,
    caller: Caller,
    Path(tracking): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    let principal = signed_in(&caller)?;
    Ok(Json(cases::view(&state.app, principal, &tracking).await?))
}

/// Takes a step on the version of the case the caller saw; a stale or repeated request gets 409.
/// Answers with the case as the caller now sees it, or, with `Prefer: return=minimal`
/// (RFC 7240), only with its new state and version.
#[utoipa::path(post, path = "/api/v1/cases/{tracking}/actions", tag = "cases",
    params(("tracking" = String, Path), ("Prefer" = Option<String>, Header, description = "`return=minimal` for only the new state and version")),
    request_body = ActRequest,
    responses((status = 200, body = CaseView), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(tracking): Path<String>,
    ApiJson(request): ApiJson<ActRequest>,
) -> Result<Response, ApiError> {
    let principal = signed_in(&caller)?;
    let minimal = headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split([',', ';']).any(|p| p.trim().eq_ignore_ascii_case("return=minimal")));
    if minimal {
        let stepped = cases::act_brief(&state.app, principal, &caller.meta, &tracking, &request).await?;
        return Ok(([("preference-applied", "return=minimal")], Json(stepped)).into_response());
    }
    Ok(Json(cases::act(&state.app, principal, &caller.meta, &tracking, &request).await?).into_response())
}

fn upload_error(fa: &str, en: &str) -> AppError {
    AppError::invalid(FieldError::new("file", Message::new("فایل", "File"), Message::new(fa, en)))
}

/// A document upload: its kind and the file.
pub struct DocumentUpload {
    pub kind: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Reads `kind` and `file` from a multipart form.
pub async fn read_document(mut form: Multipart) -> Result<DocumentUpload, AppError> {
    let (mut kind, mut file) = (None, None);
    while let Some(field) =
        form.next_field().await.map_err(|_| upload_error("بارگذاری ناقص است.", "The upload is malformed."))?
    {
        match field.name() {
            Some("kind") => kind = Some(field.text().await.unwrap_or_default().trim().to_owned()),
            Some("file") => {
                let name = field.file_name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(|_| {
                    upload_error("فایل بزرگ‌تر از اندازهٔ مجاز است.", "The file is larger than allowed.")
                })?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    match (kind, file) {
        (Some(kind), Some((file_name, bytes))) if !kind.is_empty() && !bytes.is_empty() => {
            Ok(DocumentUpload { kind, file_name, bytes })
        }
        (None, _) => Err(AppError::invalid(FieldError::new(
            "kind",
            Message::new("نوع مدرک", "Document kind"),
            Message::new("لازم است.", "is required."),
        ))),
        _ => Err(upload_error("فایلی پیوست نشده است.", "No file is attached.")),
    }
}

/// Multipart form: `kind` (a document code of the service) and `file`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DocumentForm {
    kind: String,
    #[schema(format = Binary)]
    file: Vec<u8>,
}

/// Uploads a document. Its type is decided from its bytes; its name is kept only as a label.
#[utoipa::path(post, path = "/api/v1/cases/{tracking}/documents", tag = "cases", params(("tracking" = String, Path)),
    request_body(content = DocumentForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Object), (status = 403, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(tracking): Path<String>,
    form: Multipart,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let principal = signed_in(&caller)?;
    let upload = read_document(form).await?;
    let id = cases::upload_document(
        &state.app,
        principal,
        &caller.meta,
        &tracking,
        &upload.kind,
        &upload.file_name,
        &upload.bytes,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

/// A document's bytes, for whoever may see the case; always as an attachment.
#[utoipa::path(get, path = "/api/v1/cases/{tracking}/documents/{id}", tag = "cases",
    params(("tracking" = String, Path), ("id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = ApiErrorBody)))]
pub async fn document(
    State(state): State<AppState>,
    caller: Caller,
    Path((tracking, id)): Path<(String, i64)>,
) -> Result<Response, ApiError> {
    let principal = signed_in(&caller)?;
    let (row, bytes) = cases::document_bytes(&state.app, principal, &tracking, id).await?;
    Ok(attachment(&row.mime_type, &row.file_name, bytes))
}

pub fn attachment(mime: &str, name: &str, bytes: Vec<u8>) -> Response {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '_' }).collect();
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{ascii}\"")),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// The permit or certificate a case issued, as a signed PDF.
#[utoipa::path(get, path = "/api/v1/cases/{tracking}/issued.pdf", tag = "cases", params(("tracking" = String, Path)),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ApiErrorBody)))]
pub async fn issued_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(tracking): Path<String>,
) -> Result<Response, ApiError> {
    let principal = signed_in(&caller)?;
    cases::view(&state.app, principal, &tracking).await?;
    let pdf = cases::issued_pdf(&state.app, &tracking).await?;
    Ok(attachment("application/pdf", &format!("{tracking}.pdf"), pdf))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InquiryAnswer {
    pub answer: String,
    /// An office withdrawing an optional inquiry the parcel does not need.
    #[serde(default)]
    pub withdraw: bool,
}

/// An agency answers its inquiry on a case (API key), or the office withdraws an optional one.
#[utoipa::path(post, path = "/api/v1/cases/{tracking}/inquiries/{code}", tag = "cases",
    params(("tracking" = String, Path), ("code" = String, Path)), request_body = InquiryAnswer,
    responses((status = 204), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn inquiry(
    State(state): State<AppState>,
    caller: Caller,
    Path((tracking, code)): Path<(String, String)>,
    ApiJson(body): ApiJson<InquiryAnswer>,
) -> Result<StatusCode, ApiError> {
    let principal = signed_in(&caller)?;
    cases::answer_inquiry(&state.app, principal, &caller.meta, &tracking, &code, &body.answer, body.withdraw)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams, ToSchema)]
pub struct TrackQuery {
    pub tracking: String,
    pub national_id: String,
}

/// Follows a case without signing in, by its tracking code and the applicant's national ID.
#[utoipa::path(get, path = "/api/v1/track", tag = "cases", params(TrackQuery),
    responses((status = 200, body = CaseView), (status = 404, body = ApiErrorBody)))]
pub async fn track(
    State(state): State<AppState>,
    Query(query): Query<TrackQuery>,
) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(cases::track(&state.app, &query.tracking, &query.national_id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewComplaint {
    pub tracking: String,
    pub national_id: String,
    pub body: String,
}

/// Files a complaint about a case (the applicant, by tracking code and national ID); it goes to
/// the supervisor, to be answered within seven days.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "cases", request_body = NewComplaint,
    responses((status = 201, body = ComplaintView), (status = 404, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn complain(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewComplaint>,
) -> Result<(StatusCode, Json<ComplaintView>), ApiError> {
    let view = cases::file_complaint(&state.app, &caller.meta, &body.tracking, &body.national_id, &body.body)
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The supervisor's open complaints, the most overdue first.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "cases",
    responses((status = 200, body = [ComplaintView]), (status = 403, body = ApiErrorBody)))]
pub async fn complaints(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ComplaintView>>, ApiError> {
    let principal = signed_in(&caller)?;
    Ok(Json(cases::open_complaints(&state.app, principal).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ComplaintAnswer {
    pub answer: String,
}

/// The supervisor answers a complaint.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/answer", tag = "cases", params(("id" = i64, Path)),
    request_body = ComplaintAnswer,
    responses((status = 204), (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ComplaintAnswer>,
) -> Result<StatusCode, ApiError> {
    let principal = signed_in(&caller)?;
    cases::answer_complaint(&state.app, principal, &caller.meta, id, &body.answer).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An issued permit or certificate by the code its QR carries: its signed facts and whether the
/// signature holds.
#[utoipa::path(get, path = "/api/v1/verify/{code}", tag = "cases", params(("code" = String, Path)),
    responses((status = 200, body = Verification), (status = 404, body = ApiErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<Verification>, ApiError> {
    Ok(Json(cases::verify_code(&state.app, &code).await?))
}

/// Checks a PDF (the body): its embedded seal against this city's key, and that it matches the
/// record.
#[utoipa::path(post, path = "/api/v1/verify", tag = "cases",
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 200, body = Verification), (status = 409, body = ApiErrorBody)))]
pub async fn verify_pdf(State(state): State<AppState>, body: Bytes) -> Result<Json<Verification>, ApiError> {
    Ok(Json(cases::verify_pdf(&state.app, &body).await?))
}
