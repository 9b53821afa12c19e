//! Payment gateways call back here. The call is authenticated by its HMAC signature over the
//! raw body and a timestamp (headers `X-Daftar-Timestamp`, `X-Daftar-Signature`), not by a
//! session; the payment is found by the gateway's own reference.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use daftar_app::money::{self, CallbackOutcome};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::caller::Caller;
use crate::error::{ApiError, ApiErrorBody};

#[derive(Serialize, ToSchema)]
pub struct CallbackAnswer {
    /// `recorded`, `already_recorded` (a duplicate; nothing changed) or `failed`.
    pub outcome: &'static str,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// A gateway's callback: `{"reference": "...", "status": "paid", "amount": 123}`, signed with
/// HMAC-SHA256 over `"{timestamp}.{body}"`; the timestamp must be within 300 seconds.
#[utoipa::path(post, path = "/api/v1/payments/callback/{gateway}", tag = "payments",
    params(("gateway" = String, Path, description = "The gateway's name, e.g. sandbox"),
        ("X-Daftar-Timestamp" = i64, Header, description = "Unix seconds"),
        ("X-Daftar-Signature" = String, Header, description = "HMAC-SHA256, hexadecimal")),
    request_body(content = String, content_type = "application/json"),
    responses((status = 200, body = CallbackAnswer), (status = 422, body = ApiErrorBody)))]
pub async fn callback(
    State(state): State<AppState>,
    caller: Caller,
    Path(gateway): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CallbackAnswer>, ApiError> {
    let outcome = money::record_callback(
        &state.app,
        &caller.meta,
        &gateway,
        &body,
        header(&headers, "x-daftar-timestamp"),
        header(&headers, "x-daftar-signature"),
    )
    .await?;
    let outcome = match outcome {
        CallbackOutcome::Recorded => "recorded",
        CallbackOutcome::AlreadyRecorded => "already_recorded",
        CallbackOutcome::Failed => "failed",
    };
    Ok(Json(CallbackAnswer { outcome }))
}
