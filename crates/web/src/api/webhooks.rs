//! Agencies' webhook subscriptions, managed by the administrator.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use daftar_app::AppError;
use daftar_app::webhooks::{self, CreatedWebhook, NewWebhook, WebhookView};

use super::ApiJson;
use crate::AppState;
use crate::caller::Caller;
use crate::error::{ApiError, ApiErrorBody};

fn signed_in(caller: &Caller) -> Result<&daftar_app::Principal, AppError> {
    caller.principal().ok_or(AppError::Unauthenticated)
}

/// Subscribes an agency's endpoint to case events. The answer carries the signing secret,
/// shown this once: each delivery's `X-Daftar-Signature` is `sha256=` and the hex HMAC-SHA256 of
/// `"{X-Daftar-Timestamp}.{body}"` keyed with it.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhook,
    security(("session" = [])),
    responses((status = 201, body = CreatedWebhook), (status = 422, body = ApiErrorBody),
        (status = 403, body = ApiErrorBody)))]
pub async fn subscribe(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<NewWebhook>,
) -> Result<(StatusCode, Json<CreatedWebhook>), ApiError> {
    let created = webhooks::subscribe(&state.app, signed_in(&caller)?, &body, &caller.meta).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The active subscriptions (without their secrets).
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("session" = [])),
    responses((status = 200, body = Vec<WebhookView>), (status = 403, body = ApiErrorBody)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<WebhookView>>, ApiError> {
    Ok(Json(webhooks::list(&state.app, signed_in(&caller)?).await?))
}

/// Ends a subscription; deliveries still queued for it are given up.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = i64, Path)),
    security(("session" = [])),
    responses((status = 204), (status = 404, body = ApiErrorBody), (status = 403, body = ApiErrorBody)))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    webhooks::unsubscribe(&state.app, signed_in(&caller)?, id, &caller.meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
