//! The `Idempotency-Key` header on the API's POST routes (the rules are in
//! `daftar_app::idempotency`). Without the header a request passes untouched. Keys belong to a
//! signed-in caller (a user or one agency key); an anonymous caller has no keys, so its header is
//! checked for syntax and otherwise ignored.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use daftar_app::AppError;
use daftar_app::idempotency::{self, StoredResponse};

use crate::AppState;
use crate::caller::Caller;
use crate::error::{ApiError, status_response};

/// The header on a replayed response.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Runs a POST once per key: replays a finished request's response, refuses a different request
/// under the same key (422) or the same one still running (409), and frees the key when the
/// handler fails with a server error so that a retry runs.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(raw_key) = request.headers().get(idempotency::HEADER) else {
        return next.run(request).await;
    };
    let Some(caller) = request.extensions().get::<Caller>().cloned() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let key = match idempotency::check_key(raw_key.as_bytes()) {
        Ok(key) => key.to_string(),
        Err(err) => return status_response(StatusCode::BAD_REQUEST, &err, caller.lang, true),
    };
    let Some(principal) = caller.principal() else {
        return next.run(request).await;
    };
    let scope = idempotency::scope(principal, caller.api_key_id);

    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, usize::MAX).await else {
        return ApiError(AppError::TooLarge).into_response();
    };
    let path = parts.uri.path_and_query().map_or_else(|| parts.uri.path(), |p| p.as_str());
    let digest = idempotency::request_digest(parts.method.as_str(), path, &body);
    match idempotency::begin(&state.app, &scope, &key, &digest).await {
        Ok(None) => {}
        Ok(Some(stored)) => return replay(stored),
        Err(err) => return ApiError(err).into_response(),
    }

    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let (parts, body) = response.into_parts();
    let body = match to_bytes(body, usize::MAX).await {
        Ok(body) if !parts.status.is_server_error() => body,
        outcome => {
            if let Err(err) = idempotency::release(&state.app, &scope, &key).await {
                tracing::error!(error = %err, "could not free an idempotency key");
            }
            return match outcome {
                Ok(body) => Response::from_parts(parts, Body::from(body)),
                Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            };
        }
    };
    let stored = StoredResponse {
        status: i64::from(parts.status.as_u16()),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: body.to_vec(),
    };
    if let Err(err) = idempotency::finish(&state.app, &scope, &key, &stored).await {
        tracing::error!(error = %err, "could not keep a response for its idempotency key");
    }
    Response::from_parts(parts, Body::from(body))
}

/// The kept response, byte for byte, marked as a replay.
fn replay(stored: StoredResponse) -> Response {
    let status = u16::try_from(stored.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Body::from(stored.body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if let Some(content_type) = stored.content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    headers.insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}
