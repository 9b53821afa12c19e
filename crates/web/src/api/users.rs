use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use daftar_app::AppError;
use daftar_app::audit::By;
use daftar_app::users::{self, NewStaff, UserView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiJson;
use crate::AppState;
use crate::caller::Caller;
use crate::error::{ApiError, ApiErrorBody};

fn principal(caller: &Caller) -> Result<&daftar_app::Principal, ApiError> {
    caller.principal().ok_or(ApiError(AppError::Unauthenticated))
}

/// The caller's account and active role.
#[derive(Serialize, ToSchema)]
pub struct Me {
    #[serde(flatten)]
    pub user: UserView,
    pub active_role: Option<String>,
    pub office_id: Option<i64>,
    pub district_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "users", security(("session" = []), ("agency_key" = [])),
    responses((status = 200, body = Me), (status = 401, body = ApiErrorBody)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Me>, ApiError> {
    let principal = principal(&caller)?;
    let user = users::me(&state.app, principal).await?;
    Ok(Json(Me {
        user,
        active_role: principal.role.map(|r| r.code().to_string()),
        office_id: principal.office_id,
        district_id: principal.district_id,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct Rename {
    pub display_name: String,
}

/// Changes the caller's display name.
#[utoipa::path(put, path = "/api/v1/me/name", tag = "users", request_body = Rename, security(("session" = [])),
    responses((status = 204), (status = 422, body = ApiErrorBody)))]
pub async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<Rename>,
) -> Result<StatusCode, ApiError> {
    users::rename(&state.app, principal(&caller)?, &body.display_name, &caller.meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
pub struct Search {
    /// Name, username or national ID; Persian text is matched after normalisation.
    #[serde(default)]
    pub q: String,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(Search), security(("session" = [])),
    responses((status = 200, body = Vec<UserView>), (status = 403, body = ApiErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(search): Query<Search>,
) -> Result<Json<Vec<UserView>>, ApiError> {
    Ok(Json(users::search(&state.app, principal(&caller)?, &search.q).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

/// Creates a staff account with one role.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewStaff, security(("session" = [])),
    responses((status = 201, body = Created), (status = 422, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewStaff>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = users::add_staff(&state.app, By::Principal(principal(&caller)?), &body, &caller.meta).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}
