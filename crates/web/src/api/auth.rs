use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use daftar_app::auth;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::AppState;
use crate::caller::{Caller, clear_session_cookie, session_cookie};
use crate::error::{ApiError, ApiErrorBody};

#[derive(Deserialize, ToSchema)]
pub struct StaffCredentials {
    pub username: String,
    #[schema(format = Password)]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionStarted {
    /// True when the account has TOTP and the code is still owed (POST it to the page
    /// `/sign-in/second-factor`).
    pub awaiting_second_factor: bool,
    pub expires_in_s: i64,
}

fn started(state: &AppState, signed_in: &auth::SignedIn) -> Response {
    let cookie =
        session_cookie(signed_in.token.as_str(), signed_in.max_age_s, state.app.config().secure_cookies);
    let body = SessionStarted {
        awaiting_second_factor: signed_in.awaiting_second_factor,
        expires_in_s: signed_in.max_age_s,
    };
    ([(header::SET_COOKIE, cookie)], Json(body)).into_response()
}

/// Staff sign-in; the session comes back as a cookie.
#[utoipa::path(post, path = "/api/v1/auth/staff", tag = "auth", request_body = StaffCredentials,
    responses((status = 200, body = SessionStarted), (status = 422, body = ApiErrorBody), (status = 429, body = ApiErrorBody)))]
pub async fn staff_sign_in(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<StaffCredentials>,
) -> Result<Response, ApiError> {
    let signed_in = auth::sign_in_staff(&state.app, &body.username, &body.password, &caller.meta).await?;
    Ok(started(&state, &signed_in))
}

#[derive(Deserialize, ToSchema)]
pub struct CodeRequest {
    /// 8–10 digits; Persian and Arabic-Indic digits are accepted.
    pub national_id: String,
    /// e.g. 09121234567 or +989121234567.
    pub mobile: String,
}

#[derive(Serialize, ToSchema)]
pub struct CodeSent {
    /// Pass this back with the code.
    pub challenge: String,
    pub mobile_masked: String,
    pub expires_in_s: i64,
}

/// Texts a six-digit sign-in code to a citizen (if the national ID and mobile belong together;
/// the answer is the same either way).
#[utoipa::path(post, path = "/api/v1/auth/citizen/code", tag = "auth", request_body = CodeRequest,
    responses((status = 200, body = CodeSent), (status = 422, body = ApiErrorBody), (status = 429, body = ApiErrorBody)))]
pub async fn request_code(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CodeRequest>,
) -> Result<Json<CodeSent>, ApiError> {
    let sent = auth::request_code(&state.app, &body.national_id, &body.mobile, &caller.meta).await?;
    Ok(Json(CodeSent {
        challenge: sent.challenge,
        mobile_masked: sent.mobile_masked,
        expires_in_s: auth::CODE_TTL_S,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct CodeAnswer {
    pub challenge: String,
    pub code: String,
}

/// Checks the code (five tries, five minutes); the session comes back as a cookie.
#[utoipa::path(post, path = "/api/v1/auth/citizen/verify", tag = "auth", request_body = CodeAnswer,
    responses((status = 200, body = SessionStarted), (status = 422, body = ApiErrorBody)))]
pub async fn verify_code(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CodeAnswer>,
) -> Result<Response, ApiError> {
    let signed_in = auth::verify_code(&state.app, &body.challenge, &body.code, &caller.meta).await?;
    Ok(started(&state, &signed_in))
}

/// Ends the current session (a call with an API key has none, and changes nothing).
#[utoipa::path(post, path = "/api/v1/auth/sign-out", tag = "auth", security(("session" = [])),
    responses((status = 204), (status = 401, body = ApiErrorBody)))]
pub async fn sign_out(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    if let (Some(token), Some(principal)) = (&caller.session_token, caller.principal()) {
        auth::sign_out(&state.app, token, principal.user_id, &caller.meta).await?;
    }
    let cookie = clear_session_cookie(state.app.config().secure_cookies);
    Ok(([(header::SET_COOKIE, cookie)], axum::http::StatusCode::NO_CONTENT).into_response())
}
