use axum::Json;
use axum::extract::State;
use daftar_app::AppError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::caller::Caller;
use crate::error::{ApiError, ApiErrorBody};

/// The deployment's public signing key.
#[derive(Serialize, ToSchema)]
pub struct PublicKey {
    pub algorithm: &'static str,
    pub key_id: String,
    /// 32 bytes, hexadecimal.
    pub public_key_hex: String,
}

/// The public key that verifies audit checkpoints (and, later, permits).
#[utoipa::path(get, path = "/api/v1/keys", tag = "system", responses((status = 200, body = PublicKey)))]
pub async fn keys(State(state): State<AppState>) -> Json<PublicKey> {
    let key = state.app.verifying_key();
    Json(PublicKey {
        algorithm: "ed25519",
        key_id: daftar_store::audit::key_id(&key),
        public_key_hex: hex::encode(key.as_bytes()),
    })
}

/// A signed statement that the audit chain had `hash` after record `seq`.
#[derive(Serialize, ToSchema)]
pub struct CheckpointView {
    pub seq: i64,
    pub hash: String,
    /// Unix seconds, UTC.
    pub at: i64,
    pub key_id: String,
    /// ed25519 signature over `daftar-audit-checkpoint/v1\n{seq}\n{hash}\n{at}\n`, hexadecimal.
    pub signature: String,
}

/// Every signed audit checkpoint, oldest first. Keep copies: they reveal a truncated chain.
#[utoipa::path(get, path = "/api/v1/audit/checkpoints", tag = "system",
    security(("session" = [])),
    responses((status = 200, body = Vec<CheckpointView>), (status = 403, body = ApiErrorBody)))]
pub async fn checkpoints(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<CheckpointView>>, ApiError> {
    let principal = caller.principal().ok_or(AppError::Unauthenticated)?;
    let list = daftar_app::audit::checkpoints(&state.app, principal).await?;
    Ok(Json(
        list.into_iter()
            .map(|c| CheckpointView {
                seq: c.seq,
                hash: c.hash,
                at: c.at,
                key_id: c.key_id,
                signature: c.signature,
            })
            .collect(),
    ))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct TariffSearch {
    /// Words of a service or fee head (Persian is matched after normalisation).
    #[serde(default)]
    pub q: String,
}

/// The official tariffs of every service under the fee bylaw in force: each head with its
/// formula, tables, clause and receiving party. Public, so anyone can check a charge.
#[utoipa::path(get, path = "/api/v1/tariffs", tag = "system", params(TariffSearch),
    responses((status = 200, body = daftar_app::fees::Tariffs), (status = 404, body = ApiErrorBody)))]
pub async fn tariffs(
    State(state): State<AppState>,
    axum::extract::Query(search): axum::extract::Query<TariffSearch>,
) -> Result<Json<daftar_app::fees::Tariffs>, ApiError> {
    let found = daftar_app::fees::tariffs(&state.app, &search.q).await?;
    Ok(Json(found.ok_or(AppError::NotFound)?))
}
